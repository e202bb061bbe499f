# Copyright (c) step_mm contributors. All rights reserved.
"""Paired statistics over cross-validation runs.

A benchmark run is a dict with at least ``fold``, ``seed`` and a metric
(``top1``, ``mean_class``, ...), as written by
``benchmarks/egait_protocol.py`` and ``benchmarks/egait_sklearn.py``. Two
models are compared on the runs they share (same fold, same seed, hence
the same test gaits), never on unpaired means.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

__all__ = ['mean_std', 'paired_values', 'paired_wilcoxon']

RunKey = Tuple[int, int]


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; 0 for one value).

    Args:
        values (Sequence[float]): The values, at least one.

    Returns:
        tuple[float, float]: Mean and sample standard deviation.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise ValueError('mean_std needs at least one value')
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.


def _by_run(runs: Sequence[Dict], metric: str) -> Dict[RunKey, float]:
    out = {}
    for r in runs:
        key = (int(r['fold']), int(r['seed']))
        if key in out:
            raise ValueError(f'two runs of fold {key[0]} seed {key[1]}')
        out[key] = float(r[metric])
    return out


def paired_values(runs_a: Sequence[Dict],
                  runs_b: Sequence[Dict],
                  metric: str = 'top1'
                  ) -> Tuple[List[RunKey], np.ndarray, np.ndarray]:
    """The metric of two models on the (fold, seed) runs both have.

    Args:
        runs_a (Sequence[dict]): Runs of model A.
        runs_b (Sequence[dict]): Runs of model B.
        metric (str): Key of the metric. Defaults to ``'top1'``.

    Returns:
        tuple[list, np.ndarray, np.ndarray]: The shared ``(fold, seed)``
        keys, sorted, and A's and B's values on them.
    """
    a, b = _by_run(runs_a, metric), _by_run(runs_b, metric)
    keys = sorted(set(a) & set(b))
    return (keys, np.array([a[k] for k in keys]),
            np.array([b[k] for k in keys]))


def paired_wilcoxon(runs_a: Sequence[Dict],
                    runs_b: Sequence[Dict],
                    metric: str = 'top1',
                    alternative: str = 'two-sided') -> Dict[str, float]:
    """Paired Wilcoxon signed-rank test of model A against model B.

    ``scipy.stats.wilcoxon`` on the differences A - B over the shared runs
    (zero differences dropped, the ``'wilcox'`` rule). With ``n`` non-zero
    differences the smallest two-sided p-value is ``2 / 2**n`` (0.0625 for
    protocol S's 5 runs).

    Args:
        runs_a (Sequence[dict]): Runs of model A.
        runs_b (Sequence[dict]): Runs of model B.
        metric (str): Key of the metric. Defaults to ``'top1'``.
        alternative (str): ``'two-sided'``, ``'greater'`` (A better) or
            ``'less'``. Defaults to ``'two-sided'``.

    Returns:
        dict: ``n`` (shared runs), ``mean_diff`` and ``std_diff`` (A - B),
        ``wins`` / ``losses`` (runs where A is above / below B),
        ``statistic`` and ``p_value`` (NaN when fewer than one non-zero
        difference: no test is possible; 1.0 when every difference is 0).
    """
    keys, a, b = paired_values(runs_a, runs_b, metric)
    diff = a - b
    out = dict(
        n=len(keys),
        mean_diff=float(diff.mean()) if len(keys) else float('nan'),
        std_diff=mean_std(diff)[1] if len(keys) else float('nan'),
        wins=int((diff > 0).sum()),
        losses=int((diff < 0).sum()),
        statistic=float('nan'),
        p_value=float('nan'))
    if len(keys) == 0:
        return out
    if not np.any(diff != 0):
        out['p_value'] = 1.0
        return out
    from scipy.stats import wilcoxon
    res = wilcoxon(a, b, zero_method='wilcox', alternative=alternative)
    out['statistic'] = float(res.statistic)
    out['p_value'] = float(res.pvalue)
    return out
