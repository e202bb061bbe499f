# Copyright (c) step_mm contributors. All rights reserved.
"""Non-deep baselines under the E-Gait protocols (scikit-learn).

Logistic regression, an RBF-SVM, a random forest and histogram gradient
boosting, each on

- ``affective29``: the 29 affective features of ``GaitAffectiveFeatures``,
- ``motion165``: the 165 per-joint statistics of
  ``GaitAffectiveFeatures(with_motion_stats=True)``,

both computed after ``NormalizeGait`` (``benchmarks/egait_features.py``).
The runs are those of ``benchmarks/egait_protocol.py``: the same folds and
seeds of :func:`step_mm.datasets.splits.make_split`. In each run the
model is fitted on the fold's ``train`` + ``val`` subsets (everything but
the test fold); its hyper-parameters are chosen by a 5-fold inner
cross-validation on those gaits only (stratified; for protocol ``subject``
also actor-disjoint), refitted on all of them and tested once on the test
fold. Features are standardised inside the pipeline (statistics of the
fitting gaits).

Each run is written in the protocol table's format (top-1, mean-class,
per-class recall, confusion matrix, train time) plus its accuracy per
source database (:func:`step_mm.datasets.sources.accuracy_by_source`);
per-gait predictions are not kept: the file holds aggregates only, nothing
from which E-Gait's labels could be read back.

Example::

    python benchmarks/egait_sklearn.py --protocol random
    python benchmarks/egait_sklearn.py --protocol subject

Writes ``benchmarks/results/egait_sklearn_<protocol>.json`` and ``.md``
after every run; runs already there are skipped (resumable).
"""
import argparse
import datetime
import json
import os.path as osp
import platform
import sys
import time
import warnings
from typing import Dict, List, Tuple

import numpy as np

from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from step_mm.apis.protocol import PROTOCOLS
from step_mm.apis.protocol_cli import add_protocol_args, resolve_protocol_args
from step_mm.evaluation.functional import accuracies, confusion
from step_mm.evaluation.statistics import mean_std
from step_mm.utils.cli import find_data_root
from step_mm.utils.io import dump_json, write_text
from step_mm.utils.markdown import markdown_table, mean_pm_std

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FEATURES = dict(affective29='aff29', motion165='motion165')
INNER_FOLDS = 5
VAL_RATIO = 0.1  # the protocol's val share; val is fitted on here


def estimators(seed: int) -> Dict[str, Tuple[object, dict]]:
    """Each model: an estimator (scaler + classifier) and its grid."""
    from sklearn.ensemble import (HistGradientBoostingClassifier,
                                  RandomForestClassifier)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    def pipe(clf):
        return make_pipeline(StandardScaler(), clf)

    return dict(
        logreg=(pipe(LogisticRegression(max_iter=5000)),
                dict(logisticregression__C=[0.01, 0.03, 0.1, 0.3, 1., 3.])),
        svm=(pipe(SVC(kernel='rbf')),
             dict(
                 svc__C=[0.3, 1., 3., 10.],
                 svc__gamma=['scale', 0.3, 3.])),
        # the tree ensembles cost 10-50x the others per fit: smaller grids
        rf=(pipe(
            RandomForestClassifier(
                n_estimators=100, random_state=seed, n_jobs=1)),
            dict(randomforestclassifier__max_features=['sqrt', 0.3])),
        hgb=(pipe(
            HistGradientBoostingClassifier(
                max_iter=100, early_stopping=False, random_state=seed)),
             dict(histgradientboostingclassifier__max_leaf_nodes=[7, 15])))


def _gamma_grid(grid: dict, num_features: int) -> dict:
    """SVM gammas as multiples of ``1 / num_features`` (``'scale'`` kept)."""
    grid = dict(grid)
    if 'svc__gamma' in grid:
        grid['svc__gamma'] = [
            g if isinstance(g, str) else g / num_features
            for g in grid['svc__gamma']
        ]
    return grid


