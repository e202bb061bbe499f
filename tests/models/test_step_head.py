# Copyright (c) step_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmaction.models import AAGCN, STGCN
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

from step_mm.models import STEPHead
from step_mm.skeleton import EGAIT_LAYOUT

GRAPH = dict(layout=EGAIT_LAYOUT, mode='stgcn_spatial')


def _samples(n, num_affective=29, seed=0):
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(n):
        sample = ActionDataSample().set_gt_labels(i % 4)
        sample.affective_feats = torch.from_numpy(
            rng.normal(5., 3., num_affective).astype(np.float32))
        samples.append(sample)
    return samples


def _head(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='STEPHead', num_classes=4, in_channels=64)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    assert isinstance(head, STEPHead)
    head.init_weights()
    return head


def test_loss():
    head = _head()
    feats = torch.randn(4, 1, 64, 19, 16)
    losses = head.loss(feats, _samples(4))
    assert set(losses) == {'loss_cls', 'top1_acc'}
    assert torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    assert head.fc_hidden.weight.grad.abs().sum() > 0
    # the affective columns of the first layer take part
    assert head.fc_hidden.weight.grad[:, 64:].abs().sum() > 0


def test_predict_and_logits():
    head = _head(use_affective=True).eval()
    feats = torch.randn(3, 1, 64, 19, 16)
    samples = _samples(3)
    logits = head(feats, samples)
    assert logits.shape == (3, 4)
    assert not torch.allclose(logits.sum(1), torch.ones(3))  # no softmax

    results = head.predict(feats, samples)
    assert len(results) == 3
    for res, row in zip(results, logits):
        assert res.pred_scores.item.shape == (4, )
        torch.testing.assert_close(res.pred_scores.item.sum(),
                                   torch.tensor(1.))
        torch.testing.assert_close(res.pred_scores.item, row.softmax(0))
        assert res.pred_labels.item.item() == row.argmax().item()


def test_clips_repeat_affective_features():
    head = _head().eval()
    samples = _samples(2)
    feats = torch.randn(4, 1, 64, 10, 16)  # 2 samples x 2 clips
    logits = head(feats, samples)
    for row, sample in zip(range(4), (0, 0, 1, 1)):
        single = head(feats[row:row + 1], samples[sample:sample + 1])
        torch.testing.assert_close(logits[row:row + 1], single)
    results = head.predict(feats, samples)
    assert len(results) == 2
    expected = logits.view(2, 2, 4).softmax(-1).mean(1)
    torch.testing.assert_close(results[1].pred_scores.item, expected[1])


def test_baseline():
    head = _head(use_affective=False)
    assert head.bn.num_features == 64
    assert not hasattr(head, 'aff_mean')
    feats = torch.randn(4, 2, 64, 19, 16)
    assert head(feats).shape == (4, 4)
    samples = [ActionDataSample().set_gt_labels(i) for i in range(4)]
    assert torch.isfinite(head.loss(feats, samples)['loss_cls'])
    with pytest.raises(RuntimeError, match='use_affective=True'):
        head.set_affective_stats(torch.zeros(29), torch.ones(29))


def test_linear_head():
    """``hidden_channels=0``: BN -> Dropout -> Linear on the fused
    features, i.e. logits affine in the standardised inputs."""
    head = _head(hidden_channels=0, num_affective=5).eval()
    assert head.fc_cls.in_features == 64 + 5
    assert isinstance(head.fc_hidden, torch.nn.Identity)
    feats = torch.randn(3, 1, 64, 19, 16)
    samples = _samples(3, num_affective=5)
    logits = head(feats, samples)
    fused = torch.cat([
        feats.mean(dim=(1, 3, 4)),
        torch.stack([s.affective_feats for s in samples])
    ], 1)
    expected = head.fc_cls(head.bn(fused))
    torch.testing.assert_close(logits, expected)
    head.train()
    loss = head.loss(feats, samples)['loss_cls']
    loss.backward()
    assert head.fc_cls.weight.grad.abs().sum() > 0


def test_errors():
    head = _head()
    feats = torch.randn(2, 1, 64, 5, 16)
    samples = _samples(2)
    with pytest.raises(ValueError, match='needs the data samples'):
        head(feats)
    missing = [samples[0], ActionDataSample().set_gt_labels(1)]
    with pytest.raises(ValueError, match='data sample 1 has no'):
        head.loss(feats, missing)
    with pytest.raises(ValueError, match='expected num_affective=29'):
        head.predict(feats, _samples(2, num_affective=28))
    bad = _samples(2)
    bad[1].affective_feats[3] = float('nan')
    with pytest.raises(ValueError, match=r'NaN or inf in data samples \[1\]'):
        head(feats, bad)
    bad[1].affective_feats[3] = float('inf')
    with pytest.raises(ValueError, match='NaN or inf'):
        head(feats, bad)
    with pytest.raises(ValueError, match='C=64'):
        head(torch.randn(2, 1, 32, 5, 16), samples)


def test_standardisation_buffers():
    head = _head().eval()
    assert not head.aff_fitted
    torch.testing.assert_close(head.aff_mean, torch.zeros(29))
    torch.testing.assert_close(head.aff_std, torch.ones(29))

    feats = torch.randn(3, 1, 64, 7, 16)
    samples = _samples(3)
    mean = torch.linspace(-1., 6., 29)
    std = torch.linspace(0.5, 4., 29)
    head.set_affective_stats(mean, std)
    assert head.aff_fitted
    scaled = head(feats, samples)

    manual = _samples(3)
    for s in manual:
        s.affective_feats = (s.affective_feats - mean) / std
    head.set_affective_stats(torch.zeros(29), torch.ones(29))
    torch.testing.assert_close(head(feats, manual), scaled)
    assert not torch.allclose(head(feats, samples), scaled)

    # the floor keeps a constant feature finite; stats go to checkpoints
    head.set_affective_stats(np.zeros(29), np.zeros(29))
    assert (head.aff_std == head.std_floor).all()
    state = head.state_dict()
    assert {'aff_mean', 'aff_std', 'aff_fitted'} <= set(state)
    fresh = _head()
    fresh.load_state_dict(state)
    assert fresh.aff_fitted and (fresh.aff_std == head.std_floor).all()
    with pytest.raises(ValueError, match='28 values'):
        head.set_affective_stats(torch.zeros(28), torch.ones(28))


@pytest.mark.parametrize('backbone_type', ['STGCN', 'AAGCN'])
def test_on_mmaction_backbones(backbone_type):
    torch.manual_seed(0)
    if backbone_type == 'STGCN':
        backbone = STGCN(graph_cfg=GRAPH)
    else:  # a short AAGCN, still ending in 256 channels
        backbone = AAGCN(
            graph_cfg=GRAPH,
            num_stages=3,
            inflate_stages=[2, 3],
            down_stages=[2])
    feats = backbone(torch.randn(2, 2, 12, 16, 3))  # two persons
    assert feats.shape[2] == 256
    head = _head(in_channels=256)
    samples = _samples(2)
    assert torch.isfinite(head.loss(feats, samples)['loss_cls'])
    results = head.predict(feats.detach(), samples)
    assert results[0].pred_scores.item.shape == (4, )
