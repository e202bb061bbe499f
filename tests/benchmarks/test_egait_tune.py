# Copyright (c) step_mm contributors. All rights reserved.
"""``benchmarks/egait_tune.py``: the candidates, the budget rule, the pick."""
import os.path as osp

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config

from step_mm.testing import load_script

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _script():
    return load_script('benchmarks/egait_tune.py')


def test_candidates_change_what_they_say():
    mod = _script()
    assert list(mod.CANDIDATES)[0] == 'ref'
    for model, path in mod.MODELS.items():
        ref = Config.fromfile(osp.join(REPO, path))
        mod.CANDIDATES['ref'](ref)
        assert ref.param_scheduler[0].eta_max == 1e-3
        assert ref.model.backbone.num_stages == 4
        assert ref.model.cls_head.in_channels == 16
        lr = Config.fromfile(osp.join(REPO, path))
        mod.CANDIDATES['lr3e3'](lr)
        assert lr.param_scheduler[0].eta_max == 3e-3
        down = Config.fromfile(osp.join(REPO, path))
        mod.CANDIDATES['down'](down)
        net = MODELS.build(down.model.backbone).eval()
        with torch.no_grad():
            out = net(torch.randn(1, 1, 48, 16, 3))
        assert out.shape == (1, 1, down.model.cls_head.in_channels, 12, 16)


def test_choice_ignores_over_budget_and_breaks_ties_early():
    mod = _script()
    cands = [
        dict(candidate='ref', val_top1_mean=0.6),
        dict(candidate='lr3e3', val_top1_mean=0.6),
        dict(candidate='deeper', over_budget=True, predicted_cpu_s=300.),
    ]
    assert mod.choose(cands) == 'ref'
    cands[1]['val_top1_mean'] = 0.61
    assert mod.choose(cands) == 'lr3e3'
    md = mod.markdown(
        dict(folds=[0], seeds=[0], chosen=dict(stgcn='lr3e3'),
             models=dict(stgcn=[
                 dict(c, change='x', val_top1_std=0., train_time_s_mean=1.,
                      cpu_s_per_run=1., params=1, flops=1)
                 if 'over_budget' not in c else dict(c, change='x')
                 for c in cands
             ])))
    rows = [line for line in md.split('\n') if line.startswith('| stgcn')]
    assert len(rows) == 3 and '**yes**' in rows[1]
    assert 'not trained: 300 CPU-s' in rows[2]
    assert len({line.count('|') for line in md.split('\n')[2:] if line}) == 1


def test_predicted_cpu_time_is_positive():
    mod = _script()
    cfg = Config.fromfile(osp.join(REPO, mod.MODELS['stgcn']))
    cfg.train_cfg.max_epochs = 1
    assert 0 < mod.predicted_cpu_s(cfg, iters=1) < 60