def scores(pred: np.ndarray, true: np.ndarray,
           num_classes: int) -> Dict[str, object]:
    """Top-1, mean-class accuracy, per-class recall, confusion matrix
    (:mod:`step_mm.evaluation.functional`, the runner's definitions)."""
    acc = accuracies(np.eye(num_classes)[pred], true)
    return dict(
        top1=acc['top1'],
        mean_class=acc['mean_class'],
        per_class_recall=[
            None if np.isnan(r) else float(r) for r in acc['per_class']
        ],
        confusion_matrix=confusion(pred, true, num_classes).tolist())


def fit_run(model: str, x: np.ndarray, y: np.ndarray, groups: np.ndarray,
            fit_idx: np.ndarray, test_idx: np.ndarray, protocol: str,
            seed: int, num_classes: int, keys: List[str]) -> dict:
    """Inner-CV grid search on ``fit_idx``, refit, test on ``test_idx``."""
    from step_mm.datasets.sources import accuracy_by_source
    from sklearn.model_selection import (GridSearchCV, StratifiedGroupKFold,
                                         StratifiedKFold)
    estimator, grid = estimators(seed)[model]
    grid = _gamma_grid(grid, x.shape[1])
    if protocol == 'subject':
        cv = StratifiedGroupKFold(INNER_FOLDS, shuffle=True,
                                  random_state=seed)
    else:
        cv = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=seed)
    search = GridSearchCV(
        estimator, grid, scoring='accuracy', cv=cv, n_jobs=1, refit=True)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        search.fit(x[fit_idx], y[fit_idx], groups=groups[fit_idx])
    train_time = time.perf_counter() - t0
    pred = search.predict(x[test_idx])
    params = {
        k.split('__', 1)[1]: v
        for k, v in search.best_params_.items()
    }
    return dict(
        **scores(pred, y[test_idx], num_classes),
        best_params=params,
        inner_cv_top1=float(search.best_score_),
        train_time_s=round(train_time, 2),
        by_source=accuracy_by_source([keys[i] for i in test_idx], pred,
                                     y[test_idx]))


def summarize(runs: List[dict]) -> Dict[str, dict]:
    """Mean and sample std over the runs of each model."""
    out = {}
    for model in sorted({r['model'] for r in runs}):
        rs = [r for r in runs if r['model'] == model]
        s = dict(n_runs=len(rs))
        for k in ('top1', 'mean_class', 'inner_cv_top1', 'train_time_s'):
            s[f'{k}_mean'], s[f'{k}_std'] = mean_std([r[k] for r in rs])
        recall = np.array([[np.nan if v is None else v
                            for v in r['per_class_recall']] for r in rs])
        s['per_class_recall_mean'] = [
            float(v) for v in np.nanmean(recall, axis=0)
        ]
        out[model] = s
    return out


