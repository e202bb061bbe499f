# Copyright (c) step_mm contributors. All rights reserved.
"""KL divergence of a diagonal Gaussian posterior to N(0, I), with warm-up."""
import torch
import torch.nn as nn
from mmaction.registry import MODELS


@MODELS.register_module()
class KLDivergenceLoss(nn.Module):
    """``KL(N(mu, exp(logvar)) || N(0, I))`` with a linear weight warm-up.

    The KL is summed over the latent dimensions and averaged over the batch.
    Its weight grows linearly from 0 to ``loss_weight`` over the first
    ``warmup_iters`` training iterations, counted by a ``num_iters`` buffer
    that advances at every call in training mode (one call per
    ``train_step``); the buffer is saved in checkpoints, so a resumed run
    continues the schedule.

    Args:
        loss_weight (float): The weight after warm-up. Defaults to 1.
        warmup_iters (int): Length of the linear warm-up in iterations;
            0 disables it. Defaults to 0.

    Examples:
        >>> import torch
        >>> kl = KLDivergenceLoss(loss_weight=1.0)
        >>> float(kl(torch.zeros(4, 32), torch.zeros(4, 32)))
        0.0
    """

    def __init__(self, loss_weight: float = 1.0,
                 warmup_iters: int = 0) -> None:
        super().__init__()
        if warmup_iters < 0:
            raise ValueError('KLDivergenceLoss: warmup_iters must be >= 0, '
                             f'got {warmup_iters}')
        self.loss_weight = loss_weight
        self.warmup_iters = warmup_iters
        self.register_buffer('num_iters', torch.zeros((), dtype=torch.long))

    @property
    def current_weight(self) -> float:
        """The weight at the current iteration."""
        if self.warmup_iters == 0:
            return float(self.loss_weight)
        ratio = min(1.0, float(self.num_iters) / self.warmup_iters)
        return float(self.loss_weight) * ratio

    @staticmethod
    def divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Per-sample KL divergence ``(N,)`` (summed over latent dims)."""
        if mu.shape != logvar.shape:
            raise ValueError('KLDivergenceLoss: mu and logvar shapes differ:'
                             f' {tuple(mu.shape)} vs {tuple(logvar.shape)}')
        return -0.5 * (1 + logvar - mu**2 - logvar.exp()).flatten(1).sum(1)

    def forward(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """The weighted KL divergence.

        Args:
            mu (torch.Tensor): ``(N, D)`` posterior means.
            logvar (torch.Tensor): ``(N, D)`` posterior log-variances.

        Returns:
            torch.Tensor: Scalar loss.
        """
        weight = self.current_weight
        if self.training:
            self.num_iters += 1
        return weight * self.divergence(mu, logvar).mean()

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, '
                f'warmup_iters={self.warmup_iters}')
