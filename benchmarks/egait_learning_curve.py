# Copyright (c) step_mm contributors. All rights reserved.
"""Learning curve on E-Gait: accuracy against the amount of real training data.

Runs protocol R of ``benchmarks/egait_protocol.py`` (same splits, same
val-based checkpoint selection, same test folds) with the ``train`` subset of
every fold cut to a stratified fraction
(``EGaitDataset(train_fraction=f)``; ``val`` and ``test`` unchanged), for
each fraction, and fits the gain in top-1 per doubling of the training data
(least squares of the mean top-1 against ``log2(fraction)``). The slope says
how much more labelled data of the same kind, real or generated, can be
expected to buy.

Results: ``benchmarks/results/egait_learning_curve.json`` and ``.md``; the
runs of each fraction are kept (and resumed) in
``<work-dir>/frac<f>/egait_random.json``.

Example::

    python benchmarks/egait_learning_curve.py --seeds 0 --jobs 2 --threads 1
"""
import argparse
import datetime
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

from mmengine.utils import track_iter_progress

from step_mm.apis.protocol import (default_step_config, run_protocol,
                                   summarize)
from step_mm.utils.io import dump_json, write_text

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

RESULTS = osp.join(REPO, 'benchmarks', 'results')


def fit_doubling(fractions: Sequence[float],
                 top1: Sequence[float]) -> Dict[str, float]:
    """Least-squares ``top1 = a + b * log2(fraction)``.

    Returns:
        dict: ``gain_per_doubling`` (b) and ``top1_at_full`` (a, the fitted
        value at fraction 1).
    """
    x = np.log2(np.asarray(fractions, dtype=float))
    y = np.asarray(top1, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0:
        raise ValueError('need at least two different fractions to fit')
    b, a = np.polyfit(x, y, 1)
    return dict(gain_per_doubling=float(b), top1_at_full=float(a))


def collect(json_path: str, fraction: float, folds: Sequence[int],
            seeds: Sequence[int]) -> Dict[str, dict]:
    """Per model: accuracy summary of one fraction's runs of the given
    folds and seeds (the resumable JSON may hold other seeds too)."""
    with open(json_path) as f:
        result = json.load(f)
    runs = [
        r for r in result['runs']
        if r['fold'] in folds and r['seed'] in seeds
    ]
    out = {}
    for model, s in summarize(runs, result['models']).items():
        out[model] = dict(
            fraction=fraction,
            top1_mean=s['top1_mean'],
            top1_std=s['top1_std'],
            mean_class_mean=s['mean_class_mean'],
            mean_class_std=s['mean_class_std'],
            best_val_top1_mean=float(
                np.mean([r['best_val_top1'] for r in runs
                         if r['model'] == model])),
            train_time_s_mean=s.get('train_time_s_mean'),
            n_runs=s['n_runs'])
    return out


def markdown(result: dict) -> str:
    lines = [
        f"Learning curve, protocol R, folds {result['folds']}, seeds "
        f"{result['seeds']} (`python benchmarks/egait_learning_curve.py`, "
        f"{result['date']}); fraction of each fold's train subset kept "
        '(val and test unchanged).', '',
        '| model | fraction of train | top-1 (mean ± std) | mean-class | '
        'best val top-1 | runs |', '|---|---|---|---|---|---|'
    ]
    for model, rows in result['models'].items():
        for r in rows['points']:
            lines.append(
                f"| {model} | {r['fraction']:g} | "
                f"{100 * r['top1_mean']:.1f} ± {100 * r['top1_std']:.1f} | "
                f"{100 * r['mean_class_mean']:.1f} | "
                f"{100 * r['best_val_top1_mean']:.1f} | {r['n_runs']} |")
    lines.append('')
    for model, rows in result['models'].items():
        fit = rows['fit']
        lines.append(
            f"- {model}: {100 * fit['gain_per_doubling']:+.1f} points of "
            'test top-1 per doubling of the real training data, '
            f"{100 * fit['val_gain_per_doubling']:+.1f} of best val top-1 "
            '(fits over the fractions above).')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=None,
                        help='default: the STEP config')
    parser.add_argument('--fractions', type=float, nargs='+',
                        default=[0.25, 0.5, 1.0])
    parser.add_argument('--folds', type=int, nargs='+',
                        default=list(range(10)))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--work-dir',
                        default=osp.join(REPO, 'work_dirs',
                                         'egait_learning_curve'))
    parser.add_argument('--out-dir', default=RESULTS)
    parser.add_argument('--data-root', default=None)
    parser.add_argument('--epochs', type=int, default=None,
                        help='shorten every schedule to this (smoke runs)')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--jobs', type=int, default=1)
    args = parser.parse_args(argv)
    for f in args.fractions:
        if not 0 < f <= 1:
            parser.error(f'fractions must be in (0, 1], got {f}')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    configs = args.configs or [
        osp.relpath(default_step_config(), REPO)]
    per_model: Dict[str, List[dict]] = {}
    for frac in track_iter_progress(sorted(set(args.fractions))):
        out = osp.join(args.work_dir, f'frac{frac:g}')
        os.makedirs(out, exist_ok=True)
        run_protocol(
            configs,
            'random',
            args.folds,
            args.seeds,
            out_dir=out,
            work_dir=out,
            data_root=args.data_root,
            epochs=args.epochs,
            threads=args.threads,
            jobs=args.jobs,
            cfg_options={'train_dataloader.dataset.train_fraction': frac})
        for model, point in collect(
                osp.join(out, 'egait_random.json'), frac, args.folds,
                args.seeds).items():
            per_model.setdefault(model, []).append(point)
    result = dict(
        benchmark='egait_learning_curve',
        protocol='random',
        configs=configs,
        folds=args.folds,
        seeds=args.seeds,
        date=datetime.date.today().isoformat(),
        models={
            model: dict(
                points=points,
                fit=dict(
                    **fit_doubling([p['fraction'] for p in points],
                                   [p['top1_mean'] for p in points]),
                    val_gain_per_doubling=fit_doubling(
                        [p['fraction'] for p in points],
                        [p['best_val_top1_mean']
                         for p in points])['gain_per_doubling']))
            for model, points in per_model.items() if len(points) > 1
        })
    os.makedirs(args.out_dir, exist_ok=True)
    base = osp.join(args.out_dir, 'egait_learning_curve')
    dump_json(result, base + '.json')
    table = markdown(result)
    write_text(base + '.md', table)
    print(table)
    return result


if __name__ == '__main__':
    main()
