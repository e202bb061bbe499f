# Copyright (c) step_mm contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.utils import Graph
from mmaction.registry import MODELS
from mmengine.model import BaseModule, ModuleList

from ...skeleton import EGAIT_LAYOUT
from ..utils import (LongTemporalConv, regroup_graph_conv, residual_branch,
                     skeleton_to_maps)


class STEPGCNBlock(BaseModule):
    """One spatial-temporal graph convolution block of STEP's ST-GCN.

    ``relu(tcn(gcn(x)) + residual(x))`` where ``gcn`` is a 1x1 conv into
    ``K`` channel groups aggregated over the ``K`` partitions of the graph
    (each weighted by a learnable edge importance), and ``tcn`` is
    ``BN -> ReLU -> temporal conv -> BN -> Dropout``.

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        A (torch.Tensor): Adjacency of shape ``(K, V, V)``.
        temporal_kernel_size (int): Temporal kernel length. Defaults to 75.
        stride (int): Temporal stride. Defaults to 1.
        residual (bool): Whether to add a residual branch: the identity
            where the shape is kept, a strided 1x1 conv + BN otherwise.
            Defaults to True.
        dropout (float): Dropout probability after the temporal conv.
            Defaults to 0.
        edge_importance (bool): Whether to multiply a learnable weight,
            initialised to ones, into ``A``. Defaults to True.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 A: torch.Tensor,
                 temporal_kernel_size: int = 75,
                 stride: int = 1,
                 residual: bool = True,
                 dropout: float = 0.,
                 edge_importance: bool = True,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_subsets = A.size(0)
        self.register_buffer('A', A)
        if edge_importance:
            self.edge_importance = nn.Parameter(torch.ones_like(A))
        else:
            self.edge_importance = None

        self.gcn = nn.Conv2d(in_channels, out_channels * self.num_subsets, 1)
        self.tcn = nn.Sequential(
            nn.BatchNorm2d(out_channels), nn.ReLU(),
            LongTemporalConv(
                out_channels,
                out_channels,
                kernel_size=temporal_kernel_size,
                stride=stride), nn.BatchNorm2d(out_channels),
            nn.Dropout(dropout))
        self.residual = residual_branch(in_channels, out_channels, stride,
                                        residual)
        self.relu = nn.ReLU()
        #: Aggregate over the graph before the 1x1 conv where that is
        #: cheaper (fewer input than output channels per subset); False
        #: forces the plain order (``benchmarks/speed.py`` times both).
        self.aggregate_first = True

    def _gcn_aggregate_first(self, x: torch.Tensor,
                             A: torch.Tensor) -> torch.Tensor:
        """``einsum(gcn(x), A)`` computed as ``gcn'(einsum(x, A))``.

        The 1x1 conv regrouped by :func:`regroup_graph_conv`: the same
        result (equal up to float rounding) without materialising the
        ``K * C_out`` maps; used where ``C_in < C_out`` (docs/speed.md).
        """
        x, weight, bias = regroup_graph_conv(x, A, self.gcn.weight,
                                             self.gcn.bias)
        y = F.conv2d(x, weight[:, :, None, None])
        if bias is not None:
            y = y + bias[:, None, :]
        return y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, C_in, T, V)`` to ``(N, C_out, T_out, V)``."""
        n, c_in, t, v = x.shape
        A = self.A
        if self.edge_importance is not None:
            A = A * self.edge_importance
        # The regrouped weight has no static shape for the ONNX exporter;
        # both paths are equal, so tracing takes the plain one.
        if (self.aggregate_first
                and c_in < self.gcn.out_channels // self.num_subsets
                and not (torch.jit.is_tracing()
                         or torch.onnx.is_in_onnx_export())):
            y = self._gcn_aggregate_first(x, A)
        else:
            y = self.gcn(x).view(n, self.num_subsets, -1, t, v)
            y = torch.einsum('nkctv,kvw->nctw', y, A)
        y = self.tcn(y)
        if self.residual is not None:
            y = y + self.residual(x)
        return self.relu(y)


