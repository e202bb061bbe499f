# Copyright (c) step_mm contributors. All rights reserved.
"""CTR-GCN, written from its paper.

Channel-wise Topology Refinement Graph Convolution for Skeleton-Based Action
Recognition (Chen et al., ICCV 2021), https://arxiv.org/abs/2107.12213 .
"""
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmaction.models.utils import Graph
from mmaction.registry import MODELS
from mmengine.model import BaseModule, ModuleList

from ..utils import LongTemporalConv, check_choice, residual_branch

EPS = 1e-4


class CTRGC(BaseModule):
    """Channel-wise topology refinement graph convolution, all subsets.

    For each subset ``k`` of the graph (``K`` adjacency matrices ``A_k``),
    with the paper's names:

    1. feature transformation ``T_k(x)``, a 1x1 conv to ``C_out``;
    2. channel-wise topology modelling: the temporally pooled input is
       reduced by two 1x1 convs ``psi_k``, ``phi_k`` to ``C_rel`` channels,
       the pairwise joint correlations ``tanh(psi_k(x)_u - phi_k(x)_v)``
       are raised to ``C_out`` channels by a 1x1 conv ``xi_k`` into ``Q_k``
       and refine the shared (trainable, initialised to ``A_k``) topology:
       ``R_k = A_k + alpha * Q_k``, one ``(V, V)`` topology per channel;
    3. channel-wise aggregation
       ``z[c, t, v] = sum_u T_k(x)[c, t, u] R_k[c, u, v]``.

    The subsets' outputs are summed. All subsets are computed at once: the
    convs of the ``K`` subsets are stacked into one conv (``transform``;
    ``psi`` with ``phi``) or one batched matmul (``xi``).

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        A (torch.Tensor): Adjacency of shape ``(K, V, V)``; entry ``[u, v]``
            carries joint ``u`` to joint ``v``.
        rel_reduction (int): Reduction ``r`` of the correlation channels,
            ``C_rel = max(in_channels // r, min_rel_channels)``.
            Defaults to 8.
        min_rel_channels (int): Fewest correlation channels (the paper's
            first layer, on 3 input channels, uses 8). Defaults to 8.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 A: torch.Tensor,
                 rel_reduction: int = 8,
                 min_rel_channels: int = 8,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_subsets = A.size(0)
        self.out_channels = out_channels
        self.rel_channels = max(in_channels // rel_reduction,
                                min_rel_channels)
        k = self.num_subsets
        self.A = nn.Parameter(A.clone())  # shared topology, trainable
        self.transform = nn.Conv2d(in_channels, k * out_channels, 1)
        # psi and phi of every subset, stacked: (2, K, C_rel) output channels
        self.psi_phi = nn.Conv2d(in_channels, 2 * k * self.rel_channels, 1)
        # xi: one (C_rel -> C_out) 1x1 conv per subset, as a batched matmul
        self.xi_weight = nn.Parameter(
            torch.empty(k, out_channels, self.rel_channels))
        self.xi_bias = nn.Parameter(torch.zeros(k, out_channels))
        nn.init.kaiming_normal_(self.xi_weight, mode='fan_out')
        # alpha = 0: training starts from a plain GCN on the learned A
        self.alpha = nn.Parameter(torch.zeros(1))

    def topology(self, x: torch.Tensor) -> torch.Tensor:
        """The refined per-channel topologies ``(N, K, C_out, V, V)``."""
        n, _, _, v = x.shape
        k, r = self.num_subsets, self.rel_channels
        pooled = x.mean(2, keepdim=True)  # convs are linear: pool first
        p, q = self.psi_phi(pooled).view(n, 2, k, r, v).unbind(1)
        corr = torch.tanh(p.unsqueeze(-1) - q.unsqueeze(-2))  # n k r u v
        Q = torch.einsum('kcr,nkruv->nkcuv', self.xi_weight, corr)
        Q = Q + self.xi_bias[None, :, :, None, None]
        return self.A[None, :, None] + self.alpha * Q

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, C_in, T, V)`` to ``(N, C_out, T, V)``."""
        n, _, t, v = x.shape
        feats = self.transform(x).view(n, self.num_subsets,
                                       self.out_channels, t, v)
        return torch.einsum('nkctu,nkcuv->nctv', feats, self.topology(x))


class CTRGCNSpatial(BaseModule):
    """The spatial unit of a CTR-GCN block: ``relu(bn(CTRGC(x)) + res(x))``.

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        A (torch.Tensor): Adjacency of shape ``(K, V, V)``.
        rel_reduction (int): See :class:`CTRGC`. Defaults to 8.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 A: torch.Tensor,
                 rel_reduction: int = 8,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.gc = CTRGC(in_channels, out_channels, A, rel_reduction)
        self.bn = nn.BatchNorm2d(out_channels)
        self.down = residual_branch(in_channels, out_channels)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, C_in, T, V)`` to ``(N, C_out, T, V)``."""
        return self.relu(self.bn(self.gc(x)) + self.down(x))


