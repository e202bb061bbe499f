# Copyright (c) step_mm contributors. All rights reserved.
"""tools/train.py -> tools/test.py --dump -> analysis tools, on tiny data."""
import glob
import os.path as osp
import pickle

import numpy as np
import pytest

from step_mm.testing import load_script

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STEP = glob.glob(
    osp.join(REPO, 'configs', 'step', 'step_stgcn-aff_*_egait-*.py'))[0]


def _tool(name):
    return load_script(f'tools/{name}.py', 'tool_' + name.replace('/', '_'))


def _data_options(root):
    opts = []
    for subset in ('train', 'val', 'test'):
        opts += [
            f'{subset}_dataloader.dataset.data_root={root}',
            f'{subset}_dataloader.dataset.num_folds=5',
        ]
    return opts


@pytest.fixture(scope='module')
def trained(tiny_egait, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('train'))
    _tool('train').main([
        STEP, '--work-dir', work, '--seed', '0', '--cfg-options',
        'train_cfg.max_epochs=2', 'train_dataloader.batch_size=4',
        'default_hooks.logger.interval=1'
    ] + _data_options(tiny_egait))
    return work


def test_train_keeps_best_val_checkpoint(trained):
    best = glob.glob(osp.join(trained, 'best_acc_top1_epoch_*.pth'))
    assert len(best) == 1
    assert osp.isfile(osp.join(trained, 'epoch_2.pth'))  # save_last


def test_test_dump_and_analysis(trained, tiny_egait, tmp_path, capsys):
    best = glob.glob(osp.join(trained, 'best_acc_top1_epoch_*.pth'))[0]
    dump = str(tmp_path / 'step.pkl')
    show = str(tmp_path / 'show')
    metrics = _tool('test').main([
        STEP, best, '--work-dir',
        str(tmp_path), '--dump', dump, '--show-dir', show, '--cfg-options',
        f'test_dataloader.dataset.data_root={tiny_egait}',
        'test_dataloader.dataset.protocol=all'
    ])
    assert 0 <= metrics['acc/top1'] <= 1
    cm_metric = np.asarray(metrics['confusion_matrix/result'])
    assert cm_metric.sum() == 40  # protocol=all: every gait

    with open(dump, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 40
    assert results[0]['pred_scores']['item'].shape == (4, )
    for name in ('confusion_matrix.png', 'confusion_matrix.txt',
                 'predictions.csv'):
        assert osp.isfile(osp.join(show, name))

    capsys.readouterr()
    cm = _tool('analysis_tools/confusion_matrix').main(
        [dump, '--out', str(tmp_path / 'cm.png')])
    out = capsys.readouterr().out
    np.testing.assert_array_equal(cm, cm_metric)
    assert 'mean-class' in out and 'happy' in out
    assert f"top-1 {metrics['acc/top1']:.4f}" in out
    assert osp.getsize(tmp_path / 'cm.png') > 1000

    fused = _tool('analysis_tools/fuse_scores').main([dump, dump])
    assert fused['top1'] == pytest.approx(metrics['acc/top1'])
