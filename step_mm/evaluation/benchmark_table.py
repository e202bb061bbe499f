# Copyright (c) step_mm contributors. All rights reserved.
"""The benchmark table: every model's runs summarised beside STEP's.

Rows are models, each a list of runs in the protocol results format
(``benchmarks/egait_protocol.py``, ``benchmarks/egait_sklearn.py``): dicts
with ``fold``, ``seed``, ``top1``, ``mean_class``, optionally
``per_class_recall`` or ``confusion_matrix`` (rows: true class) and
``train_time_s``. Each row gets mean ± sample std over its runs and the
paired Wilcoxon signed-rank test of the reference model (STEP) against it
over the runs both have (:func:`step_mm.evaluation.paired_wilcoxon`).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

from .statistics import mean_std, paired_wilcoxon

__all__ = ['per_class_recall', 'summarize_row', 'benchmark_table',
           'table_markdown', 'format_si']


def per_class_recall(run: Dict) -> Optional[List[Optional[float]]]:
    """Recall of each class in one run (``None`` for an absent class).

    Args:
        run (dict): A run with ``per_class_recall`` or a
            ``confusion_matrix`` whose rows are the true classes.

    Returns:
        list[float | None] | None: One value per class, or None when the
        run holds neither.
    """
    if run.get('per_class_recall') is not None:
        return list(run['per_class_recall'])
    cm = run.get('confusion_matrix')
    if cm is None:
        return None
    cm = np.asarray(cm, dtype=np.float64)
    support = cm.sum(1)
    return [
        float(cm[c, c] / support[c]) if support[c] else None
        for c in range(len(cm))
    ]


def summarize_row(runs: Sequence[Dict],
                  reference: Optional[Sequence[Dict]] = None,
                  info: Optional[Dict] = None) -> Dict:
    """Mean ± std of one model's runs and the paired test against STEP.

    Args:
        runs (Sequence[dict]): The model's runs.
        reference (Sequence[dict], optional): The reference model's runs;
            ``p_top1`` / ``p_mean_class`` are its two-sided paired Wilcoxon
            p-values against this row. Defaults to None (no test).
        info (dict, optional): ``params``, ``flops`` of the model.

    Returns:
        dict: The row's figures.
    """
    if not runs:
        raise ValueError('a table row needs at least one run')
    info = info or {}
    row = dict(n_runs=len(runs))
    for metric in ('top1', 'mean_class'):
        row[f'{metric}_mean'], row[f'{metric}_std'] = mean_std(
            [r[metric] for r in runs])
    recalls = [per_class_recall(r) for r in runs]
    if all(rc is not None for rc in recalls):
        arr = np.array([[np.nan if v is None else v for v in rc]
                        for rc in recalls])
        row['per_class_recall'] = [
            float(v) for v in np.nanmean(arr, axis=0)
        ]
    else:
        row['per_class_recall'] = None
    times = [r['train_time_s'] for r in runs if r.get('train_time_s')]
    row['train_time_s'] = float(np.mean(times)) if times else None
    row['params'] = info.get('params')
    row['flops'] = info.get('flops')
    if reference is not None:
        for metric in ('top1', 'mean_class'):
            test = paired_wilcoxon(reference, runs, metric)
            row[f'p_{metric}'] = test['p_value']
            row[f'diff_{metric}'] = test['mean_diff']
            row['n_paired'] = test['n']
    return row


def benchmark_table(rows: Dict[str, Sequence[Dict]],
                    reference: str = 'step',
                    infos: Optional[Dict[str, Dict]] = None
                    ) -> Dict[str, Dict]:
    """Every row summarised, the reference row first.

    Args:
        rows (dict[str, Sequence[dict]]): Model name -> runs.
        reference (str): The model every row is tested against.
            Defaults to ``'step'``.
        infos (dict[str, dict], optional): Model name -> params / flops.

    Returns:
        dict[str, dict]: Model name -> :func:`summarize_row` figures, in
        the order of ``rows`` with the reference first.
    """
    infos = infos or {}
    ref_runs = rows.get(reference)
    order = ([reference] if reference in rows else []) + [
        m for m in rows if m != reference
    ]
    return {
        m: summarize_row(
            rows[m], None if m == reference else ref_runs, infos.get(m))
        for m in order if rows[m]
    }


def format_si(n: Optional[float]) -> str:
    """``1234567`` as ``'1.23M'`` (``'-'`` for None)."""
    if n is None:
        return '-'
    for unit, div in (('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if n >= div:
            return f'{n / div:.2f}{unit}'
    return str(int(n))


def _p(p: Optional[float]) -> str:
    if p is None or p != p:  # NaN: no test possible
        return '-'
    return f'{p:.1e}' if p < 1e-3 else f'{p:.3f}'


def table_markdown(table: Dict[str, Dict],
                   class_names: Sequence[str],
                   reference: str = 'step') -> str:
    """The table in markdown: one line per model.

    Args:
        table (dict[str, dict]): From :func:`benchmark_table`.
        class_names (Sequence[str]): Names of the classes, in label order.
        reference (str): Name of the reference row. Defaults to ``'step'``.

    Returns:
        str: The markdown table.
    """
    head = ('| model | top-1 | mean-class | ' +
            ' | '.join(f'recall {c}' for c in class_names) +
            f' | params | FLOPs | train time / run | p ({reference} vs row, '
            'top-1) | p (mean-class) | runs |')
    lines = [head, '|---' * (head.count('|') - 1) + '|']
    for model, r in table.items():
        recall = r['per_class_recall'] or [None] * len(class_names)
        time = r['train_time_s']
        lines.append(' | '.join([
            f'| {model}',
            f"{r['top1_mean']:.3f} ± {r['top1_std']:.3f}",
            f"{r['mean_class_mean']:.3f} ± {r['mean_class_std']:.3f}",
            *('-' if v is None else f'{v:.3f}' for v in recall),
            format_si(r['params']),
            format_si(r['flops']),
            '-' if time is None else f'{time:.0f} s',
            _p(r.get('p_top1')),
            _p(r.get('p_mean_class')),
            f"{r['n_runs']} |",
        ]))
    return '\n'.join(lines) + '\n'
