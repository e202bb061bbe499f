# Copyright (c) step_mm contributors. All rights reserved.
"""STEP-Gen's ST-GCN encoder and decoder (conditional VAE)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.backbones.stgcn import STGCNBlock
from mmaction.models.utils import Graph
from mmaction.registry import MODELS
from mmengine.model import BaseModule, ModuleList

from step_mm.skeleton import EGAIT_LAYOUT, REFERENCE_POSE
from ..utils import check_choice, regroup_graph_conv, skeleton_to_maps

_GRAPH = dict(layout=EGAIT_LAYOUT, mode='stgcn_spatial')


def _adjacency(graph_cfg: dict) -> torch.Tensor:
    return torch.tensor(Graph(**graph_cfg).A, dtype=torch.float32)


def _kinematic_tree(graph_cfg: dict, num_joints: int):
    """Bones ``(child, parent)`` of a tree layout and the ``(V, B)`` matrix
    summing, for every joint, the bones on its path from the root."""
    layout = graph_cfg.get('layout')
    if not isinstance(layout, dict) or 'inward' not in layout:
        raise ValueError("STEPGenDecoder(output_mode='kinematic') needs a "
                         'layout dict with (child, parent) `inward` pairs, '
                         f'got {layout!r}')
    bones = [tuple(int(i) for i in b) for b in layout['inward']]
    parent = {c: p for c, p in bones}
    root = layout.get('center', 0)
    if len(parent) != len(bones) or len(bones) != num_joints - 1 or \
            root in parent:
        raise ValueError('STEPGenDecoder: the layout is not a tree rooted at'
                         f' joint {root}: {bones}')
    index = {c: j for j, (c, _) in enumerate(bones)}
    paths = torch.zeros(num_joints, len(bones))
    for v in range(num_joints):
        u, steps = v, 0
        while u != root:
            if u not in parent or steps > num_joints:
                raise ValueError(f'STEPGenDecoder: joint {v} has no path to '
                                 f'the root in {bones}')
            paths[v, index[u]] = 1.0
            u, steps = parent[u], steps + 1
    return bones, paths


def conv1x1(conv: nn.Conv2d, x: torch.Tensor,
            stride: int = 1) -> torch.Tensor:
    """``conv(x)`` of a 1x1 ``nn.Conv2d`` as one batched matrix product.

    The same linear map with the same weight and bias: ``(N, C_in, T, V)``
    -> ``(N, C_out, T', V)``, with ``T' = ceil(T / stride)`` (the conv's
    ``stride=(stride, 1)``, no padding). On the CPU, oneDNN's convolution,
    and above all its backward pass, is several times slower than
    ``baddbmm`` for these few-channel maps; the 1x1 convolutions were the
    largest cost of a STEP-Gen training step (docs/speed.md).
    """
    if stride > 1:
        x = x[:, :, ::stride]
    n, c, t, v = x.shape
    weight = conv.weight.view(1, conv.out_channels, c).expand(n, -1, -1)
    x = x.reshape(n, c, t * v)
    if conv.bias is None:
        y = torch.bmm(weight, x)
    else:
        y = torch.baddbmm(conv.bias.view(1, -1, 1), weight, x)
    return y.view(n, conv.out_channels, t, v)


class PointwiseConv2d(nn.Conv2d):
    """A 1x1 ``nn.Conv2d`` (stride only along time) computed by
    :func:`conv1x1`: same parameters, state-dict keys and initialisation,
    the same output up to float rounding."""

    def __init__(self, in_channels: int, out_channels: int,
                 stride: int = 1, bias: bool = True) -> None:
        super().__init__(
            in_channels, out_channels, 1, stride=(stride, 1), bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv1x1(self, x, self.stride[0])


class STEPGenBlock(STGCNBlock):
    """mmaction2's :class:`STGCNBlock` (``unit_gcn`` with ``'importance'``
    edge weights, ``unit_tcn`` with a 9-frame kernel) with its 1x1
    convolutions computed by :func:`conv1x1` and, where it has fewer input
    than output channels, its graph convolution aggregating first (see
    :meth:`_graph_conv`). The 9-frame temporal conv stays oneDNN's.

    Same modules, parameters and state-dict keys as ``STGCNBlock``; the
    output equals ``STGCNBlock.forward`` up to float rounding.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        A (torch.Tensor): ``(K, V, V)`` adjacency.
        stride (int): Temporal stride. Defaults to 1.
        residual (bool): Residual branch. Defaults to True.
        dropout (float): Dropout of the temporal unit. Defaults to 0.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 A: torch.Tensor,
                 stride: int = 1,
                 residual: bool = True,
                 dropout: float = 0.0) -> None:
        super().__init__(
            in_channels, out_channels, A, stride=stride, residual=residual,
            tcn_dropout=dropout)
        self.stride = stride
        # what the forward below assumes of mmaction's units
        assert self.gcn.adaptive == 'importance'
        assert self.gcn.conv_pos == 'pre' and not self.gcn.with_res
        assert self.gcn.conv.kernel_size == (1, 1)
        self.has_residual = residual
        self.residual_conv = isinstance(self.residual, nn.Module)
        if self.residual_conv:
            assert self.residual.conv.kernel_size == (1, 1)

    def _graph_conv(self, x: torch.Tensor) -> torch.Tensor:
        """``unit_gcn``'s ``einsum(conv(x), A * PA)``, before its BN.

        Where the block has fewer input than output channels, the same
        linear map is computed aggregating over the graph first, on the
        ``K * C_in`` input maps, then applying the conv's weight regrouped
        to ``(C_out, K * C_in)`` (its bias summed through ``A``), so the
        ``K * C_out`` maps are never built.
        """
        gcn = self.gcn
        n, c_in, t, v = x.shape
        k = gcn.num_subsets
        c_out = gcn.out_channels
        A = gcn.A * gcn.PA
        if c_in >= c_out:
            y = conv1x1(gcn.conv, x).view(n, k, c_out, t, v)
            return torch.einsum('nkctv,kvw->nctw', y, A).contiguous()
        x, weight, bias = regroup_graph_conv(x, A, gcn.conv.weight,
                                             gcn.conv.bias)
        weight = weight[None].expand(n, -1, -1)
        bias = bias[:, None].expand(c_out, t, v).reshape(1, c_out, t * v)
        return torch.baddbmm(bias, weight, x.reshape(n, k * c_in, t * v)).view(
            n, c_out, t, v)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``relu(tcn(gcn(x)) + residual(x))`` as in ``STGCNBlock``."""
        gcn = self.gcn
        y = self.tcn(gcn.act(gcn.bn(self._graph_conv(x))))
        if self.residual_conv:
            res = self.residual
            y = y + res.drop(res.bn(conv1x1(res.conv, x, self.stride)))
        elif self.has_residual:
            y = y + x
        return self.relu(y)


def _tcn_length(T: int, stride: int, kernel_size: int = 9) -> int:
    """Output length of mmaction's ``unit_tcn`` (padding ``(k - 1) // 2``).
    """
    pad = (kernel_size - 1) // 2
    return (T + 2 * pad - kernel_size) // stride + 1


@MODELS.register_module()
class STEPGenEncoder(BaseModule):
    """ST-GCN encoder of a gait and its emotion, to a Gaussian posterior.

    The one-hot emotion is broadcast over frames and joints and concatenated
    to the joint coordinates as extra channels. ST-GCN blocks (mmaction2's
    :class:`STGCNBlock` on the E-Gait graph) downsample time; the features
    are averaged over joints, and the remaining ``(C, T')`` map (which keeps
    the phase of the gait, needed to reconstruct it) is projected to the
    mean and log-variance of the latent code.

    Args:
        graph_cfg (dict): Graph of mmaction2's ``Graph``. Defaults to the
            E-Gait layout, ``'stgcn_spatial'`` mode.
        in_channels (int): Coordinates per joint. Defaults to 3.
        num_classes (int): Number of emotions. Defaults to 4.
        num_frames (int): Input length. Defaults to 75.
        latent_dim (int): Latent size. Defaults to 32.
        channels (Sequence[int]): Output channels of each ST-GCN block.
            Defaults to ``(32, 64, 64)``.
        strides (Sequence[int]): Temporal stride of each block.
            Defaults to ``(2, 2, 1)``.
        head_channels (int): Channels kept per frame and joint before the
            projection to the latent. Defaults to 8.
        dropout (float): Dropout in the temporal units. Defaults to 0.
        init_cfg (dict or list[dict], optional): Defaults to None.

    Examples:
        >>> import torch
        >>> enc = STEPGenEncoder()
        >>> mu, logvar = enc(torch.randn(2, 75, 16, 3), torch.eye(4)[:2])
        >>> mu.shape, logvar.shape
        (torch.Size([2, 32]), torch.Size([2, 32]))
    """

    def __init__(self,
                 graph_cfg: dict = _GRAPH,
                 in_channels: int = 3,
                 num_classes: int = 4,
                 num_frames: int = 75,
                 latent_dim: int = 32,
                 channels: Sequence[int] = (32, 48, 48),
                 strides: Sequence[int] = (2, 2, 1),
                 head_channels: int = 8,
                 dropout: float = 0.0,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(channels) != len(strides) or not channels:
            raise ValueError('STEPGenEncoder: channels and strides must be '
                             f'non-empty and equally long, got {channels} '
                             f'and {strides}')
        A = _adjacency(graph_cfg)
        self.num_joints = A.shape[-1]
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_frames = num_frames
        self.latent_dim = latent_dim
        self.data_bn = nn.BatchNorm1d(in_channels * self.num_joints)
        blocks = []
        c_in, T = in_channels + num_classes, num_frames
        for i, (c_out, s) in enumerate(zip(channels, strides)):
            blocks.append(
                STEPGenBlock(
                    c_in, c_out, A.clone(), stride=s, residual=i > 0,
                    dropout=dropout))
            c_in, T = c_out, _tcn_length(T, s)
        self.blocks = ModuleList(blocks)
        self.out_frames = T
        self.reduce = PointwiseConv2d(c_in, head_channels)
        self.head = nn.Linear(head_channels * T * self.num_joints,
                              2 * latent_dim)
        self.logvar_bound = 10.0

    def forward(self, gaits: torch.Tensor,
                onehot: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Encode gaits.

        Args:
            gaits (torch.Tensor): ``(N, T, V, C)`` joint positions.
            onehot (torch.Tensor): ``(N, num_classes)`` emotions.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: ``mu`` and ``logvar``, each
            ``(N, latent_dim)``.
        """
        N, T, V, C = gaits.shape
        if (T, V, C) != (self.num_frames, self.num_joints, self.in_channels):
            raise ValueError(
                f'STEPGenEncoder expects gaits (N, {self.num_frames}, '
                f'{self.num_joints}, {self.in_channels}), got '
                f'{tuple(gaits.shape)} (use GaitToLength(clip_len='
                f'{self.num_frames}) in the pipeline)')
        x = skeleton_to_maps(gaits[:, None], self.data_bn)  # (N, C, T, V)
        cond = onehot.to(x.dtype)[:, :, None, None].expand(-1, -1, T, V)
        x = torch.cat([x, cond], 1)  # (N, C + K, T, V)
        for block in self.blocks:
            x = block(x)
        x = self.reduce(x).flatten(1)  # keep time and joints
        mu, logvar = self.head(x).chunk(2, dim=1)
        # a soft bound (|logvar| < 10) keeps an early bad step from
        # sampling codes of size exp(huge)
        return mu, self.logvar_bound * torch.tanh(logvar / self.logvar_bound)


