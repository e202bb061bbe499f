# Copyright (c) step_mm contributors. All rights reserved.
"""Pieces shared by the graph-convolution backbones: the block residual and
the data BatchNorm that opens every ST-GCN-like network."""
from typing import Optional

import torch
import torch.nn as nn


def residual_branch(in_channels: int,
                    out_channels: int,
                    stride: int = 1,
                    residual: bool = True) -> Optional[nn.Module]:
    """The residual branch of a graph-convolution block.

    Args:
        in_channels (int): Channels of the block input.
        out_channels (int): Channels of the block output.
        stride (int): Temporal stride of the block. Defaults to 1.
        residual (bool): Whether the block has a residual at all.
            Defaults to True.

    Returns:
        nn.Module, optional: None without a residual; ``nn.Identity`` where
        the shape is kept; otherwise a strided 1x1 ``nn.Conv2d`` and a
        ``BatchNorm2d`` in an ``nn.Sequential`` (state-dict keys ``0.*``,
        ``1.*``).
    """
    if not residual:
        return None
    if in_channels == out_channels and stride == 1:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=(stride, 1)),
        nn.BatchNorm2d(out_channels))


def skeleton_to_maps(x: torch.Tensor, data_bn: nn.Module) -> torch.Tensor:
    """Normalise skeletons by a data BatchNorm, as graph-conv feature maps.

    The BatchNorm normalises each joint coordinate over persons, samples
    and frames. It reads a strided view of ``x`` (no copy), as STEP's and
    STEP-Gen's networks always have; CTR-GCN's own data BN, which also
    normalises per person, reads a contiguous copy.

    Args:
        x (torch.Tensor): ``(N, M, T, V, C)`` skeletons.
        data_bn (nn.Module): A ``BatchNorm1d(V * C)``, or ``nn.Identity``.

    Returns:
        torch.Tensor: ``(N * M, C, T, V)``, contiguous.
    """
    N, M, T, V, C = x.shape
    x = data_bn(x.permute(0, 1, 3, 4, 2).reshape(N * M, V * C, T))
    return x.view(N * M, V, C, T).permute(0, 2, 3, 1).contiguous()
