# Copyright (c) step_mm contributors. All rights reserved.
import doctest

import pytest
import torch
import torch.nn as nn
from mmaction.registry import MODELS

from step_mm.models import STEPGCN, LongTemporalConv
from step_mm.models.backbones import step_gcn
from step_mm.skeleton import EGAIT_LAYOUT


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    model = STEPGCN()
    model.init_weights()
    return model


@pytest.mark.parametrize('num_frames,out_frames', [(8, 2), (19, 5), (38, 10),
                                                   (48, 12), (75, 19),
                                                   (240, 60)])
def test_output_shape(model, num_frames, out_frames):
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, 1, num_frames, 16, 3))
    assert out.shape == (2, 1, 64, out_frames, 16)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize('num_frames', [8, 38, 75])
def test_backward(model, num_frames):
    # the temporal kernel (75) is longer than the features here: plain
    # oneDNN Conv2d would corrupt the heap in this backward pass
    model.train()
    model.zero_grad()
    x = torch.randn(3, 1, num_frames, 16, 3, requires_grad=True)
    model(x).square().mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
    assert model.gcn[2].tcn[2].weight.grad.abs().sum() > 0


def test_docstring_examples():
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    (test, ) = finder.find(step_gcn.STEPGCN, 'STEPGCN', globs={})
    assert test.examples
    result = runner.run(test)
    assert result.failed == 0


def test_structure():
    model = MODELS.build(dict(type='STEPGCN'))
    assert isinstance(model, STEPGCN)
    assert model.data_bn.num_features == 16 * 3
    assert [b.gcn.out_channels for b in model.gcn] == [32 * 3, 64 * 3, 64 * 3]
    assert [b.tcn[2].stride for b in model.gcn] == [1, 2, 2]
    for block in model.gcn:
        conv = block.tcn[2]
        assert isinstance(conv, LongTemporalConv)
        assert conv.weight.shape[2:] == (75, 1)
        assert block.A.shape == (3, 16, 16)
        assert torch.equal(block.edge_importance.data, torch.ones(3, 16, 16))
    assert model.gcn[0].residual is None
    assert isinstance(model.gcn[1].residual, nn.Sequential)
    assert isinstance(model.gcn[2].residual, nn.Sequential)

    identity = STEPGCN(channels=(32, 32), strides=(1, 1))
    assert isinstance(identity.gcn[1].residual, nn.Identity)


def test_edge_importance_is_used():
    torch.manual_seed(0)
    model = STEPGCN(channels=(8, 8), strides=(1, 2), temporal_kernel_size=9)
    model.eval()
    x = torch.randn(2, 1, 20, 16, 3)
    with torch.no_grad():
        before = model(x)
        model.gcn[0].edge_importance.mul_(2.)
        after = model(x)
    assert not torch.allclose(before, after)

    fixed = STEPGCN(edge_importance_weighting=False)
    assert all(b.edge_importance is None for b in fixed.gcn)
    assert not any('edge_importance' in n for n, _ in fixed.named_parameters())


def test_options():
    model = STEPGCN(
        graph_cfg=dict(layout=EGAIT_LAYOUT, mode='stgcn_spatial'),
        in_channels=2,
        channels=(16, 24),
        strides=(2, 1),
        temporal_kernel_size=9,
        dropout=0.5)
    out = model(torch.randn(2, 2, 30, 16, 2))
    assert out.shape == (2, 2, 24, 15, 16)
    assert model.out_channels == 24
    with pytest.raises(ValueError, match='same length'):
        STEPGCN(channels=(32, 64), strides=(1, 2, 2))
    with pytest.raises(ValueError, match='odd'):
        STEPGCN(temporal_kernel_size=74)


def test_persons_are_independent():
    torch.manual_seed(0)
    model = STEPGCN(temporal_kernel_size=9)
    model.eval()
    x = torch.randn(2, 2, 20, 16, 3)
    with torch.no_grad():
        both = model(x)
        first = model(x[:, :1])
    torch.testing.assert_close(both[:, :1], first, rtol=1e-4, atol=1e-5)
