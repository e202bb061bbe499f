# Copyright (c) step_mm contributors. All rights reserved.
"""Differentiable gait geometry shared by STEP-Gen's losses and metrics.

One implementation of bone lengths, foot contact and foot sliding serves
the training regulariser (:class:`step_mm.models.losses.PushPullLoss`) and
the quality metrics (:mod:`step_mm.evaluation.metrics.gait_quality`), so
that what is trained is exactly what is measured. Everything is vectorised
over any leading axes, frames and joints.

Conventions (those of E-Gait after ``NormalizeGait``): joints ``(..., T,
16, 3)``, root-centred, Y up, metres, ``fps`` frames per second.

Foot sliding in root-centred data: the root's own translation was removed,
so a planted foot does not stand still; it moves backwards at the walking
speed. A gait's body velocity is estimated as the (contact-weighted) mean
horizontal velocity of the feet in contact and removed; what is left is the
speed at which a foot in contact slides on the ground. A foot that is
planted while the body walks at a constant speed scores zero, a foot that
skates back and forth (or two feet in contact that move differently) does
not. ``remove_body_velocity=False`` measures the raw horizontal speed, for
data that keep the global translation.
"""
from typing import Sequence, Tuple

import torch

from .layout import EGAIT_INWARD

#: Joints of the left and right foot in the E-Gait layout.
FOOT_JOINTS = (12, 15)
#: The vertical axis (Y up) and the two horizontal axes.
UP_AXIS = 1
HORIZONTAL_AXES = (0, 2)

_EPS = 1e-8


def _check_joints(joints: torch.Tensor, name: str) -> None:
    if not isinstance(joints, torch.Tensor):
        raise TypeError(f'{name} expects a torch.Tensor, got '
                        f'{type(joints).__name__}')
    if joints.ndim < 3 or joints.shape[-1] != 3:
        raise ValueError(f'{name} expects joints (..., T, V, 3), got '
                         f'{tuple(joints.shape)}')


def bone_lengths(joints: torch.Tensor,
                 bones: Sequence[Tuple[int, int]] = EGAIT_INWARD
                 ) -> torch.Tensor:
    """Length of every bone in every frame.

    Args:
        joints (torch.Tensor): ``(..., T, V, 3)``.
        bones (Sequence[tuple[int, int]]): ``(child, parent)`` pairs.
            Defaults to the E-Gait skeleton's 15 bones.

    Returns:
        torch.Tensor: ``(..., T, B)``.
    """
    _check_joints(joints, 'bone_lengths')
    child = joints[..., [c for c, _ in bones], :]
    parent = joints[..., [p for _, p in bones], :]
    return torch.sqrt(((child - parent)**2).sum(-1) + _EPS)


def bone_length_variation(joints: torch.Tensor,
                          bones: Sequence[Tuple[int, int]] = EGAIT_INWARD
                          ) -> torch.Tensor:
    """Relative variance of each bone's length over time.

    ``var_t(length) / mean_t(length)^2``, i.e. the squared coefficient of
    variation: 0 for a rigid skeleton, ``0.01`` for bones whose length
    varies by 10 % (one standard deviation) over the sequence.

    Args:
        joints (torch.Tensor): ``(..., T, V, 3)``.
        bones (Sequence[tuple[int, int]]): ``(child, parent)`` pairs.
            Defaults to the E-Gait skeleton's 15 bones.

    Returns:
        torch.Tensor: ``(..., B)``.
    """
    length = bone_lengths(joints, bones)
    mean = length.mean(-2)
    var = ((length - mean.unsqueeze(-2))**2).mean(-2)
    return var / (mean**2 + _EPS)


def foot_contact_weights(joints: torch.Tensor,
                         feet: Sequence[int] = FOOT_JOINTS,
                         up_axis: int = UP_AXIS,
                         height_margin: float = 0.04,
                         softness: float = 0.01) -> torch.Tensor:
    """Soft foot-contact weights from each foot's height.

    A foot is in contact when it is near its lowest height in the sequence:
    ``sigmoid((lowest + height_margin - height) / softness)``, about 1 up to
    ``height_margin`` above its lowest point and falling to 0 over a few
    ``softness`` above that.

    Args:
        joints (torch.Tensor): ``(..., T, V, 3)``.
        feet (Sequence[int]): Foot joints. Defaults to ``(12, 15)``.
        up_axis (int): The vertical coordinate. Defaults to 1 (Y up).
        height_margin (float): Height above the lowest point still counted
            as contact, in the data's units. Defaults to 0.04.
        softness (float): Width of the sigmoid's transition. Defaults to
            0.01.

    Returns:
        torch.Tensor: ``(..., T, F)`` weights in ``(0, 1)``.
    """
    _check_joints(joints, 'foot_contact_weights')
    height = joints[..., list(feet), up_axis]
    lowest = height.amin(-2, keepdim=True)
    return torch.sigmoid((lowest + height_margin - height) / softness)


def foot_slide_sq(joints: torch.Tensor,
                  fps: float = 30.0,
                  contact: torch.Tensor = None,
                  feet: Sequence[int] = FOOT_JOINTS,
                  horizontal: Sequence[int] = HORIZONTAL_AXES,
                  remove_body_velocity: bool = True,
                  **contact_kwargs) -> torch.Tensor:
    """Contact-weighted mean squared horizontal speed of the feet.

    Args:
        joints (torch.Tensor): ``(..., T, V, 3)`` with ``T >= 2``.
        fps (float): Frame rate. Defaults to 30.
        contact (torch.Tensor, optional): ``(..., T, F)`` contact weights;
            None computes :func:`foot_contact_weights` (with
            ``contact_kwargs``). Pass detached weights in a loss so the
            model cannot lower it by lifting its feet.
        feet (Sequence[int]): Foot joints. Defaults to ``(12, 15)``.
        horizontal (Sequence[int]): Horizontal coordinates. Defaults to
            ``(0, 2)`` (X, Z).
        remove_body_velocity (bool): Subtract the gait's body velocity (the
            contact-weighted mean foot velocity), for root-centred data.
            Defaults to True.

    Returns:
        torch.Tensor: ``(...)`` in squared units per second.
    """
    _check_joints(joints, 'foot_slide_sq')
    if joints.shape[-3] < 2:
        raise ValueError('foot sliding needs at least 2 frames, got '
                         f'T={joints.shape[-3]}')
    if contact is None:
        contact = foot_contact_weights(joints, feet, **contact_kwargs)
    pos = joints[..., list(feet), :][..., list(horizontal)]  # (..., T, F, H)
    vel = torch.diff(pos, dim=-3) * fps  # (..., T-1, F, H)
    # a step counts when the foot is in contact at both of its frames
    w = contact[..., 1:, :] * contact[..., :-1, :]  # (..., T-1, F)
    w_sum = w.sum((-2, -1)).clamp_min(_EPS)
    if remove_body_velocity:
        body = (w.unsqueeze(-1) * vel).sum((-3, -2)) / w_sum.unsqueeze(-1)
        vel = vel - body[..., None, None, :]
    return (w * (vel**2).sum(-1)).sum((-2, -1)) / w_sum
