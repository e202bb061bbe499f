# Copyright (c) step_mm contributors. All rights reserved.
"""``tools/train.py`` refuses runs that would give meaningless results or
run code, with one line naming the option or file (no traceback)."""
import glob
import os.path as osp
import runpy
import shutil
import uuid

import h5py
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STEP = glob.glob(
    osp.join(REPO, 'configs', 'step', 'step_stgcn-aff_*_egait-*.py'))[0]
SMALL = [
    'model.backbone.channels=(8,16,16)', 'model.cls_head.in_channels=16',
    'model.cls_head.hidden_channels=16', 'train_cfg.max_epochs=1',
    'train_dataloader.batch_size=8', 'default_hooks.checkpoint.interval=1'
]


def _train_tool() -> dict:
    """The globals of ``tools/train.py`` (run as a module, not __main__)."""
    return runpy.run_path(osp.join(REPO, 'tools', 'train.py'),
                          run_name='train_tool')


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _options(root=None, **split):
    """Small-model options; ``root`` and ``split`` for every dataloader."""
    opts = SMALL + [f'experiment_name=t_{uuid.uuid4().hex[:8]}']
    split.setdefault('num_folds', 5)
    if root is not None:
        split['data_root'] = root
    for subset in ('train', 'val', 'test'):
        opts += [f'{subset}_dataloader.dataset.{k}={v}'
                 for k, v in split.items()]
    return opts


def _train(work, options):
    """``tools/train.py STEP --work-dir work --cfg-options ...``; returns
    the SystemExit message, or None when it trained."""
    try:
        _train_tool()['main']([STEP, '--work-dir',
                               str(work), '--cfg-options'] + options)
    except SystemExit as e:
        assert e.code not in (0, None)
        return str(e.code)
    return None


def test_fold_of_one_dataloader_is_refused(tiny_egait, tmp_path):
    """``train_dataloader.dataset.fold=3`` alone trains on fold 0's test
    gaits: refused before training, naming both options."""
    opts = _options(tiny_egait) + ['train_dataloader.dataset.fold=3']
    msg = _train(tmp_path, opts)
    assert msg is not None and '\n' not in msg, msg
    assert msg.startswith('tools/train.py: train_dataloader.dataset '
                          "(subset 'train', ")
    assert ('train_dataloader.dataset.fold=3 but '
            'test_dataloader.dataset.fold=0') in msg
    assert 'share' in msg and 'disjoint' in msg
    assert not glob.glob(osp.join(tmp_path, '*.pth'))  # nothing trained

    # the same for anything that builds mmengine's Runner from the config
    from step_mm.engine import RunConfigError
    train = _train_tool()
    cfg = train['merge_args'](
        Config.fromfile(STEP),
        train['parse_args']([STEP, '--work-dir', str(tmp_path / 'runner'),
                             '--cfg-options'] + opts))
    with pytest.raises(RunConfigError, match='test_dataloader.dataset.fold=0'):
        Runner.from_cfg(cfg).train()
    # consistent folds train; a test set that cannot be built yet (its
    # data are elsewhere) is not compared, with a warning
    opts = _options(tiny_egait, fold=3) + [
        f'test_dataloader.dataset.data_root={tmp_path}/elsewhere'
    ]
    assert _train(tmp_path / 'ok', opts) is None
    assert osp.isfile(osp.join(tmp_path, 'ok', 'epoch_1.pth'))
    with open(glob.glob(osp.join(tmp_path, 'ok', '*', '*.log'))[0]) as f:
        assert ('SubsetCheckHook: cannot build test_dataloader.dataset to '
                'compare it with the others') in f.read()


def test_protocol_all_and_a_class_without_training_gaits_warn(
        tiny_egait, tmp_path):
    """protocol='all' everywhere is a smoke test: a warning, not an error;
    a class with no training gait gets a warning naming it."""
    names = "('happy','angry','sad','neutral','bored')"
    opts = _options(tiny_egait, protocol='all', class_names=names) + [
        'model.cls_head.num_classes=5'
    ]
    assert _train(tmp_path, opts) is None
    with open(glob.glob(osp.join(tmp_path, '*', '*.log'))[0]) as f:
        log = f.read()
    assert "protocol='all' puts every gait in every subset" in log
    assert ("no training gait of class 'bored' (label 4) in "
            'train_dataloader.dataset') in log


