# Copyright (c) step_mm contributors. All rights reserved.
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmaction.registry import HOOKS, MODELS
from mmaction.structures import ActionDataSample
from mmengine.dataset import BaseDataset, RepeatDataset

from step_mm.engine.hooks import FitAffectiveStatsHook


class _Logger:

    def __init__(self):
        self.messages = []

    def info(self, msg):
        self.messages.append(msg)


class _Dataset(BaseDataset):
    """Items as PackActionInputs returns them; counts the reads."""

    def __init__(self, feats):  # no annotation file to load
        self.feats = feats
        self.reads = 0

    @property
    def metainfo(self):
        return {}

    def __len__(self):
        return len(self.feats)

    def __getitem__(self, idx):
        self.reads += 1
        sample = ActionDataSample().set_gt_labels(0)
        if self.feats[idx] is not None:
            sample.affective_feats = torch.from_numpy(self.feats[idx])
        return dict(inputs=torch.zeros(1, 1, 8, 16, 3), data_samples=sample)


class _Wrapper(nn.Module):
    """Stands for a DDP wrapper: the model is ``.module``."""

    def __init__(self, module):
        super().__init__()
        self.module = module


def _feats(n=7, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(np.arange(29),
                   np.arange(29) + 1.).astype(np.float32) for _ in range(n)
    ]


def _runner(head, dataset, wrap=False):
    model = nn.Module()
    if head is not None:
        model.cls_head = head
    return SimpleNamespace(
        model=_Wrapper(model) if wrap else model,
        train_dataloader=SimpleNamespace(dataset=dataset),
        logger=_Logger())


def _step_head(**kwargs):
    return MODELS.build(
        dict(type='STEPHead', num_classes=4, in_channels=64, **kwargs))


@pytest.mark.parametrize('wrap', [False, True])
def test_fits_on_training_set(wrap):
    feats = _feats()
    head = _step_head()
    runner = _runner(head, _Dataset(feats), wrap=wrap)
    hook = HOOKS.build(dict(type='FitAffectiveStatsHook'))
    assert isinstance(hook, FitAffectiveStatsHook)
    assert hook.priority == 'NORMAL'
    hook.before_train(runner)

    stacked = np.stack(feats).astype(np.float64)
    assert head.aff_fitted
    assert head.aff_mean.dtype == torch.float32
    np.testing.assert_allclose(
        head.aff_mean.numpy(), stacked.mean(0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(head.aff_std.numpy(), stacked.std(0), rtol=1e-6)
    assert len(runner.logger.messages) == 1
    assert 'on 7 training samples' in runner.logger.messages[0]


def test_keeps_resumed_stats():
    head = _step_head()
    head.set_affective_stats(torch.full((29, ), 3.), torch.full((29, ), 2.))
    dataset = _Dataset(_feats())
    runner = _runner(head, dataset)
    FitAffectiveStatsHook().before_train(runner)
    assert dataset.reads == 0
    assert (head.aff_mean == 3.).all() and (head.aff_std == 2.).all()
    assert 'keeping them' in runner.logger.messages[0]


def test_repeat_dataset_is_read_once():
    dataset = _Dataset(_feats(5))
    repeated = RepeatDataset(dataset, times=4, lazy_init=True)
    mean, std, num = FitAffectiveStatsHook.fit(repeated)
    assert num == 5 and dataset.reads == 5
    assert mean.dtype == np.float32 and std.shape == (29, )


@pytest.mark.parametrize('head', [None, nn.Linear(2, 2)])
def test_heads_without_stats(head):
    dataset = _Dataset(_feats())
    runner = _runner(head, dataset)
    FitAffectiveStatsHook().before_train(runner)
    assert dataset.reads == 0
    assert len(runner.logger.messages) == 1
    assert 'nothing to fit' in runner.logger.messages[0]


def test_baseline_head_is_skipped():
    dataset = _Dataset(_feats())
    runner = _runner(_step_head(use_affective=False), dataset)
    FitAffectiveStatsHook().before_train(runner)
    assert dataset.reads == 0
    assert 'does not use affective' in runner.logger.messages[0]


def test_bad_training_items():
    feats = _feats(3)
    feats[1] = None
    with pytest.raises(ValueError, match='item 1 has no `affective_feats`'):
        FitAffectiveStatsHook().before_train(
            _runner(_step_head(), _Dataset(feats)))
    feats = _feats(3)
    feats[2][0] = np.nan
    head = _step_head()
    with pytest.raises(ValueError, match='NaN or inf'):
        FitAffectiveStatsHook().before_train(_runner(head, _Dataset(feats)))
    assert not head.aff_fitted
    with pytest.raises(ValueError, match='empty'):
        FitAffectiveStatsHook.fit(_Dataset([]))


def test_fits_through_the_eval_pipeline_not_the_augmented_one(tiny_egait):
    """The statistics are those of the train gaits as val/test sees them."""
    from mmaction.registry import DATASETS
    from mmengine.config import Config

    from step_mm.cli import default_config
    cfg = Config.fromfile(default_config())
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = tiny_egait
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(
        dict(cfg.val_dataloader.dataset, subset='train'))  # train gaits
    expected = np.stack([
        val[i]['data_samples'].affective_feats.numpy().astype(np.float64)
        for i in range(len(val))
    ])
    head = MODELS.build(cfg.model.cls_head)
    runner = SimpleNamespace(
        model=SimpleNamespace(cls_head=head),
        train_dataloader=SimpleNamespace(dataset=train),
        cfg=cfg,
        logger=_Logger())
    torch.manual_seed(0)
    np.random.seed(0)
    FitAffectiveStatsHook().before_train(runner)
    assert 'through the val_dataloader pipeline' in runner.logger.messages[0]
    np.testing.assert_allclose(
        head.aff_mean.numpy(), expected.mean(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        head.aff_std.numpy(), expected.std(0), rtol=1e-4, atol=1e-5)
    # the augmented train items give other statistics (what the old hook fit)
    aug, _, _ = FitAffectiveStatsHook.fit(train)
    assert not np.allclose(aug, expected.mean(0), rtol=1e-3, atol=1e-4)
    # an explicit pipeline wins; without any, the train items are used
    mean, _, _ = FitAffectiveStatsHook.fit(
        train, FitAffectiveStatsHook(cfg.test_pipeline)._eval_pipeline(
            runner)[0])
    np.testing.assert_allclose(mean, expected.mean(0), rtol=1e-5, atol=1e-5)
    assert FitAffectiveStatsHook()._eval_pipeline(
        SimpleNamespace())[0] is None
