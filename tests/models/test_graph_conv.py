# Copyright (c) step_mm contributors. All rights reserved.
"""The graph-convolution pieces shared by STEP's ST-GCN, CTR-GCN and
STEP-Gen: the block residual and the data BatchNorm."""
import pytest
import torch
import torch.nn as nn

from step_mm.models import CTRGCN, STEPGCN
from step_mm.models.generators.stepgen_modules import STEPGenEncoder
from step_mm.models.utils import (regroup_graph_conv, residual_branch,
                                  skeleton_to_maps)
from step_mm.skeleton import EGAIT_LAYOUT


def test_residual_branch_kinds():
    assert residual_branch(8, 8, 1, residual=False) is None
    assert residual_branch(8, 16, 2, residual=False) is None
    assert isinstance(residual_branch(8, 8), nn.Identity)
    for c_in, c_out, stride in ((8, 16, 1), (8, 8, 2), (3, 16, 2)):
        branch = residual_branch(c_in, c_out, stride)
        assert isinstance(branch, nn.Sequential)
        assert list(branch.state_dict()) == [
            '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean',
            '1.running_var', '1.num_batches_tracked'
        ]
        conv, bn = branch
        assert conv.weight.shape == (c_out, c_in, 1, 1)
        assert conv.stride == (stride, 1) and bn.num_features == c_out
        x = torch.randn(2, c_in, 9, 16)
        assert branch(x).shape == (2, c_out, (9 - 1) // stride + 1, 16)


def test_skeleton_to_maps_layout():
    x = torch.randn(2, 3, 10, 16, 3)  # N M T V C
    out = skeleton_to_maps(x, nn.Identity())
    assert out.shape == (6, 3, 10, 16) and out.is_contiguous()
    # (n, m) -> n * M + m; the channel axis is the coordinate
    torch.testing.assert_close(out[1 * 3 + 2], x[1, 2].permute(2, 0, 1))


def test_skeleton_to_maps_normalises_each_joint_coordinate():
    bn = nn.BatchNorm1d(16 * 3, affine=False)
    x = torch.randn(4, 2, 30, 16, 3) * torch.arange(1., 4.) + 5.
    out = skeleton_to_maps(x, bn.train())
    # every (coordinate, joint) over samples, persons and frames
    mean = out.mean(dim=(0, 2))
    std = out.std(dim=(0, 2), unbiased=False)
    torch.testing.assert_close(mean, torch.zeros(3, 16), atol=1e-5, rtol=0)
    torch.testing.assert_close(std, torch.ones(3, 16), atol=1e-3, rtol=0)
    ref = (x - x.mean((0, 1, 2))) / torch.sqrt(
        x.var((0, 1, 2), unbiased=False) + bn.eps)
    torch.testing.assert_close(out, ref.reshape(8, 30, 16, 3).permute(
        0, 3, 1, 2), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('residual', [True, False])
def test_blocks_use_the_branch(residual):
    A = torch.rand(3, 16, 16)
    step = STEPGCN(
        channels=(8, 16), strides=(1, 2), temporal_kernel_size=9).gcn[1]
    assert isinstance(step.residual, nn.Sequential)
    assert step.residual[0].stride == (2, 1)
    ctr = CTRGCN(
        dict(layout=EGAIT_LAYOUT, mode='spatial'),
        base_channels=8,
        num_stages=2,
        num_person=1)
    assert ctr.gcn[0].residual is None  # the first block has none
    assert isinstance(ctr.gcn[1].residual, nn.Identity)
    assert isinstance(ctr.gcn[0].gcn.down, nn.Sequential)  # 3 -> 8
    assert isinstance(ctr.gcn[1].gcn.down, nn.Identity)
    from step_mm.models.backbones.step_gcn import STEPGCNBlock
    block = STEPGCNBlock(8, 8, A, temporal_kernel_size=9, residual=residual)
    x = torch.randn(2, 8, 12, 16)
    y = block(x)
    block.residual = None
    assert torch.equal(y, block(x)) != residual


def test_backbones_open_with_the_data_bn():
    torch.manual_seed(0)
    x = torch.randn(2, 1, 20, 16, 3)
    model = STEPGCN(channels=(8, ), strides=(1, ), temporal_kernel_size=9)
    model.eval()
    model.gcn = nn.ModuleList()  # only the data BN is left
    expected = skeleton_to_maps(x, model.data_bn)
    torch.testing.assert_close(
        model(x), expected.reshape((2, 1) + expected.shape[1:]))
    enc = STEPGenEncoder().eval()
    gaits = torch.randn(2, 75, 16, 3)
    maps = skeleton_to_maps(gaits[:, None], enc.data_bn)
    assert maps.shape == (2, 3, 75, 16)
    torch.testing.assert_close(
        maps, enc.data_bn(gaits.flatten(2).transpose(1, 2)).view(
            2, 16, 3, 75).permute(0, 2, 3, 1))


@pytest.mark.parametrize('with_bias', [True, False])
def test_regroup_graph_conv_equals_conv_then_aggregate(with_bias):
    torch.manual_seed(0)
    k, c_in, c_out, t, v = 3, 4, 6, 7, 16
    conv = nn.Conv2d(c_in, k * c_out, 1, bias=with_bias)
    A = torch.rand(k, v, v)
    x = torch.randn(2, c_in, t, v)
    expected = torch.einsum('nkctv,kvw->nctw',
                            conv(x).view(2, k, c_out, t, v), A)
    agg, weight, bias = regroup_graph_conv(x, A, conv.weight, conv.bias)
    assert agg.shape == (2, k * c_in, t, v)
    assert weight.shape == (c_out, k * c_in)
    assert (bias is None) != with_bias
    y = torch.einsum('oi,nitv->notv', weight, agg)
    if bias is not None:
        assert bias.shape == (c_out, v)
        y = y + bias[:, None]
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=1e-5)
    # group k of the aggregated input is x summed through A[k]
    torch.testing.assert_close(
        agg[:, c_in:2 * c_in], torch.einsum('nctv,vw->nctw', x, A[1]))


def test_both_graph_conv_orders_agree_in_the_blocks():
    from step_mm.models.backbones.step_gcn import STEPGCNBlock
    from step_mm.models.generators.stepgen_modules import STEPGenBlock
    torch.manual_seed(0)
    A = torch.rand(3, 16, 16)
    x = torch.randn(2, 4, 12, 16)
    block = STEPGCNBlock(4, 8, A, temporal_kernel_size=9).eval()
    fast = block(x)
    block.aggregate_first = False
    torch.testing.assert_close(fast, block(x), atol=1e-5, rtol=1e-5)
    gen = STEPGenBlock(4, 8, A).eval()
    plain = torch.einsum('nkctv,kvw->nctw',
                         gen.gcn.conv(x).view(2, 3, 8, 12, 16),
                         gen.gcn.A * gen.gcn.PA)
    torch.testing.assert_close(gen._graph_conv(x), plain, atol=1e-5,
                               rtol=1e-5)