def test_data_root_from_environment_with_an_apostrophe(
        tiny_egait, tmp_path, monkeypatch):
    """EGAIT_ROOT is a path, whatever it contains (mmengine's
    ``{{$EGAIT_ROOT:...}}`` pasted it into Python source: SyntaxError)."""
    root = str(tmp_path / "it's \"the\" data")
    shutil.copytree(tiny_egait, root)
    monkeypatch.setenv('EGAIT_ROOT', root)
    assert _train(tmp_path / 'work', _options()) is None
    assert osp.isfile(osp.join(tmp_path, 'work', 'epoch_1.pth'))
    with open(glob.glob(osp.join(tmp_path, 'work', '*', '*.log'))[0]) as f:
        log = f.read()
    # the config holds the placeholder; the log says what it resolved to
    assert (f"EGaitDataset: data_root '${{EGAIT_ROOT:-../shared/data/egait}}"
            f"' is {root!r}") in log
    from mmaction.registry import DATASETS
    cfg = Config.fromfile(STEP)
    assert cfg.train_dataloader.dataset.data_root.startswith('${EGAIT_ROOT')
    ds = DATASETS.build(dict(cfg.test_dataloader.dataset, num_folds=5))
    assert ds.data_root == root
    # --cfg-options data_root=DIR still wins over the environment
    monkeypatch.setenv('EGAIT_ROOT', str(tmp_path / 'nowhere'))
    assert _train(tmp_path / 'opt', _options(tiny_egait)) is None
    # and without EGAIT_ROOT the default is ../shared/data/egait
    monkeypatch.delenv('EGAIT_ROOT')
    ds = DATASETS.build(dict(cfg.test_dataloader.dataset, lazy_init=True))
    assert ds.data_root == '../shared/data/egait'


def test_data_root_from_environment_runs_no_code(tmp_path, monkeypatch):
    """A crafted EGAIT_ROOT is a path that does not exist, never code."""
    marker = tmp_path / 'PWNED'
    monkeypatch.setenv(
        'EGAIT_ROOT', f"{tmp_path}/x' if __import__('os').system("
        f"'touch {marker}') else '")
    try:
        msg = _train(tmp_path / 'work', _options())
    finally:
        assert not marker.exists(), 'the value of EGAIT_ROOT ran as code'
    assert msg is not None and '\n' not in msg, msg
    assert msg.startswith(f'tools/train.py: {tmp_path}/x\' if __import__')
    assert msg.endswith('features.h5: file not found')


def test_label_stored_as_a_string(tiny_egait, tmp_path):
    root = str(tmp_path / 'data')
    shutil.copytree(tiny_egait, root)
    with h5py.File(osp.join(root, 'labels.h5'), 'a') as f:
        key = sorted(f.keys())[3]
        del f[key]
        f.create_dataset(key, data=np.bytes_(b'happy'))
    msg = _train(tmp_path / 'work', _options(root))
    assert msg == (f"tools/train.py: {root}/labels.h5: key {key!r} label "
                   "[b'happy'] is of type |S5, expected an integer class "
                   "index 0..3 for classes ('happy', 'angry', 'sad', "
                   "'neutral')")


def test_complex_joints_are_refused(tiny_egait, tmp_path):
    root = str(tmp_path / 'data')
    shutil.copytree(tiny_egait, root)
    with h5py.File(osp.join(root, 'features.h5'), 'a') as f:
        key = sorted(f.keys())[0]
        arr = f[key][()]
        del f[key]
        f.create_dataset(key, data=arr + 1j)
    msg = _train(tmp_path / 'work', _options(root))
    assert msg == (f'tools/train.py: {root}/features.h5: key {key!r} holds '
                   'complex128 values, expected real numbers (joint '
                   'coordinates)')


def test_pipeline_without_affective_features(tiny_egait, tmp_path):
    """The advice names the transform that exists in mmaction2 1.1.0
    (PackGaitInputs; PackActionInputs has no algorithm_keys) and works."""
    cfg = Config.fromfile(STEP)
    pack = len(cfg.train_dataloader.dataset.pipeline) - 1
    assert cfg.train_dataloader.dataset.pipeline[pack].type == \
        'PackGaitInputs'
    msg = _train(tmp_path, _options(tiny_egait) + [
        f'train_dataloader.dataset.pipeline.{pack}.algorithm_keys=[]'
    ])
    assert msg == ('tools/train.py: FitAffectiveStatsHook: training item 0 '
                   'has no `affective_feats`; end the train pipeline with '
                   'GaitAffectiveFeatures and PackGaitInputs(algorithm_keys='
                   "('affective_feats', ))")
    from mmaction.registry import TRANSFORMS
    advised = TRANSFORMS.build(
        dict(type='PackGaitInputs', algorithm_keys=('affective_feats', )))
    assert advised.algorithm_keys == ('affective_feats', )
    with pytest.raises(TypeError):  # what the old message advised
        TRANSFORMS.build(
            dict(type='PackActionInputs', algorithm_keys=('affective_feats',
                                                          )))