def markdown(result: dict) -> str:
    meta = result['meta']
    names = meta['class_names']
    lines = [
        f"E-Gait, protocol `{meta['protocol']}` ({meta['num_folds']} folds; "
        f"seeds {', '.join(map(str, meta['seeds']))}): scikit-learn "
        f'{meta["sklearn"]}, hyper-parameters by {INNER_FOLDS}-fold inner '
        'CV on each fold\'s train + val gaits, tested once on its test '
        'fold. Mean ± sample std over runs; fit time per run (grid search '
        'and refit) on one thread.', ''
    ] + markdown_table(
        ('model', 'top-1', 'mean-class', *(f'recall {n}' for n in names),
         'inner-CV top-1', 'fit time / run', 'runs'),
        [(model, mean_pm_std(s['top1_mean'], s['top1_std']),
          mean_pm_std(s['mean_class_mean'], s['mean_class_std']),
          *(f'{v:.3f}' for v in s['per_class_recall_mean']),
          f"{s['inner_cv_top1_mean']:.3f}", f"{s['train_time_s_mean']:.1f} s",
          s['n_runs']) for model, s in result['summary'].items()])
    return '\n'.join(lines) + '\n'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_protocol_args(parser)
    parser.add_argument(
        '--models',
        nargs='+',
        choices=('logreg', 'svm', 'rf', 'hgb'),
        default=['logreg', 'svm', 'rf', 'hgb'])
    parser.add_argument(
        '--features',
        nargs='+',
        choices=sorted(FEATURES),
        default=list(FEATURES))
    parser.add_argument('--data-root', default=find_data_root())
    parser.add_argument(
        '--out',
        help='default: benchmarks/results/egait_sklearn_<protocol>.json')
    args = resolve_protocol_args(parser, parser.parse_args(argv))
    if not osp.isfile(osp.join(args.data_root, 'features.h5')):
        parser.error(f'{args.data_root}: no features.h5 (E-Gait folder; '
                     'set --data-root or EGAIT_ROOT)')
    args.out = args.out or osp.join(REPO, 'benchmarks', 'results',
                                    f'egait_sklearn_{args.protocol}.json')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    import sklearn
    import torch

    from step_mm.datasets.egait_dataset import EGAIT_CLASSES
    from step_mm.datasets.splits import actor_of, make_split
    torch.set_num_threads(1)
    from step_mm.datasets.feature_sets import load_features

    start = time.perf_counter()
    data = load_features(args.data_root)
    y = data['labels']
    num_classes = len(EGAIT_CLASSES)
    groups = np.array([actor_of(k) for k in data['keys']])
    num_folds = PROTOCOLS[args.protocol]['num_folds']

    result = dict(runs=[])
    if osp.isfile(args.out):
        with open(args.out) as f:
            result = json.load(f)
    runs = result['runs']
    done = {(r['model'], r['fold'], r['seed']) for r in runs}
    old = result.get('meta', {})
    result['meta'] = dict(
        protocol=args.protocol,
        num_folds=num_folds,
        folds=sorted(set(old.get('folds', [])) | set(args.folds)),
        seeds=sorted(set(old.get('seeds', [])) | set(args.seeds)),
        class_names=list(EGAIT_CLASSES),
        num_gaits=int(len(y)),
        inner_folds=INNER_FOLDS,
        grids={
            m: {k.split('__', 1)[1]: v
                for k, v in g.items()}
            for m, (_, g) in estimators(0).items()
        },
        sklearn=sklearn.__version__,
        python=platform.python_version(),
        command='python benchmarks/egait_sklearn.py ' +
        ' '.join(sys.argv[1:] if argv is None else argv),
        updated=datetime.datetime.now().isoformat(timespec='seconds'))
    wall_before = old.get('wall_s', 0.)

    def save() -> str:
        result['summary'] = summarize(runs)
        result['meta']['wall_s'] = round(
            wall_before + time.perf_counter() - start, 1)
        dump_json(result, args.out)
        table = markdown(result)
        write_text(osp.splitext(args.out)[0] + '.md', table)
        return table

    bar = ProgressBar(len(args.seeds) * len(args.folds))
    for seed in args.seeds:
        for fold in args.folds:
            bar.update()
            split = make_split(data['keys'], y, args.protocol, num_folds,
                               fold, seed, VAL_RATIO)
            fit_idx = np.array(split['train'] + split['val'])
            test_idx = np.array(split['test'])
            for feats, short in FEATURES.items():
                if feats not in args.features:
                    continue
                for model in args.models:
                    key = f'sk_{model}_{short}'
                    if (key, fold, seed) in done:
                        continue
                    run = fit_run(model, data[feats], y, groups, fit_idx,
                                  test_idx, args.protocol, seed, num_classes,
                                  data['keys'])
                    runs.append(
                        dict(
                            config=f'sklearn:{model}:{feats}',
                            model=key,
                            fold=fold,
                            seed=seed,
                            **run))
                    print_log(
                        f"{key} fold {fold} seed {seed}: top-1 "
                        f"{run['top1']:.3f} mean-class "
                        f"{run['mean_class']:.3f} "
                        f"({run['train_time_s']:.1f} s)",
                        logger='current')
                    save()
    table = save()
    print(table)
    print_log(f'results: {args.out}', logger='current')
    return result


if __name__ == '__main__':
    main()
