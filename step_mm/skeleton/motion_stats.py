# Copyright (c) step_mm contributors. All rights reserved.
"""Per-joint posture and movement statistics of a gait, vectorised.

A longer, less hand-picked companion of the 29 affective features: for each
of the 15 non-root joints of a root-centred gait,

- the mean and standard deviation over frames of its position (x, y, z),
  i.e. where the joint is held and how far it swings;
- the mean and standard deviation over frames of its speed;
- the mean over frames of its absolute velocity along x, y and z.

Order: ``pos_mean (15 x 3)``, ``pos_std (15 x 3)``, ``speed_mean (15)``,
``speed_std (15)``, ``abs_velocity (15 x 3)``, 165 values in all, joints in
E-Gait order without the root. The root joint is left out because it is
the origin of every frame after root-centring. Speeds use ``dt = 1 / fps``.
"""
from typing import Union

import numpy as np
import torch

from .layout import JOINT_NAMES, NUM_JOINTS

#: Number of values returned by :func:`motion_statistics`.
NUM_MOTION_STATISTICS = 11 * (NUM_JOINTS - 1)

MOTION_STATISTIC_NAMES = tuple(
    f'{stat}_{joint}_{axis}' for stat in ('pos_mean', 'pos_std')
    for joint in JOINT_NAMES[1:] for axis in 'xyz') + tuple(
        f'{stat}_{joint}' for stat in ('speed_mean', 'speed_std')
        for joint in JOINT_NAMES[1:]) + tuple(
            f'abs_velocity_{joint}_{axis}' for joint in JOINT_NAMES[1:]
            for axis in 'xyz')


def motion_statistics(joints: Union[torch.Tensor, np.ndarray],
                      fps: float = 30.0) -> Union[torch.Tensor, np.ndarray]:
    """Per-joint posture and movement statistics of gaits.

    Args:
        joints (Tensor | ndarray): Root-centred joint positions
            ``(..., T, 16, 3)``; ``T >= 2``.
        fps (float): Frame rate. Defaults to 30.

    Returns:
        Tensor | ndarray: ``(..., 165)``, same type as the input.

    Examples:
        >>> import numpy as np
        >>> motion_statistics(np.zeros((40, 16, 3))).shape
        (165,)
    """
    is_numpy = isinstance(joints, np.ndarray)
    x = torch.from_numpy(joints) if is_numpy else joints
    if x.ndim < 3 or tuple(x.shape[-2:]) != (NUM_JOINTS, 3):
        raise ValueError('motion_statistics expects joints (..., T, '
                         f'{NUM_JOINTS}, 3), got {tuple(x.shape)}')
    if x.shape[-3] < 2:
        raise ValueError('motion_statistics needs at least 2 frames, got '
                         f'{x.shape[-3]}')
    x = x[..., 1:, :]  # drop the root: the origin of every frame
    lead = x.shape[:-3]
    vel = (x[..., 1:, :, :] - x[..., :-1, :, :]) * fps
    speed = vel.norm(dim=-1)
    out = torch.cat([
        x.mean(-3).reshape(*lead, -1),
        x.std(-3, unbiased=False).reshape(*lead, -1),
        speed.mean(-2),
        speed.std(-2, unbiased=False),
        vel.abs().mean(-3).reshape(*lead, -1)
    ], -1)
    return out.numpy() if is_numpy else out
