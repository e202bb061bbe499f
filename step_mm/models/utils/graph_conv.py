# Copyright (c) step_mm contributors. All rights reserved.
"""Pieces shared by the graph-convolution backbones: the block residual,
the data BatchNorm that opens every ST-GCN-like network and the regrouping
that aggregates over the graph before a 1x1 convolution."""
from typing import Optional, Tuple

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


def regroup_graph_conv(
    x: torch.Tensor, A: torch.Tensor, weight: torch.Tensor,
    bias: Optional[torch.Tensor]
) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
    """Regroup ``einsum(conv(x), A)`` as a 1x1 conv of ``einsum(x, A)``.

    A graph convolution applies a 1x1 conv into ``K`` groups of ``C_out``
    channels and sums group ``k`` over the graph through ``A[k]``. Both
    steps are linear, so the same map aggregates the ``C_in`` input
    channels through every ``A[k]`` first and then applies the conv's
    weight regrouped to ``(C_out, K * C_in)``, its bias summed through
    ``A``; cheaper where ``C_in < C_out`` (docs/speed.md).

    Args:
        x (torch.Tensor): ``(N, C_in, T, V)`` input.
        A (torch.Tensor): ``(K, V, V)`` adjacency (edge weights applied).
        weight (torch.Tensor): The 1x1 conv's weight,
            ``(K * C_out, C_in, 1, 1)``.
        bias (torch.Tensor, optional): Its bias, ``(K * C_out, )``.

    Returns:
        tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]: The
        aggregated input ``(N, K * C_in, T, V)``, the regrouped weight
        ``(C_out, K * C_in)`` and the bias per joint ``(C_out, V)`` (None
        without a bias): the output is ``weight @ input + bias[:, None]``
        over channels.
    """
    n, c_in, t, v = x.shape
    k = A.size(0)
    c_out = weight.size(0) // k
    x = torch.einsum('nctv,kvw->nkctw', x, A).reshape(n, k * c_in, t, v)
    weight = weight.view(k, c_out, c_in).transpose(0, 1).reshape(
        c_out, k * c_in)
    if bias is not None:
        bias = torch.einsum('kc,kw->cw', bias.view(k, c_out), A.sum(1))
    return x, weight, bias
