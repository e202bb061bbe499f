# Copyright (c) step_mm contributors. All rights reserved.
"""STEP-Gen's gait reconstruction loss, vectorised over (N, T, V, C)."""
from typing import Dict

import torch
import torch.nn as nn
from mmaction.registry import MODELS

from ..utils import check_choice


def _check_pair(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError('GaitReconstructionLoss: pred and target shapes '
                         f'differ: {tuple(pred.shape)} vs '
                         f'{tuple(target.shape)}')
    if pred.ndim != 4:
        raise ValueError('GaitReconstructionLoss expects gaits (N, T, V, C),'
                         f' got {tuple(pred.shape)}')
    if pred.shape[1] < 3:
        raise ValueError('GaitReconstructionLoss needs at least 3 frames '
                         f'(acceleration), got T={pred.shape[1]}')


@MODELS.register_module()
class GaitReconstructionLoss(nn.Module):
    """Position and between-frame reconstruction loss of STEP-Gen.

    The terms of the STEP reference implementation, computed with tensor
    ops instead of Python loops over batch, frames and joints:

    - ``position``: squared error of the joint positions;
    - ``anchor``: squared error of every frame's displacement relative to
      the first, the middle (``T // 2 - 1``) and the last frame (three
      terms, summed);
    - ``velocity``: squared error of the frame-to-frame differences;
    - ``acceleration``: squared error of the second differences.

    With ``reduction='mean'`` every term is the mean over its elements, so
    the loss does not depend on the batch size or length. With
    ``reduction='reference'`` the terms are normalised as the reference
    code's loops accumulate them: the position term is a mean, the anchor
    terms are summed over batch and frames (mean over joints x coords), the
    velocity and acceleration terms are summed over everything.

    Args:
        position_weight (float): Defaults to 1.
        anchor_weight (float): Weight of each of the three anchor terms.
            Defaults to 1.
        velocity_weight (float): Defaults to 1.
        acceleration_weight (float): Defaults to 1.
        reduction (str): ``'mean'`` or ``'reference'``. Defaults to
            ``'mean'``.
        loss_weight (float): Multiplies the total. Defaults to 1.

    Examples:
        >>> import torch
        >>> loss = GaitReconstructionLoss()
        >>> gait = torch.randn(2, 75, 16, 3)
        >>> float(loss(gait, gait))
        0.0
    """

    def __init__(self,
                 position_weight: float = 1.0,
                 anchor_weight: float = 1.0,
                 velocity_weight: float = 1.0,
                 acceleration_weight: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        check_choice('reduction', reduction, ('mean', 'reference'),
                     'GaitReconstructionLoss')
        self.position_weight = position_weight
        self.anchor_weight = anchor_weight
        self.velocity_weight = velocity_weight
        self.acceleration_weight = acceleration_weight
        self.reduction = reduction
        self.loss_weight = loss_weight

    def terms(self, pred: torch.Tensor,
              target: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The unweighted terms.

        Args:
            pred (torch.Tensor): ``(N, T, V, C)`` reconstructed gaits.
            target (torch.Tensor): ``(N, T, V, C)`` real gaits.

        Returns:
            dict[str, torch.Tensor]: ``position``, ``anchor``, ``velocity``
            and ``acceleration``.
        """
        _check_pair(pred, target)
        N, T = pred.shape[:2]
        err = pred - target  # (N, T, V, C)
        # displacement to an anchor frame a: (p_t - p_a) - (g_t - g_a)
        mid = T // 2 - 1
        anchors = err.new_tensor([0, mid, T - 1], dtype=torch.long)
        anchor_err = err.unsqueeze(1) - err[:, anchors].unsqueeze(2)
        vel_err = torch.diff(err, dim=1)
        acc_err = torch.diff(err, n=2, dim=1)
        if self.reduction == 'mean':
            anchor = (anchor_err**2).mean((0, 2, 3, 4)).sum()
            velocity = (vel_err**2).mean()
            acceleration = (acc_err**2).mean()
        else:
            anchor = (anchor_err**2).mean((3, 4)).sum()
            velocity = (vel_err**2).sum()
            acceleration = (acc_err**2).sum()
        return dict(
            position=(err**2).mean(),
            anchor=anchor,
            velocity=velocity,
            acceleration=acceleration)

    def forward(self, pred: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        """Weighted sum of the terms.

        Args:
            pred (torch.Tensor): ``(N, T, V, C)`` reconstructed gaits.
            target (torch.Tensor): ``(N, T, V, C)`` real gaits.

        Returns:
            torch.Tensor: Scalar loss.
        """
        t = self.terms(pred, target)
        total = (self.position_weight * t['position'] +
                 self.anchor_weight * t['anchor'] +
                 self.velocity_weight * t['velocity'] +
                 self.acceleration_weight * t['acceleration'])
        return self.loss_weight * total

    def extra_repr(self) -> str:
        return (f'position_weight={self.position_weight}, anchor_weight='
                f'{self.anchor_weight}, velocity_weight='
                f'{self.velocity_weight}, acceleration_weight='
                f'{self.acceleration_weight}, reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
