# Copyright (c) step_mm contributors. All rights reserved.
import os.path as osp

import h5py
import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS

from step_mm.datasets import GaitFileError, actor_of, make_split

PIPELINE = [
    dict(type='NormalizeGait'),
    dict(type='GaitAffectiveFeatures'),
    dict(type='GaitToLength', clip_len=75),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=('affective_feats', )),
]


def build(root, **kwargs):
    cfg = dict(type='EGaitDataset', data_root=root, pipeline=PIPELINE)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_sample_layout(tiny_egait):
    ds = build(tiny_egait, protocol='all')
    assert len(ds) == 40
    info = ds.get_data_info(0)
    assert info['keypoint'].shape == (1, info['total_frames'], 16, 3)
    assert info['frame_dir'].endswith('_positions.csv')
    item = ds[0]
    assert item['inputs'].shape == (1, 1, 75, 16, 3)
    assert item['data_samples'].affective_feats.shape == (29, )
    assert ds.metainfo['classes'] == ('happy', 'angry', 'sad', 'neutral')


@pytest.mark.parametrize('protocol,folds', [('random', 5), ('subject', 5)])
def test_splits_disjoint_and_cover(tiny_egait, protocol, folds):
    for fold in range(folds):
        subsets = {
            s: build(tiny_egait, protocol=protocol, num_folds=folds,
                     fold=fold, subset=s, val_ratio=0.25)
            for s in ('train', 'val', 'test')
        }
        keys = {
            s: {d.get_data_info(i)['frame_dir']
                for i in range(len(d))}
            for s, d in subsets.items()
        }
        assert not keys['train'] & keys['val']
        assert not keys['train'] & keys['test']
        assert not keys['val'] & keys['test']
        assert len(keys['train'] | keys['val'] | keys['test']) == 40
        if protocol == 'subject':
            actors = {s: {actor_of(k) for k in v} for s, v in keys.items()}
            assert not actors['train'] & actors['test']
            assert not actors['val'] & actors['test']
            assert not actors['train'] & actors['val']


def test_actor_rule():
    assert actor_of('001_Angry_positions.csv') == '001'
    assert actor_of('vas_walk_an_1_fin_positions.csv') == 'vas'
    assert actor_of('02_01_positions.csv') == '02'
    assert actor_of('S11_1_positions.csv') == 'S11'


def test_split_is_deterministic_and_seeded():
    keys = [f'{a:03d}_x' for a in range(60)]
    labels = [i % 4 for i in range(60)]
    a = make_split(keys, labels, 'random', 5, 2, 0, 0.1)
    b = make_split(keys, labels, 'random', 5, 2, 0, 0.1)
    c = make_split(keys, labels, 'random', 5, 2, 1, 0.1)
    assert a == b and a != c
    with pytest.raises(ValueError, match='protocol'):
        make_split(keys, labels, 'bogus', 5, 0, 0, 0.1)


def test_class_names_and_labels_from_keys(tiny_egait, tmp_path):
    ds = build(tiny_egait, protocol='all', class_names=('w', 'x', 'y', 'z'))
    assert ds.metainfo['classes'] == ('w', 'x', 'y', 'z')
    # synthetic layout: no labels file, the emotion is in the key
    from step_mm.datasets import write_gait_h5
    from step_mm.testing import make_fake_gait
    rng = np.random.default_rng(0)
    write_gait_h5(str(tmp_path / 'featuresCVAEGCN_test.h5'), {
        f'{i:05d}_{n}': make_fake_gait(75, k, rng)
        for i, (k, n) in enumerate([(0, 'Happy'), (2, 'Sad'), (3, 'Neutral'),
                                    (1, 'Angry')])
    })
    syn = build(str(tmp_path), features_file='featuresCVAEGCN_test.h5',
                labels_file=None, protocol='all')
    assert [syn.get_data_info(i)['label'] for i in range(4)] == [0, 2, 3, 1]


def test_extra_train_only_in_train(tiny_egait, tmp_path):
    from step_mm.datasets import write_gait_h5
    from step_mm.testing import make_fake_gait
    rng = np.random.default_rng(0)
    write_gait_h5(str(tmp_path / 'gen.h5'), {
        f'{i:05d}_Happy': make_fake_gait(75, 0, rng)
        for i in range(6)
    })
    extra = [dict(data_root=str(tmp_path), features_file='gen.h5')]
    tr = build(tiny_egait, num_folds=5, extra_train=extra)
    te = build(tiny_egait, num_folds=5, subset='test', extra_train=extra)
    va = build(tiny_egait, num_folds=5, subset='val', extra_train=extra)
    syn = lambda d: sum(  # noqa: E731
        d.get_data_info(i).get('synthetic', False) for i in range(len(d)))
    assert syn(tr) == 6 and syn(te) == 0 and syn(va) == 0


