# Copyright (c) step_mm contributors. All rights reserved.
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.optim import OptimWrapper


def _batch(num_samples=4, num_frames=75, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(num_samples):
        inputs.append(torch.randn(1, 1, num_frames, 16, 3, generator=gen))
        sample = ActionDataSample().set_gt_labels(i % 4)
        sample.affective_feats = torch.randn(29, generator=gen) * 3 + 5
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('cls_head', [
    dict(type='STEPHead', num_classes=4, in_channels=64),
    dict(type='STEPHead', num_classes=4, in_channels=64, use_affective=False),
    dict(type='GCNHead', num_classes=4, in_channels=64),
])
def test_train_and_test_step(cls_head):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=dict(type='STEPGCN'),
            cls_head=cls_head))
    model.init_weights()
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    before = model.backbone.gcn[2].tcn[2].weight.detach().clone()

    losses = model.train_step(_batch(), optim_wrapper)
    assert torch.isfinite(losses['loss_cls'])
    assert not torch.equal(before, model.backbone.gcn[2].tcn[2].weight)

    results = model.test_step(_batch(seed=1))
    assert len(results) == 4
    for res in results:
        assert res.pred_scores.item.shape == (4, )
        torch.testing.assert_close(res.pred_scores.item.sum(),
                                   torch.tensor(1.))
