# Copyright (c) step_mm contributors. All rights reserved.
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, HOOKS, MODELS
from mmengine.config import Config

from step_mm.engine.hooks import FitLatentPriorHook
from step_mm.testing import make_fake_gait

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GEN_CONFIG = osp.join(
    REPO, 'configs', 'step_gen',
    'stepgen_stgcn-cvae_1xb16-joint-t75-100e_egait-keypoint-3d.py')


class _Logger:

    def __init__(self):
        self.messages = []

    def info(self, msg):
        self.messages.append(msg)


def _model(**kw):
    cfg = Config.fromfile(GEN_CONFIG)
    cfg.model.update(kw)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _gaits(n=24, T=75, seed=0):
    rng = np.random.default_rng(seed)
    return torch.from_numpy(
        np.stack([make_fake_gait(T, k % 4, rng).reshape(T, 16, 3)
                  for k in range(n)])).float()


def test_fit_prior_matches_the_posterior_means():
    model = _model()
    gaits, labels = _gaits(), torch.arange(24) % 4
    assert model.default_prior == 'fitted'
    assert not model.prior_fitted.any()
    with pytest.raises(ValueError, match=r'no codes of class\(es\) \[0, 1\]'):
        model.generate([0, 1, 0])
    assert model.fit_prior(gaits, labels).tolist() == [6, 6, 6, 6]
    model.eval()
    with torch.no_grad():
        mu = model.encode(gaits, labels)[0]
    for c in range(4):
        codes = mu[labels == c].double()
        torch.testing.assert_close(model.prior_mean[c].double(),
                                   codes.mean(0), atol=1e-5, rtol=1e-5)
        cov = model.prior_scale_tril[c].double() @ \
            model.prior_scale_tril[c].double().T
        expected = torch.cov(codes.T)
        expected = 0.9 * expected + 0.1 * torch.diag(torch.diag(expected))
        torch.testing.assert_close(cov, expected, atol=1e-4, rtol=1e-3)
    # samples follow the fitted Gaussian of their class
    z = model.sample_prior(4000, 'fitted', torch.Generator().manual_seed(0),
                           labels=torch.full((4000, ), 2))
    torch.testing.assert_close(z.mean(0), model.prior_mean[2], atol=0.05,
                               rtol=0)
    assert model.generate([0, 1, 2, 3]).shape == (4, 75, 16, 3)
    # the other priors are unchanged
    g = torch.Generator().manual_seed(1)
    assert model.sample_prior(3, 'normal', g).shape == (3, 32)
    # a class with fewer than two gaits stays unfitted
    model.fit_prior(gaits[:6], labels[:6])
    assert model.prior_fitted.tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match='labels'):
        model.fit_prior(gaits, labels[:3])
    with pytest.raises(ValueError, match='shrinkage'):
        model.fit_prior(gaits, labels, shrinkage=2)
    with pytest.raises(ValueError, match="default_prior must be"):
        _model(default_prior='gmm')


def test_fitted_prior_is_saved_and_old_checkpoints_load_unfitted():
    model = _model()
    model.fit_prior(_gaits(), torch.arange(24) % 4)
    state = model.state_dict()
    other = _model()
    other.load_state_dict(state)
    assert other.prior_fitted.all()
    torch.testing.assert_close(other.prior_mean, model.prior_mean)
    g1, g2 = (torch.Generator().manual_seed(0) for _ in range(2))
    torch.testing.assert_close(
        other.generate([0, 3], generator=g1),
        model.generate([0, 3], generator=g2))
    old = {k: v for k, v in state.items() if not k.startswith('prior_')}
    fitted = _model()
    fitted.fit_prior(_gaits(), torch.arange(24) % 4)
    fitted.load_state_dict(old)  # strict: the buffers are filled in
    assert not fitted.prior_fitted.any()
    with pytest.raises(ValueError, match='fit it with fit_prior'):
        fitted.generate([1])
    assert fitted.generate([1], prior='normal').shape == (1, 75, 16, 3)


def test_hook_fits_on_the_train_gaits_through_the_eval_pipeline(tiny_egait):
    cfg = Config.fromfile(GEN_CONFIG)
    for key in ('train_dataloader', 'val_dataloader'):
        cfg[key].dataset.data_root = tiny_egait
    train = DATASETS.build(cfg.train_dataloader.dataset)
    model = _model()
    runner = SimpleNamespace(
        model=model, train_dataloader=SimpleNamespace(dataset=train),
        cfg=cfg, logger=_Logger(), epoch=0, max_epochs=100)
    hook = HOOKS.build(cfg.custom_hooks[0])
    assert isinstance(hook, FitLatentPriorHook) and hook.interval == 25
    hook.after_train_epoch(runner)  # epoch 1 of 100: not yet
    assert not model.prior_fitted.any() and not runner.logger.messages
    runner.epoch = 24
    hook.after_train_epoch(runner)
    assert model.prior_fitted.any()
    assert "through the hook's pipeline" in runner.logger.messages[0]
    fitted = model.prior_mean.clone()
    # the same as fit_prior on the train gaits read through the val pipeline
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, subset='train'))
    expected = _model()
    expected.fit_prior(
        torch.stack([val[i]['inputs'] for i in range(len(val))]),
        [int(val[i]['data_samples'].gt_labels.item) for i in range(len(val))])
    torch.testing.assert_close(fitted, expected.prior_mean)
    # after the last epoch too, whatever the interval
    runner.epoch, runner.max_epochs = 2, 3
    model.prior_fitted.zero_()
    hook.after_train_epoch(runner)
    assert model.prior_fitted.any()
    with pytest.raises(TypeError, match='fit_prior'):
        hook.fit(SimpleNamespace(model=torch.nn.Linear(1, 1)))
    with pytest.raises(ValueError, match='interval'):
        FitLatentPriorHook(interval=0)
