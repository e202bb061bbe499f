# Copyright (c) step_mm contributors. All rights reserved.
"""Paired statistics on hand-made result lists with known answers."""
import math

import pytest

from step_mm.evaluation import mean_std, paired_values, paired_wilcoxon


def _runs(values, folds=None, seed=0, metric='top1'):
    folds = range(len(values)) if folds is None else folds
    return [dict(fold=f, seed=seed, **{metric: v})
            for f, v in zip(folds, values)]


def test_all_runs_better_gives_the_exact_smallest_p():
    a = [0.60, 0.70, 0.80, 0.65, 0.75, 0.72]
    gaps = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]
    b = [x - g for x, g in zip(a, gaps)]
    res = paired_wilcoxon(_runs(a), _runs(b))
    # 6 positive, distinct differences: W- = 0, exact p = 2 / 2**6
    assert res['n'] == 6 and res['wins'] == 6 and res['losses'] == 0
    assert res['statistic'] == 0
    assert res['p_value'] == pytest.approx(2 / 64)
    assert res['mean_diff'] == pytest.approx(0.035)
    greater = paired_wilcoxon(_runs(a), _runs(b), alternative='greater')
    assert greater['p_value'] == pytest.approx(1 / 64)
    # the reverse comparison is as significant, with a negative difference
    rev = paired_wilcoxon(_runs(b), _runs(a))
    assert rev['p_value'] == pytest.approx(2 / 64)
    assert rev['mean_diff'] == pytest.approx(-0.035)


def test_mixed_signs_known_p():
    # differences +1 +2 -3 +4 +5 (x 0.01): ranks 1..5, W- = 3; subsets of
    # {1..5} with rank sum <= 3: {}, {1}, {2}, {3}, {1, 2} -> p = 2 * 5 / 32
    b = [0.5] * 5
    a = [0.51, 0.52, 0.47, 0.54, 0.55]
    res = paired_wilcoxon(_runs(a), _runs(b))
    assert res['statistic'] == 3
    assert res['p_value'] == pytest.approx(10 / 32)
    assert (res['wins'], res['losses']) == (4, 1)


def test_pairs_by_fold_and_seed_not_by_position():
    a = _runs([0.9, 0.8, 0.7], folds=[2, 0, 1]) + _runs([0.1], folds=[5])
    b = _runs([0.6, 0.5, 0.4], folds=[0, 1, 2]) + _runs([0.2], seed=1)
    keys, va, vb = paired_values(a, b)
    assert keys == [(0, 0), (1, 0), (2, 0)]
    assert va.tolist() == [0.8, 0.7, 0.9]
    assert vb.tolist() == [0.6, 0.5, 0.4]


def test_equal_runs_and_no_shared_runs():
    same = paired_wilcoxon(_runs([0.5, 0.6]), _runs([0.5, 0.6]))
    assert same['p_value'] == 1.0 and same['mean_diff'] == 0
    none = paired_wilcoxon(_runs([0.5]), _runs([0.5], seed=3))
    assert none['n'] == 0 and math.isnan(none['p_value'])


def test_duplicate_run_is_an_error():
    with pytest.raises(ValueError, match='fold 0 seed 0'):
        paired_values(_runs([0.5, 0.6], folds=[0, 0]), _runs([0.5]))


def test_other_metric_and_mean_std():
    a = _runs([0.4, 0.5, 0.6], metric='mean_class')
    b = _runs([0.3, 0.3, 0.3], metric='mean_class')
    assert paired_wilcoxon(a, b, metric='mean_class')['mean_diff'] == (
        pytest.approx(0.2))
    m, s = mean_std([0.4, 0.5, 0.6])
    assert m == pytest.approx(0.5) and s == pytest.approx(0.1)
    assert mean_std([0.7]) == (0.7, 0.)
    with pytest.raises(ValueError):
        mean_std([])
