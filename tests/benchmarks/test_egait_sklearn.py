# Copyright (c) step_mm contributors. All rights reserved.
"""``benchmarks/egait_sklearn.py``: a separable problem, then the tiny set."""
import json
import os.path as osp

import numpy as np
import pytest

from step_mm.testing import load_script

MODELS = ('logreg', 'svm', 'rf', 'hgb')


def _script():
    return load_script('benchmarks/egait_sklearn.py')


def _separable(n=160, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 4
    x = rng.normal(size=(n, dim))
    x[np.arange(n), y] += 6.
    return x, y


@pytest.mark.parametrize('model,protocol',
                         [(m, 'random') for m in MODELS] +
                         [('logreg', 'subject')])
def test_every_model_learns_a_separable_problem(model, protocol):
    mod = _script()
    x, y = _separable()
    groups = np.arange(len(y)) // 4  # 40 "actors", one gait of each class
    test = np.flatnonzero(groups < 8)
    fit = np.flatnonzero(groups >= 8)
    keys = [
        f'ann_walk_ha_{i}_fin' if i % 2 else f'{i:03d}_Happy_positions'
        for i in range(len(y))
    ]
    run = mod.fit_run(model, x, y, groups, fit, test, protocol, 0, 4, keys)
    assert run['top1'] == 1.0 and run['mean_class'] == 1.0
    assert run['per_class_recall'] == [1.0] * 4
    assert np.trace(run['confusion_matrix']) == len(test)
    # aggregates only: no per-gait indices or predictions are kept
    assert 'pred' not in run and 'test_idx' not in run
    assert run['by_source'] == {
        'BML': dict(top1=1.0, num=len(test) // 2),
        'ICT': dict(top1=1.0, num=len(test) // 2)
    }
    grid = mod.estimators(0)[model][1]
    assert set(run['best_params']) == {k.split('__')[1] for k in grid}


def test_shuffled_labels_stay_near_chance():
    mod = _script()
    x, y = _separable(n=200)
    y = np.random.default_rng(1).permutation(y)
    idx = np.arange(len(y))
    run = mod.fit_run('logreg', x, y, idx, idx[40:], idx[:40], 'random', 0,
                      4, [f'g{i}' for i in idx])
    assert run['top1'] < 0.5


def test_scores_with_a_missing_class():
    mod = _script()
    s = mod.scores(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), 4)
    assert s['top1'] == 0.75
    assert s['per_class_recall'] == [2 / 3, 1.0, None, None]
    assert s['mean_class'] == pytest.approx((2 / 3 + 1) / 2)


def test_runs_on_the_tiny_set_and_resumes(tiny_egait, tmp_path, capsys):
    mod = _script()
    out = str(tmp_path / 'sk.json')
    argv = [
        '--protocol', 'subject', '--folds', '0', '1', '--models', 'logreg',
        'svm', '--data-root', tiny_egait, '--out', out
    ]
    result = mod.main(argv)
    assert len(result['runs']) == 2 * 2 * 2  # folds x features x models
    assert set(result['summary']) == {
        'sk_logreg_aff29', 'sk_svm_aff29', 'sk_logreg_motion165',
        'sk_svm_motion165'
    }
    with open(out) as f:
        saved = json.load(f)
    keys = {(r['model'], r['fold']) for r in saved['runs']}
    assert len(keys) == 8
    from step_mm.datasets.splits import make_split
    for r in saved['runs']:
        assert r['seed'] == 0 and 'pred' not in r and 'test_idx' not in r
        assert 0 <= r['top1'] <= 1
    # the test gaits are the protocol runner's test fold
    from step_mm.datasets.feature_sets import load_features
    feats = load_features(tiny_egait)
    split = make_split(feats['keys'], feats['labels'], 'subject', 5, 0, 0,
                       0.1)
    from step_mm.datasets.sources import source_of
    test_sources = sorted({source_of(feats['keys'][i]) for i in split['test']})
    for run in [r for r in saved['runs'] if r['fold'] == 0]:
        assert sum(v['num'] for v in run['by_source'].values()) == len(
            split['test'])
        assert sorted(run['by_source']) == test_sources
    assert osp.isfile(out[:-5] + '.md')
    capsys.readouterr()
    again = mod.main(argv)  # resumes: nothing left to fit
    assert len(again['runs']) == 8
    assert ' fold ' not in capsys.readouterr().out


def test_bad_data_root_is_one_clear_error(tmp_path, capsys):
    mod = _script()
    with pytest.raises(SystemExit) as exc:
        mod.main(['--data-root', str(tmp_path), '--out', str(tmp_path / 'x')])
    assert exc.value.code == 2
    assert 'no features.h5' in capsys.readouterr().err