@MODELS.register_module()
class STEPGCN(BaseModule):
    """The ST-GCN backbone of STEP.

    STEP: Spatial Temporal Graph Convolutional Networks for Emotion
    Perception from Gaits (Bhattacharya et al., AAAI 2020). More details can
    be found in the `paper <https://arxiv.org/abs/1910.12906>`__ .

    Input ``(N, M, T, V, C)`` is normalised by a ``BatchNorm1d(V * C)``,
    then passes three ST-GCN blocks (no residual on the first) with long
    temporal kernels. The temporal conv is :class:`LongTemporalConv`, exact
    and safe when the kernel outgrows the shrinking time axis.

    Args:
        graph_cfg (dict): Config for building the graph
            (:class:`mmaction.models.utils.Graph`). Defaults to
            ``dict(layout=EGAIT_LAYOUT, mode='stgcn_spatial')``.
        in_channels (int): Number of input channels. Defaults to 3.
        channels (Sequence[int]): Output channels of each block.
            Defaults to ``(32, 64, 64)``.
        strides (Sequence[int]): Temporal stride of each block.
            Defaults to ``(1, 2, 2)``.
        temporal_kernel_size (int): Temporal kernel length (odd).
            Defaults to 75.
        dropout (float): Dropout probability in each block. Defaults to 0.
        edge_importance_weighting (bool): Whether to learn an edge
            importance per block. Defaults to True.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.

    Examples:
        >>> import torch
        >>> from step_mm.models import STEPGCN
        >>>
        >>> model = STEPGCN()
        >>> model.init_weights()
        >>> for num_frames in (75, 48, 240, 8):
        ...     inputs = torch.randn(2, 1, num_frames, 16, 3)
        ...     print(model(inputs).shape)
        torch.Size([2, 1, 64, 19, 16])
        torch.Size([2, 1, 64, 12, 16])
        torch.Size([2, 1, 64, 60, 16])
        torch.Size([2, 1, 64, 2, 16])
    """

    def __init__(self,
                 graph_cfg: Dict = dict(
                     layout=EGAIT_LAYOUT, mode='stgcn_spatial'),
                 in_channels: int = 3,
                 channels: Sequence[int] = (32, 64, 64),
                 strides: Sequence[int] = (1, 2, 2),
                 temporal_kernel_size: int = 75,
                 dropout: float = 0.,
                 edge_importance_weighting: bool = True,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(channels) != len(strides):
            raise ValueError(f'channels {tuple(channels)} and strides '
                             f'{tuple(strides)} must have the same length')
        if temporal_kernel_size % 2 != 1:
            raise ValueError('temporal_kernel_size must be odd, got '
                             f'{temporal_kernel_size}')
        self.graph = Graph(**graph_cfg)
        A = torch.tensor(self.graph.A, dtype=torch.float32)
        self.in_channels = in_channels
        self.channels = tuple(channels)
        self.strides = tuple(strides)
        self.out_channels = self.channels[-1]
        self.temporal_kernel_size = temporal_kernel_size

        self.data_bn = nn.BatchNorm1d(in_channels * A.size(1))
        blocks = []
        for i, (out_channels, stride) in enumerate(zip(channels, strides)):
            blocks.append(
                STEPGCNBlock(
                    in_channels,
                    out_channels,
                    A.clone(),
                    temporal_kernel_size=temporal_kernel_size,
                    stride=stride,
                    residual=i > 0,
                    dropout=dropout,
                    edge_importance=edge_importance_weighting))
            in_channels = out_channels
        self.gcn = ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, M, T, V, C)`` to ``(N, M, C_out, T_out, V)``."""
        N, M = x.shape[:2]
        x = skeleton_to_maps(x, self.data_bn)
        for block in self.gcn:
            x = block(x)
        return x.reshape((N, M) + x.shape[1:])
