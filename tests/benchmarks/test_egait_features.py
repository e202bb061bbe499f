# Copyright (c) step_mm contributors. All rights reserved.
"""``benchmarks/egait_features.py`` on the generated tiny E-Gait."""
import numpy as np
import pytest

from step_mm.testing import load_script


def _script():
    return load_script('benchmarks/egait_features.py')


def test_feature_sets_match_the_pipeline(tiny_egait):
    mod = _script()
    data = mod.load_features(tiny_egait)
    assert len(data['keys']) == len(data['labels']) == 40
    assert data['affective29'].shape == (40, 29)
    assert data['official29'].shape == (40, 29)
    assert data['motion165'].shape == (40, 165)
    np.testing.assert_array_equal(
        data['affective29+motion165'],
        np.concatenate([data['affective29'], data['motion165']], 1))


def test_probe_learns_a_separable_problem():
    """The probe and the val-based L2 pick on features that give the label
    away: test accuracy 1; on shuffled labels it stays near chance."""
    mod = _script()
    rng = np.random.default_rng(0)
    n = 120
    labels = np.arange(n) % 4
    feats = rng.normal(size=(n, 6))
    feats[np.arange(n), labels] += 6.
    data = {
        'keys': [f'{i:03d}_x_positions.csv' for i in range(n)],
        'labels': labels
    }
    for name in mod.FEATURE_SETS:
        data[name] = feats
    result = mod.run(data, 'random', folds=[0, 1], seeds=[0])
    s = result['summary']['motion165']
    assert s['n_runs'] == 2 and s['top1_mean'] == pytest.approx(1.0)
    data['labels'] = rng.permutation(labels)
    result = mod.run(data, 'random', folds=[0, 1], seeds=[0])
    assert result['summary']['motion165']['top1_mean'] < 0.6


def test_writes_json_and_markdown(tiny_egait, tmp_path):
    mod = _script()
    out = tmp_path / 'f.json'
    result = mod.main([
        '--data-root', tiny_egait, '--protocol', 'subject', '--folds', '0',
        '--out', str(out)
    ])
    assert out.is_file() and (tmp_path / 'f.md').is_file()
    for s in result['summary'].values():
        assert 0 <= s['top1_mean'] <= 1 and s['n_runs'] == 1
