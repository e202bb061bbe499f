# Copyright (c) step_mm contributors. All rights reserved.
"""Every config under configs/ builds; the STEP config trains and tests."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper

from step_mm.engine import FitAffectiveStatsHook
from step_mm.skeleton import EGAIT_LAYOUT

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if f'{osp.sep}_base_{osp.sep}' not in p)
STEP_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'step', '*.py')))
STEP = [
    p for p in STEP_CONFIGS if '_stgcn-aff_' in osp.basename(p)
    and not osp.basename(p).startswith('step-ref')
][0]
SUBSETS = ('train', 'val', 'test')


def _rel(path):
    return osp.relpath(path, REPO)


def _on_tiny(cfg, root, batch_size=None):
    """Point every E-Gait dataset of ``cfg`` at the tiny generated set."""
    for subset in SUBSETS:
        loader = cfg.get(f'{subset}_dataloader')
        if loader is None:
            continue
        ds = loader.dataset
        while 'dataset' in ds and 'data_root' not in ds:
            ds = ds.dataset  # wrappers
        ds.data_root = root
        for extra in ds.get('extra_train', []):
            extra.data_root = root
        if ds.get('num_folds', 0) > 5:
            ds.num_folds = 5
        if batch_size:
            loader.batch_size = batch_size
    return cfg


def _norm_layout(layout):
    return dict(
        num_node=layout['num_node'],
        center=layout['center'],
        inward=[tuple(e) for e in layout['inward']])


def test_configs_found():
    names = [osp.basename(p) for p in CONFIGS]
    assert any(n.startswith('step_') and 'baseline' in n for n in names)
    for alg in ('stgcn', 'stgcnpp', 'aagcn'):
        for stream in ('joint', 'bone'):
            assert any(
                n.startswith(f'{alg}_') and f'-{stream}-' in n
                for n in names), (alg, stream)


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_builds(path, tiny_egait):
    cfg = Config.fromfile(path)
    name = osp.splitext(osp.basename(path))[0]
    # {algorithm}_{module}_{gpus}x{batch}-{pipeline}-{epochs}e_{dataset}
    assert name.endswith('_egait-keypoint-3d'), name
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    graph = cfg.model.get('backbone', {}).get('graph_cfg')
    if graph is not None:
        assert _norm_layout(graph['layout']) == _norm_layout(EGAIT_LAYOUT)
    head = cfg.model.get('cls_head')
    if head is not None:
        assert tuple(head.get('topk', (1, 5))) == (1, ), (
            'set topk=(1,) in the head: top-5 of 4 classes is always 1')
        assert head.num_classes == 4
    classifier = head is not None
    # a crash while writing a checkpoint must leave an intact one behind
    keep = cfg.get('default_hooks', {}).get('checkpoint',
                                            {}).get('max_keep_ckpts', -1)
    assert keep < 0 or keep >= 2, f'max_keep_ckpts={keep}'
    if classifier and cfg.get('val_dataloader') is not None:
        # the checkpoint is chosen on the fold's val subset
        ckpt = cfg.default_hooks.checkpoint
        assert ckpt.save_best == 'acc/top1' and ckpt.rule == 'greater'
    _on_tiny(cfg, tiny_egait)
    for subset in SUBSETS:
        loader = cfg.get(f'{subset}_dataloader')
        if loader is None:
            continue
        dataset = DATASETS.build(loader.dataset)
        assert len(dataset) > 0
        item = dataset[0]
        inputs = item['inputs']
        assert inputs.shape[-2:] == (16, 3), inputs.shape
        assert torch.isfinite(inputs).all()
    if classifier and cfg.get('val_evaluator') is not None:
        evaluators = cfg.val_evaluator if isinstance(
            cfg.val_evaluator, list) else [cfg.val_evaluator]
        acc = [e for e in evaluators if e.type == 'AccMetric'][0]
        assert tuple(acc.metric_options.top_k_accuracy.topk) == (1, )
        assert 'mean_class_accuracy' in acc.metric_list
        tests = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        assert 'ConfusionMatrix' in [e.type for e in tests]


def test_data_root_follows_environment(monkeypatch, tiny_egait):
    from mmaction.registry import DATASETS
    monkeypatch.setenv('EGAIT_ROOT', tiny_egait)
    cfg = Config.fromfile(STEP)
    for subset in SUBSETS:
        ds = cfg[f'{subset}_dataloader'].dataset
        # a placeholder, resolved when the dataset is built
        assert ds.data_root == '${EGAIT_ROOT:-../shared/data/egait}'
        assert DATASETS.build(dict(ds, lazy_init=True)).data_root == \
            tiny_egait
        assert ds.subset == subset
        assert ds.type == 'EGaitDataset'  # no wrapper: overridable
    # split settings are shared, and overridable per dataloader
    assert len({(cfg[f'{s}_dataloader'].dataset.protocol,
                 cfg[f'{s}_dataloader'].dataset.fold)
                for s in SUBSETS}) == 1


def test_step_train_and_test_step(tiny_egait):
    torch.manual_seed(0)
    np.random.seed(0)
    cfg = _on_tiny(Config.fromfile(STEP), tiny_egait, batch_size=6)
    assert [h.type for h in cfg.custom_hooks] == ['FitAffectiveStatsHook']
    assert cfg.model.cls_head.use_affective
    model = MODELS.build(cfg.model)
    model.init_weights()
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    mean, std, _ = FitAffectiveStatsHook.fit(train_set)
    model.cls_head.set_affective_stats(mean, std)
    batch = pseudo_collate([train_set[i] for i in range(6)])
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05))
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    losses = model.train_step(batch, optim)
    assert set(losses) >= {'loss', 'loss_cls'}
    assert torch.isfinite(losses['loss'])
    changed = [
        not torch.equal(b, p) for b, p in zip(before, model.parameters())
    ]
    assert sum(changed) > len(changed) // 2

    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    batch = pseudo_collate([test_set[i] for i in range(len(test_set))])
    model.eval()
    with torch.no_grad():
        samples = model.test_step(batch)
    assert len(samples) == len(test_set)
    for s in samples:
        scores = s.pred_scores.item
        assert scores.shape == (4, )
        assert ((scores >= 0) & (scores <= 1)).all()
        assert torch.isclose(scores.sum(), torch.tensor(1.), atol=1e-5)
        assert int(s.pred_labels.item) == int(scores.argmax())


def test_metafile_lists_every_step_config():
    import yaml
    with open(osp.join(REPO, 'configs', 'step', 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    listed = {m['Config'] for m in meta['Models']}
    assert listed == {_rel(p) for p in STEP_CONFIGS}
    for m in meta['Models']:
        assert m['Name'] == osp.splitext(osp.basename(m['Config']))[0]
        assert m['In Collection'] == meta['Collections'][0]['Name']
