# Copyright (c) step_mm contributors. All rights reserved.
"""Linear probes on gait-level features under the E-Gait protocols.

How much do hand-made gait features alone tell about the emotion? For each
run of a protocol (fold x seed, the same splits as
``benchmarks/egait_protocol.py``) a multinomial logistic regression is
fitted on the fold's ``train`` subset (features standardised with the
train statistics), its L2 weight is picked on the fold's ``val`` subset
only, and that model is reported on ``val`` and on the held-out ``test``
fold. Feature sets:

- ``affective29``: the 29 affective features of ``GaitAffectiveFeatures``;
- ``official29``: the release's ``affectiveFeatures.h5``;
- ``motion165``: the per-joint statistics of
  :func:`step_mm.skeleton.motion_stats.motion_statistics`;
- ``affective29+motion165``: STEP's gait-level input (194 values).

The ``val`` figures are what the STEP recipe was chosen on
(``configs/step/README.md``, "Recipe notes"); ``test`` figures are
reported, never used to choose anything.

Example::

    python benchmarks/egait_features.py --protocol random
    python benchmarks/egait_features.py --protocol subject

Writes ``benchmarks/results/egait_features_<protocol>.json`` and ``.md``.
"""
import argparse
import os.path as osp
import sys
import time
from typing import Dict, Sequence

import numpy as np
import torch

from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from step_mm.apis.protocol import PROTOCOLS
from step_mm.apis.protocol_cli import add_protocol_args, resolve_protocol_args
from step_mm.datasets.feature_sets import load_features
from step_mm.evaluation.functional import accuracies
from step_mm.evaluation.statistics import mean_std
from step_mm.utils.cli import find_data_root
from step_mm.utils.io import dump_json, write_text
from step_mm.utils.markdown import markdown_table, mean_pm_std

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
L2_GRID = (3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)
FEATURE_SETS = ('affective29', 'official29', 'motion165',
                'affective29+motion165')


def fit_predict(x_train: np.ndarray, y_train: np.ndarray, l2: float,
                num_classes: int):
    """Multinomial logistic regression (L-BFGS, L2 on the weights)."""
    x = torch.from_numpy(x_train)
    y = torch.from_numpy(y_train)
    linear = torch.nn.Linear(x.shape[1], num_classes).double()
    opt = torch.optim.LBFGS(
        linear.parameters(), max_iter=500, line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(linear(x), y)
        loss = loss + l2 * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)

    def predict(z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return linear(torch.from_numpy(z)).argmax(1).numpy()

    return predict


def run(data: Dict[str, np.ndarray], protocol: str, folds: Sequence[int],
        seeds: Sequence[int]) -> dict:
    from step_mm.datasets.splits import make_split
    num_folds = PROTOCOLS[protocol]['num_folds']
    y = data['labels']
    num_classes = int(y.max()) + 1
    runs = []
    bar = ProgressBar(len(FEATURE_SETS) * len(seeds) * len(folds))
    for name in FEATURE_SETS:
        x_all = data[name]
        for seed in seeds:
            for fold in folds:
                bar.update()
                split = make_split(data['keys'], y, protocol, num_folds, fold,
                                   seed, 0.1)
                tr, va, te = (np.asarray(split[k])
                              for k in ('train', 'val', 'test'))
                mu = x_all[tr].mean(0)
                sd = x_all[tr].std(0)
                x = (x_all - mu) / np.where(sd > 1e-8, sd, 1.)
                best = None
                for l2 in L2_GRID:  # first (smallest) wins ties
                    predict = fit_predict(x[tr], y[tr], l2, num_classes)
                    val = float((predict(x[va]) == y[va]).mean())
                    if best is None or val > best[0]:
                        best = (val, l2, predict)
                val, l2, predict = best
                pred = predict(x[te])
                runs.append(
                    dict(
                        features=name,
                        fold=fold,
                        seed=seed,
                        l2=l2,
                        val_top1=val,
                        top1=float((pred == y[te]).mean()),
                        mean_class=accuracies(
                            np.eye(num_classes)[pred],
                            y[te])['mean_class']))
    summary = {}
    for name in FEATURE_SETS:
        rs = [r for r in runs if r['features'] == name]
        summary[name] = dict(n_runs=len(rs))
        for k in ('val_top1', 'top1', 'mean_class'):
            summary[name][f'{k}_mean'], summary[name][f'{k}_std'] = mean_std(
                [r[k] for r in rs])
    return dict(runs=runs, summary=summary)


def markdown(result: dict) -> str:
    lines = [
        f"E-Gait, protocol `{result['protocol']}`, folds "
        f"{result['folds']}, seeds {result['seeds']}: logistic regression "
        'on gait-level features, L2 weight picked on each fold\'s val '
        'subset. Mean ± sample std over runs.', ''
    ] + markdown_table(
        ('features', 'dim', 'val top-1', 'test top-1', 'test mean-class',
         'runs'),
        [(name, result['dims'][name],
          mean_pm_std(s['val_top1_mean'], s['val_top1_std']),
          mean_pm_std(s['top1_mean'], s['top1_std']),
          mean_pm_std(s['mean_class_mean'], s['mean_class_std']), s['n_runs'])
         for name, s in result['summary'].items()])
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_protocol_args(parser)
    parser.add_argument('--data-root', default=find_data_root())
    parser.add_argument(
        '--out', help='default: benchmarks/results/egait_features_'
        '<protocol>.json')
    args = resolve_protocol_args(parser, parser.parse_args(argv))
    args.out = args.out or osp.join(REPO, 'benchmarks', 'results',
                                    f'egait_features_{args.protocol}.json')
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    data = load_features(args.data_root)
    result = run(data, args.protocol, args.folds, args.seeds)
    result.update(
        protocol=args.protocol,
        folds=args.folds,
        seeds=args.seeds,
        l2_grid=list(L2_GRID),
        dims={k: int(data[k].shape[1])
              for k in FEATURE_SETS},
        command='python benchmarks/egait_features.py ' +
        ' '.join(sys.argv[1:] if argv is None else argv),
        wall_s=round(time.perf_counter() - start, 1))
    dump_json(result, args.out)
    md = markdown(result)
    write_text(osp.splitext(args.out)[0] + '.md', md)
    print(md)
    print_log(f'wrote {args.out} ({result["wall_s"]} s)', logger='current')
    return result


if __name__ == '__main__':
    main()