class MultiScaleTCN(BaseModule):
    """Multi-scale temporal convolution of CTR-GCN.

    Branches, each opened by a 1x1 conv to ``out_channels / num_branches``
    channels (BN, ReLU): one temporal conv of ``kernel_size`` per dilation,
    a 3-frame max pooling, and the 1x1 conv alone. Their outputs are
    concatenated. The temporal convs are :class:`LongTemporalConv`, exact
    and safe when a dilated kernel outgrows a short input.

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        kernel_size (int): Temporal kernel of the conv branches.
            Defaults to 5.
        stride (int): Temporal stride. Defaults to 1.
        dilations (Sequence[int]): One conv branch per dilation.
            Defaults to ``(1, 2)``.
        dropout (float): Dropout probability on the output. Defaults to 0.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 5,
                 stride: int = 1,
                 dilations: Sequence[int] = (1, 2),
                 dropout: float = 0.,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_branches = len(dilations) + 2
        if out_channels % num_branches:
            raise ValueError(f'out_channels ({out_channels}) must be a '
                             f'multiple of the {num_branches} branches')
        mid = out_channels // num_branches
        self.mid_channels = mid
        # the 1x1 convs (+ BN, ReLU) opening the temporal-conv and pooling
        # branches, stacked into one conv: the same maps, fewer calls
        self.opening = nn.Sequential(
            nn.Conv2d(in_channels, (num_branches - 1) * mid, 1),
            nn.BatchNorm2d((num_branches - 1) * mid), nn.ReLU())
        branches = [
            nn.Sequential(
                LongTemporalConv(
                    mid, mid, kernel_size, stride=stride, dilation=d),
                nn.BatchNorm2d(mid)) for d in dilations
        ]
        branches.append(
            nn.Sequential(
                nn.MaxPool2d((3, 1), (stride, 1), (1, 0)),
                nn.BatchNorm2d(mid)))
        self.branches = ModuleList(branches)
        self.pointwise = nn.Sequential(
            nn.Conv2d(in_channels, mid, 1, stride=(stride, 1)),
            nn.BatchNorm2d(mid))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, C_in, T, V)`` to ``(N, C_out, T_out, V)``."""
        opened = self.opening(x).split(self.mid_channels, 1)
        outs = [b(o) for b, o in zip(self.branches, opened)]
        return self.drop(torch.cat(outs + [self.pointwise(x)], 1))


class CTRGCNBlock(BaseModule):
    """One CTR-GCN block: ``relu(tcn(spatial(x)) + residual(x))``.

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        A (torch.Tensor): Adjacency of shape ``(K, V, V)``.
        stride (int): Temporal stride. Defaults to 1.
        residual (bool): Whether to add the block residual: the identity
            where the shape is kept, a strided 1x1 conv + BN otherwise.
            Defaults to True.
        rel_reduction (int): See :class:`CTRGC`. Defaults to 8.
        tcn_kernel_size (int): See :class:`MultiScaleTCN`. Defaults to 5.
        tcn_dilations (Sequence[int]): See :class:`MultiScaleTCN`.
            Defaults to ``(1, 2)``.
        tcn_dropout (float): Dropout after the TCN. Defaults to 0.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 A: torch.Tensor,
                 stride: int = 1,
                 residual: bool = True,
                 rel_reduction: int = 8,
                 tcn_kernel_size: int = 5,
                 tcn_dilations: Sequence[int] = (1, 2),
                 tcn_dropout: float = 0.,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.gcn = CTRGCNSpatial(in_channels, out_channels, A, rel_reduction)
        self.tcn = MultiScaleTCN(
            out_channels,
            out_channels,
            tcn_kernel_size,
            stride=stride,
            dilations=tcn_dilations,
            dropout=tcn_dropout)
        self.residual = residual_branch(in_channels, out_channels, stride,
                                        residual)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, C_in, T, V)`` to ``(N, C_out, T_out, V)``."""
        y = self.tcn(self.gcn(x))
        if self.residual is not None:
            y = y + self.residual(x)
        return self.relu(y)