def test_train_fraction_is_stratified_and_train_only(tiny_egait):
    keys = lambda d: [  # noqa: E731
        d.get_data_info(i)['frame_dir'] for i in range(len(d))]
    labels = lambda d: np.bincount(  # noqa: E731
        [d.get_data_info(i)['label'] for i in range(len(d))], minlength=4)
    full = build(tiny_egait, num_folds=5)
    half = build(tiny_egait, num_folds=5, train_fraction=0.5)
    assert set(keys(half)) < set(keys(full))
    np.testing.assert_array_equal(
        labels(half), np.maximum(np.round(labels(full) * 0.5), 1))
    assert keys(half) == keys(build(tiny_egait, num_folds=5,
                                    train_fraction=0.5))
    for subset in ('val', 'test'):
        assert keys(build(tiny_egait, num_folds=5, subset=subset,
                          train_fraction=0.5)) == keys(
                              build(tiny_egait, num_folds=5, subset=subset))
    with pytest.raises(ValueError, match='train_fraction'):
        build(tiny_egait, train_fraction=0.0)


def test_data_root_from_env_placeholder(monkeypatch, tiny_egait):
    """``'${EGAIT_ROOT:-default}'`` is resolved when the dataset is built."""
    from step_mm.datasets import resolve_env_path
    monkeypatch.setenv('EGAIT_ROOT', tiny_egait)
    ds = build('${EGAIT_ROOT:-../shared/data/egait}', protocol='all')
    assert ds.data_root == tiny_egait and len(ds) == 40
    monkeypatch.setenv('EGAIT_ROOT', '')  # empty counts as unset
    assert resolve_env_path('${EGAIT_ROOT:-/d}') == '/d'
    monkeypatch.delenv('EGAIT_ROOT')
    assert resolve_env_path('${EGAIT_ROOT:-/d}') == '/d'
    with pytest.raises(ValueError, match='EGAIT_ROOT is not set'):
        resolve_env_path('${EGAIT_ROOT}')
    # only a whole placeholder is resolved; paths stay as they are
    for path in ('/a/${EGAIT_ROOT}', "it's", '$EGAIT_ROOT', None):
        assert resolve_env_path(path) == path


def test_real_egait_counts(egait_root):
    ds = build(egait_root, protocol='all')
    s = ds.summary()
    assert s['num_gaits'] == 342
    assert list(s['class_counts'].values()) == [112, 33, 78, 119]
    assert (s['min_frames'], s['max_frames']) == (18, 75)
    item = ds[0]
    assert item['inputs'].shape == (1, 1, 75, 16, 3)
    assert item['data_samples'].affective_feats.shape == (29, )
    for protocol, folds in (('random', 10), ('subject', 5)):
        seen = []
        for fold in range(folds):
            test = build(egait_root, protocol=protocol, num_folds=folds,
                         fold=fold, subset='test')
            seen += [test.get_data_info(i)['frame_dir']
                     for i in range(len(test))]
        # every gait is tested exactly once across the folds
        assert sorted(seen) == sorted(
            ds.get_data_info(i)['frame_dir'] for i in range(len(ds)))


def test_stock_stgcn_trains_on_egait_samples(tiny_egait):
    """mmaction2's RecognizerGCN + STGCN + GCNHead with the E-Gait layout."""
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import OptimWrapper
    from step_mm.skeleton import EGAIT_LAYOUT
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=dict(
                type='STGCN',
                graph_cfg=dict(layout=EGAIT_LAYOUT, mode='stgcn_spatial')),
            cls_head=dict(type='GCNHead', num_classes=4, in_channels=256)))
    ds = build(tiny_egait, num_folds=5)
    batch = pseudo_collate([ds[i] for i in range(4)])
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = [p.detach().clone() for p in model.parameters()]
    losses = model.train_step(batch, optim)
    assert torch.isfinite(losses['loss_cls'])
    assert any(not torch.equal(a, b)
               for a, b in zip(before, model.parameters()))
    out = model.test_step(batch)
    assert out[0].pred_scores.item.shape == (4, )


def _copy(src, dst, names=('features.h5', 'labels.h5')):
    import shutil
    for n in names:
        shutil.copy(osp.join(src, n), osp.join(dst, n))


def test_bad_inputs_are_named(tiny_egait, tmp_path):
    with pytest.raises(GaitFileError, match='features.h5: file not found'):
        build(str(tmp_path), protocol='all')
    _copy(tiny_egait, tmp_path)
    with h5py.File(tmp_path / 'labels.h5', 'a') as f:
        key = sorted(f.keys())[0]
        del f[key]
        f[key] = 7
    with pytest.raises(GaitFileError, match=r'label 7, outside 0..3'):
        build(str(tmp_path), protocol='all')
    (tmp_path / 'labels.h5').write_bytes(b'not an h5 file at all')
    with pytest.raises(GaitFileError, match='labels.h5: cannot read as HDF5'):
        build(str(tmp_path), protocol='all')
