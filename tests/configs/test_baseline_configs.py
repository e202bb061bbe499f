# Copyright (c) step_mm contributors. All rights reserved.
"""Every config of configs/baselines/ trains one step and tests one batch on
the tiny generated E-Gait; the folder's metafile lists them all."""
import glob
import os.path as osp

# as the Runner does: registers the ConvBranch init AAGCN needs
import mmaction.engine  # noqa: F401
import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDER = osp.join(REPO, 'configs', 'baselines')
CONFIGS = sorted(glob.glob(osp.join(FOLDER, '*.py')))

pytestmark = pytest.mark.filterwarnings('ignore:TF32 acceleration')


def _rel(path):
    return osp.relpath(path, REPO)


def _dataset(cfg, subset, root):
    ds = cfg[f'{subset}_dataloader'].dataset
    ds.update(data_root=root, num_folds=5)
    return DATASETS.build(ds)


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_train_step_and_test_step(path, tiny_egait):
    torch.manual_seed(0)
    np.random.seed(0)
    cfg = Config.fromfile(path)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if 'FitAffectiveStatsHook' in [h.type for h in cfg.get('custom_hooks',
                                                           [])]:
        from step_mm.engine import FitAffectiveStatsHook
        mean, std, _ = FitAffectiveStatsHook.fit(
            _dataset(cfg, 'train', tiny_egait))
        model.cls_head.set_affective_stats(mean, std)
    train_set = _dataset(cfg, 'train', tiny_egait)
    batch = pseudo_collate([train_set[i] for i in range(4)])
    clip = [t.clip_len for t in cfg.train_dataloader.dataset.pipeline
            if t.type == 'GaitToLength'][0]
    assert batch['inputs'][0].shape == (1, 1, clip, 16, 3)
    # the config's own optimiser (AdamW / SGD) and its lr
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    losses = model.train_step(batch, optim)
    assert torch.isfinite(losses['loss'])
    changed = [
        not torch.equal(b, p) for b, p in zip(before, model.parameters())
    ]
    assert sum(changed) > len(changed) // 2

    test_set = _dataset(cfg, 'test', tiny_egait)
    num = min(4, len(test_set))
    batch = pseudo_collate([test_set[i] for i in range(num)])
    model.eval()
    with torch.no_grad():
        samples = model.test_step(batch)
    assert len(samples) == num
    for s in samples:
        scores = s.pred_scores.item
        assert scores.shape == (4, )
        assert torch.isclose(scores.sum(), torch.tensor(1.), atol=1e-5)


def test_bone_configs_differ_from_joint_only_by_gait_to_bone():
    for bone in [p for p in CONFIGS if '-bone-' in osp.basename(p)]:
        joint = bone.replace('-bone-', '-joint-')
        assert osp.isfile(joint), joint
        b, j = Config.fromfile(bone), Config.fromfile(joint)
        assert b.model == j.model and b.optim_wrapper == j.optim_wrapper
        for subset in ('train', 'val', 'test'):
            bp = b[f'{subset}_dataloader'].dataset.pipeline
            jp = j[f'{subset}_dataloader'].dataset.pipeline
            assert [t for t in bp if t.type != 'GaitToBone'] == list(jp)
            assert [t.type for t in bp].count('GaitToBone') == 1


def test_metafile_lists_every_baseline_config():
    import yaml
    with open(osp.join(FOLDER, 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    listed = {m['Config'] for m in meta['Models']}
    assert listed == {_rel(p) for p in CONFIGS}
    names = {c['Name'] for c in meta['Collections']}
    for m in meta['Models']:
        assert m['Name'] == osp.splitext(osp.basename(m['Config']))[0]
        assert m['In Collection'] in names
