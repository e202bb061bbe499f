# Copyright (c) step_mm contributors. All rights reserved.
"""CTR-GCN: output shapes (the docstring example), the channel-wise
refinement, and the house recognizer / heads around it."""
import doctest

import pytest
import torch
from mmaction.registry import MODELS

from step_mm.models import CTRGCN
from step_mm.models.backbones import ctrgcn as ctrgcn_module
from step_mm.models.backbones.ctrgcn import CTRGC, MultiScaleTCN
from step_mm.skeleton import EGAIT_LAYOUT

pytestmark = pytest.mark.filterwarnings('ignore:TF32 acceleration')
GRAPH = dict(layout=EGAIT_LAYOUT, mode='spatial')


def test_docstring_example():
    torch.manual_seed(0)
    res = doctest.testmod(ctrgcn_module, optionflags=doctest.ELLIPSIS)
    assert res.attempted >= 8 and res.failed == 0


@pytest.mark.parametrize('num_frames,expected_t', [(100, 25), (48, 12),
                                                   (75, 19), (8, 2), (1, 1)])
def test_paper_network_shapes(num_frames, expected_t):
    model = CTRGCN(graph_cfg=GRAPH, num_person=1)
    model.init_weights()
    out = model(torch.randn(2, 1, num_frames, 16, 3))
    assert out.shape == (2, 1, 256, expected_t, 16)
    widths = [b.tcn.pointwise[0].out_channels * 4 for b in model.gcn]
    assert widths == [64] * 4 + [128] * 3 + [256] * 3


@pytest.mark.parametrize('num_frames', [48, 5, 2])
def test_small_network_trains_for_any_length(num_frames):
    """Dilated 5-frame kernels over 2 frames: forward and backward run
    (LongTemporalConv) and every parameter gets a gradient."""
    torch.manual_seed(num_frames)
    model = CTRGCN(
        graph_cfg=GRAPH,
        base_channels=8,
        num_stages=4,
        inflate_stages=[3],
        down_stages=[3, 4],
        num_person=2,
        data_bn_type='MVC')
    model.init_weights()
    for block in model.gcn:
        block.gcn.gc.alpha.data.fill_(0.5)  # let xi get a gradient
    x = torch.randn(3, 2, num_frames, 16, 3)
    out = model(x)
    t = num_frames
    for _ in range(2):
        t = (t - 1) // 2 + 1
    assert out.shape == (3, 2, 16, t, 16)
    out.square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


def test_alpha_zero_is_a_graph_conv_on_the_learned_topology():
    torch.manual_seed(0)
    A = torch.rand(3, 16, 16)
    gc = CTRGC(8, 12, A)
    x = torch.randn(2, 8, 10, 16)
    feats = gc.transform(x).view(2, 3, 12, 10, 16)
    expected = torch.einsum('nkctu,kuv->nctv', feats, A)
    assert torch.allclose(gc(x), expected, atol=1e-5)
    # with alpha != 0 every channel gets its own topology, which depends
    # on the sample
    gc.alpha.data.fill_(1.)
    R = gc.topology(x)
    assert R.shape == (2, 3, 12, 16, 16)
    assert not torch.allclose(R[:, :, 0], R[:, :, 1])
    assert not torch.allclose(R[0], R[1])
    assert gc.rel_channels == 8  # max(8 // 8, 8)
    assert CTRGC(128, 8, A).rel_channels == 16


def test_bad_arguments():
    with pytest.raises(ValueError, match='multiple of the 4 branches'):
        MultiScaleTCN(8, 10)
    with pytest.raises(ValueError, match='data_bn_type'):
        CTRGCN(graph_cfg=GRAPH, data_bn_type='VCM')


@pytest.mark.parametrize('head', ['GCNHead', 'STEPHead'])
def test_in_recognizer_gcn(head):
    cls_head = dict(type=head, num_classes=4, in_channels=16, topk=(1, ))
    if head == 'STEPHead':
        cls_head.update(use_affective=False)
    model = MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=dict(
                type='CTRGCN',
                graph_cfg=GRAPH,
                base_channels=16,
                num_stages=3,
                num_person=1),
            cls_head=cls_head))
    from mmaction.structures import ActionDataSample
    samples = [ActionDataSample().set_gt_labels(i) for i in (0, 3)]
    # (N, num_clips, M, T, V, C), as PackActionInputs gives it
    inputs = torch.randn(2, 1, 1, 24, 16, 3)
    model.train()
    losses = model(inputs, samples, mode='loss')
    assert torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    model.eval()
    with torch.no_grad():
        preds = model(inputs, samples, mode='predict')
    for p in preds:
        assert p.pred_scores.item.shape == (4, )
        assert torch.isclose(p.pred_scores.item.sum(), torch.tensor(1.))