@MODELS.register_module()
class STEPGenDecoder(BaseModule):
    """ST-GCN decoder of a latent code and an emotion, to a gait.

    ``[z, one-hot]`` is projected to a ``(seed_channels, T0, V)`` seed and
    added to a learned spatio-temporal positional embedding of the same
    shape, so every frame and joint starts from its own code. ST-GCN blocks
    run at the lengths in ``frames`` (linear temporal upsampling between
    them). The root joint is fixed at the origin. Two output heads:

    - ``'positions'``: a 1x1 convolution gives each joint's offset from the
      reference pose;
    - ``'kinematic'``: the 1x1 convolution gives, for every bone, a change
      of its reference direction (normalised to a unit vector per frame),
      and a linear layer of ``[z, one-hot]`` gives the gait's bone lengths
      (the reference lengths times ``exp(0.5 tanh(.))``, i.e. 0.6 to 1.65
      times, constant over time); joints
      are placed along the skeleton tree from the root. Bones are rigid by
      construction, so the decoder needs not trade motion for rigidity.

    Args:
        graph_cfg (dict): Graph of mmaction2's ``Graph``. Defaults to the
            E-Gait layout, ``'stgcn_spatial'`` mode.
        out_channels (int): Coordinates per joint. Defaults to 3.
        num_classes (int): Number of emotions. Defaults to 4.
        latent_dim (int): Latent size. Defaults to 32.
        seed_channels (int): Channels of the seed. Defaults to 16.
        channels (Sequence[int]): Output channels of each ST-GCN block.
            Defaults to ``(48, 32, 16)``.
        frames (Sequence[int]): Temporal length each block runs at; the
            first is the seed length, the last the output length.
            Defaults to ``(19, 38, 75)``.
        output_mode (str): ``'positions'`` or ``'kinematic'``.
            Defaults to ``'positions'``.
        dropout (float): Dropout in the temporal units. Defaults to 0.
        init_cfg (dict or list[dict], optional): Defaults to None.

    Examples:
        >>> import torch
        >>> dec = STEPGenDecoder()
        >>> dec(torch.randn(2, 32), torch.eye(4)[:2]).shape
        torch.Size([2, 75, 16, 3])
    """

    def __init__(self,
                 graph_cfg: dict = _GRAPH,
                 out_channels: int = 3,
                 num_classes: int = 4,
                 latent_dim: int = 32,
                 seed_channels: int = 16,
                 channels: Sequence[int] = (48, 32, 16),
                 frames: Sequence[int] = (19, 38, 75),
                 output_mode: str = 'positions',
                 dropout: float = 0.0,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        check_choice('output_mode', output_mode, ('positions', 'kinematic'),
                     'STEPGenDecoder')
        if len(channels) != len(frames) or not channels:
            raise ValueError('STEPGenDecoder: channels and frames must be '
                             f'non-empty and equally long, got {channels} '
                             f'and {frames}')
        A = _adjacency(graph_cfg)
        V = A.shape[-1]
        self.num_joints = V
        self.out_channels = out_channels
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.frames = tuple(int(t) for t in frames)
        self.num_frames = self.frames[-1]
        c0, t0 = seed_channels, self.frames[0]
        self.seed_channels = c0
        self.project = nn.Linear(latent_dim + num_classes, c0 * t0 * V)
        self.pos_embed = nn.Parameter(torch.zeros(1, c0, t0, V))
        nn.init.normal_(self.pos_embed, std=0.02)
        blocks = []
        c_in = c0
        for c_out in channels:
            blocks.append(
                STEPGenBlock(c_in, c_out, A.clone(), dropout=dropout))
            c_in = c_out
        self.blocks = ModuleList(blocks)
        self.out = PointwiseConv2d(c_in, out_channels)
        nn.init.normal_(self.out.weight, std=1e-3)
        nn.init.zeros_(self.out.bias)
        if out_channels == 3 and V == len(REFERENCE_POSE):
            base = torch.from_numpy(REFERENCE_POSE.copy())
        else:
            base = torch.zeros(V, out_channels)
        self.register_buffer('base_pose', base, persistent=False)
        root_mask = torch.ones(V, 1)
        root_mask[0] = 0
        self.register_buffer('root_mask', root_mask, persistent=False)
        self.output_mode = output_mode
        if output_mode == 'kinematic':
            if out_channels != 3:
                raise ValueError("STEPGenDecoder(output_mode='kinematic') "
                                 'needs out_channels=3')
            bones, paths = _kinematic_tree(graph_cfg, V)
            self.bone_child = [c for c, _ in bones]
            ref = base[self.bone_child] - base[[p for _, p in bones]]
            ref_len = ref.norm(dim=-1).clamp_min(1e-3)
            self.register_buffer('bone_paths', paths, persistent=False)
            self.register_buffer('ref_dir', ref / ref_len[:, None],
                                 persistent=False)
            self.register_buffer('ref_len', ref_len, persistent=False)
            self.length_head = nn.Linear(latent_dim + num_classes,
                                         len(bones))
            nn.init.zeros_(self.length_head.weight)
            nn.init.zeros_(self.length_head.bias)

    def forward(self,
                z: torch.Tensor,
                onehot: torch.Tensor,
                num_frames: Optional[int] = None) -> torch.Tensor:
        """Decode latent codes.

        Args:
            z (torch.Tensor): ``(N, latent_dim)``.
            onehot (torch.Tensor): ``(N, num_classes)`` emotions.
            num_frames (int, optional): Output length; None uses
                ``frames[-1]``.

        Returns:
            torch.Tensor: ``(N, T, V, C)`` joint positions, root at 0.
        """
        N = z.shape[0]
        frames = list(self.frames)
        if num_frames is not None:
            if num_frames < 2:
                raise ValueError(f'STEPGenDecoder: num_frames must be >= 2,'
                                 f' got {num_frames}')
            frames[-1] = int(num_frames)
        cond = torch.cat([z, onehot.to(z.dtype)], 1)
        code = self.project(cond)
        x = code.view(N, self.seed_channels, frames[0],
                      self.num_joints) + self.pos_embed
        for block, T in zip(self.blocks, frames):
            if x.shape[2] != T:
                x = F.interpolate(
                    x, size=(T, self.num_joints), mode='bilinear',
                    align_corners=False)
            x = block(x)
        x = self.out(x).permute(0, 2, 3, 1)  # (N, T, V, C)
        if self.output_mode == 'positions':
            return (x + self.base_pose) * self.root_mask
        # kinematic: unit bone directions, per-gait lengths, tree sums
        direction = x[:, :, self.bone_child] + self.ref_dir  # (N, T, B, 3)
        direction = direction / torch.sqrt(
            (direction**2).sum(-1, keepdim=True) + 1e-8)
        scale = torch.exp(0.5 * torch.tanh(self.length_head(cond)))
        length = self.ref_len * scale  # (N, B)
        bones = direction * length[:, None, :, None]
        return torch.einsum('vb,ntbc->ntvc', self.bone_paths, bones)