@MODELS.register_module()
class CTRGCN(BaseModule):
    """CTR-GCN backbone.

    Channel-wise Topology Refinement Graph Convolution for Skeleton-Based
    Action Recognition (Chen et al., ICCV 2021). More details can be found
    in the `paper <https://arxiv.org/abs/2107.12213>`__ .

    Input ``(N, M, T, V, C)`` is normalised by a data BatchNorm, then passes
    ``num_stages`` :class:`CTRGCNBlock` s. Stages are numbered as in
    mmaction2's ``STGCN``: the first block maps ``in_channels`` to
    ``base_channels`` (no residual), block ``i`` (2 ... ``num_stages``)
    multiplies the channels by ``ch_ratio`` when ``i in inflate_stages`` and
    halves the time axis when ``i in down_stages``. The defaults are the
    paper's network: 10 blocks of 64, 64, 64, 64, 128, 128, 128, 256, 256,
    256 channels, temporal stride 2 in the 5th and 8th.

    Args:
        graph_cfg (dict): Config for building the graph
            (:class:`mmaction.models.utils.Graph`); the paper uses
            ``mode='spatial'`` (identity, inward, outward).
        in_channels (int): Number of input channels. Defaults to 3.
        base_channels (int): Channels of the first block. Defaults to 64.
        ch_ratio (int): Inflation ratio of the channels. Defaults to 2.
        num_stages (int): Number of blocks. Defaults to 10.
        inflate_stages (Sequence[int]): Stages that inflate the channels.
            Defaults to ``(5, 8)``.
        down_stages (Sequence[int]): Stages with temporal stride 2.
            Defaults to ``(5, 8)``.
        data_bn_type (str): ``'VC'`` (one BatchNorm over joints x channels),
            ``'MVC'`` (also over persons) or ``'none'``. Defaults to ``'VC'``.
        num_person (int): Persons, for ``data_bn_type='MVC'``.
            Defaults to 2.
        rel_reduction (int): See :class:`CTRGC`. Defaults to 8.
        tcn_kernel_size (int): See :class:`MultiScaleTCN`. Defaults to 5.
        tcn_dilations (Sequence[int]): See :class:`MultiScaleTCN`.
            Defaults to ``(1, 2)``.
        tcn_dropout (float): Dropout after each TCN but the first.
            Defaults to 0.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to Kaiming (fan-out) for convs and ones/zeros for
            BatchNorms.

    Examples:
        >>> import torch
        >>> from step_mm.models import CTRGCN
        >>> from step_mm.skeleton import EGAIT_LAYOUT
        >>>
        >>> graph_cfg = dict(layout=EGAIT_LAYOUT, mode='spatial')
        >>> model = CTRGCN(graph_cfg=graph_cfg, num_person=1)
        >>> model.init_weights()
        >>> for num_frames in (100, 48, 75, 8):
        ...     inputs = torch.randn(2, 1, num_frames, 16, 3)
        ...     print(model(inputs).shape)
        torch.Size([2, 1, 256, 25, 16])
        torch.Size([2, 1, 256, 12, 16])
        torch.Size([2, 1, 256, 19, 16])
        torch.Size([2, 1, 256, 2, 16])
        >>> # the E-Gait recipe's network: 16 channels, 4 blocks
        >>> model = CTRGCN(graph_cfg=graph_cfg, base_channels=16,
        ...                num_stages=4, num_person=1)
        >>> model(torch.randn(2, 1, 48, 16, 3)).shape
        torch.Size([2, 1, 16, 48, 16])
    """

    def __init__(self,
                 graph_cfg: Dict,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 ch_ratio: int = 2,
                 num_stages: int = 10,
                 inflate_stages: Sequence[int] = (5, 8),
                 down_stages: Sequence[int] = (5, 8),
                 data_bn_type: str = 'VC',
                 num_person: int = 2,
                 rel_reduction: int = 8,
                 tcn_kernel_size: int = 5,
                 tcn_dilations: Sequence[int] = (1, 2),
                 tcn_dropout: float = 0.,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = [
                     dict(type='Kaiming', layer='Conv2d', mode='fan_out'),
                     dict(type='Constant', layer='BatchNorm2d', val=1)
                 ]) -> None:
        super().__init__(init_cfg=copy.deepcopy(init_cfg))
        check_choice('data_bn_type', data_bn_type, ('VC', 'MVC', 'none'))
        if num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {num_stages}')
        self.graph = Graph(**graph_cfg)
        A = torch.tensor(self.graph.A, dtype=torch.float32)
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.num_stages = num_stages
        self.data_bn_type = data_bn_type
        num_joints = A.size(1)
        if data_bn_type == 'MVC':
            self.data_bn = nn.BatchNorm1d(num_person * in_channels *
                                          num_joints)
        elif data_bn_type == 'VC':
            self.data_bn = nn.BatchNorm1d(in_channels * num_joints)
        else:
            self.data_bn = nn.Identity()

        block_kwargs = dict(
            rel_reduction=rel_reduction,
            tcn_kernel_size=tcn_kernel_size,
            tcn_dilations=tuple(tcn_dilations))
        blocks = [
            CTRGCNBlock(
                in_channels, base_channels, A, residual=False,
                **block_kwargs)
        ]
        channels, inflations = base_channels, 0
        for i in range(2, num_stages + 1):
            inflations += i in inflate_stages
            out_channels = int(base_channels * ch_ratio**inflations + EPS)
            blocks.append(
                CTRGCNBlock(
                    channels,
                    out_channels,
                    A,
                    stride=1 + (i in down_stages),
                    tcn_dropout=tcn_dropout,
                    **block_kwargs))
            channels = out_channels
        self.out_channels = channels
        self.gcn = ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, M, T, V, C)`` to ``(N, M, C_out, T_out, V)``."""
        N, M, T, V, C = x.size()
        x = x.permute(0, 1, 3, 4, 2).contiguous()  # N M V C T
        if self.data_bn_type == 'MVC':
            x = self.data_bn(x.view(N, M * V * C, T))
        else:
            x = self.data_bn(x.view(N * M, V * C, T))
        x = x.view(N * M, V, C, T).permute(0, 2, 3, 1).contiguous()
        for block in self.gcn:
            x = block(x)
        return x.reshape((N, M) + x.shape[1:])
