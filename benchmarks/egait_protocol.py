# Copyright (c) step_mm contributors. All rights reserved.
"""The E-Gait benchmark protocol: cross-validated top-1 / mean-class accuracy.

Protocols (see docs/egait.md):

- ``random`` (R): stratified 10-fold cross-validation over gaits, repeated
  with seeds 0, 1, 2; the seed is both the split seed and the training seed.
- ``subject`` (S): subject-independent stratified 5-fold split (no actor in
  two subsets of a fold), seed 0 by default.

Each run trains a config on the fold's ``train`` subset, keeps the
checkpoint with the best top-1 on the fold's ``val`` subset (never the
test fold) and then tests that checkpoint on ``test``. Joint and bone
configs of one algorithm (``stgcn_..-joint-..``/``stgcn_..-bone-..``) are
also fused into a two-stream model (``stgcn_2s``) from their test scores of
the same fold and seed.

Results go to ``<out-dir>/egait_<protocol>.json`` (written atomically after
every run; runs already there are skipped, so an interrupted benchmark
resumes) and ``egait_<protocol>.md``; ``--readme`` also writes the table
between ``<!-- egait_<protocol>:start -->`` and ``<!-- ..:end -->``.

Example::

    python benchmarks/egait_protocol.py --protocol random --configs \
        configs/step/step_stgcn-aff_1xb8-joint-t75-60e_egait-keypoint-3d.py
    python benchmarks/egait_protocol.py --quick --protocol random --configs \
        configs/step/*.py   # 2 folds x 1 seed x 2 epochs, *_quick.json
"""
import argparse
import datetime
import json
import logging
import multiprocessing
import os
import os.path as osp
import platform
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import step_mm  # noqa: F401  registers the plugin's modules
from step_mm.apis.protocol import (PROTOCOLS, model_key, run_config,
                                   set_epochs, train_and_test)
from step_mm.datasets.sources import SOURCES, accuracy_by_source

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
from confusion_matrix import accuracies, confusion  # noqa: E402
from fuse_scores import fuse_dumps  # noqa: E402

__all__ = [
    'PROTOCOLS', 'model_key', 'run_config', 'set_epochs', 'train_and_test'
]


def complexity(config: str) -> dict:
    """Parameters of the whole model, FLOPs of its backbone on one gait.

    The input is ``(1, M=1, T=75, V=16, C=3)``; heads add a few thousand
    FLOPs at most, which the table leaves out.
    """
    from mmaction.registry import MODELS
    from mmengine.analysis import get_model_complexity_info
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    params = sum(p.numel() for p in model.parameters())
    model.eval()
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)  # unsupported-operator notes
    try:
        info = get_model_complexity_info(
            model.backbone,
            inputs=(torch.zeros(1, 1, 75, 16, 3), ),
            show_table=False,
            show_arch=False)
    finally:
        logger.setLevel(level)
    return dict(params=int(params), flops=int(info['flops']))


def fused_runs(runs: List[dict], dumps: Dict[Tuple, str]) -> List[dict]:
    """Two-stream runs from joint and bone runs of the same fold and seed."""
    out = []
    by = {(r['model'], r['fold'], r['seed']): r for r in runs}
    for (model, fold, seed), bone in sorted(by.items()):
        if not model.endswith('_bone'):
            continue
        joint_model = model[:-len('_bone')]
        joint = by.get((joint_model, fold, seed))
        fused_model = f'{joint_model}_2s'
        if joint is None or (fused_model, fold, seed) in by:
            continue
        paths = [dumps.get((r['config'], fold, seed)) for r in (joint, bone)]
        if not all(p and osp.isfile(p) for p in paths):
            continue
        names, scores, labels = fuse_dumps(paths)
        top1, _, mean_class = accuracies(
            confusion(scores.argmax(1), labels, scores.shape[1]))
        out.append(
            dict(
                config=f"{joint['config']}+{bone['config']}",
                model=fused_model,
                fold=fold,
                seed=seed,
                top1=top1,
                mean_class=mean_class,
                best_epoch=None,
                train_time_s=round(
                    joint['train_time_s'] + bone['train_time_s'], 2),
                by_source=accuracy_by_source(names, scores.argmax(1),
                                             labels)))
    return out


def pooled_by_source(runs: List[dict]) -> Optional[Dict[str, dict]]:
    """Top-1 per source over all test gaits of the runs (None if unknown)."""
    if not runs or any('by_source' not in r for r in runs):
        return None
    hits, nums = {}, {}
    for r in runs:
        for src, v in r['by_source'].items():
            hits[src] = hits.get(src, 0.) + v['top1'] * v['num']
            nums[src] = nums.get(src, 0) + v['num']
    order = SOURCES + ('other', )
    return {
        src: dict(top1=hits[src] / nums[src], num=nums[src])
        for src in sorted(nums, key=order.index)
    }


def summarize(runs: List[dict], models: Dict[str, dict]) -> Dict[str, dict]:
    """Mean and sample standard deviation over the runs of each model."""
    summary = {}
    for model in sorted({r['model'] for r in runs}, key=_model_order):
        rs = [r for r in runs if r['model'] == model]
        top1 = np.array([r['top1'] for r in rs])
        mean_class = np.array([r['mean_class'] for r in rs])
        ddof = 1 if len(rs) > 1 else 0
        summary[model] = dict(
            top1_mean=float(top1.mean()),
            top1_std=float(top1.std(ddof=ddof)),
            mean_class_mean=float(mean_class.mean()),
            mean_class_std=float(mean_class.std(ddof=ddof)),
            n_runs=len(rs),
            params=models.get(model, {}).get('params'),
            flops=models.get(model, {}).get('flops'),
            train_time_s_mean=float(np.mean([r['train_time_s'] for r in rs])),
            by_source=pooled_by_source(rs),
            configs=sorted({r['config']
                            for r in rs}))
    return summary


def _model_order(model: str) -> Tuple[int, str]:
    order = ('step', 'baseline_step')
    return (order.index(model) if model in order else len(order), model)


def _si(n: Optional[float]) -> str:
    if n is None:
        return '-'
    for unit, div in (('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if n >= div:
            return f'{n / div:.2f}{unit}'
    return str(int(n))


def markdown(result: dict) -> str:
    """The summary as a markdown table."""
    meta = result['meta']
    lines = [
        f"E-Gait, protocol `{meta['protocol']}` "
        f"({meta['num_folds']} folds; seeds "
        f"{', '.join(map(str, meta['seeds']))}; checkpoint picked on each "
        "fold's val subset, tested on its test fold). Mean ± sample std "
        'over runs; FLOPs of the backbone on one 75-frame gait; train time '
        f"per run on {meta['cpu_threads']} CPU thread(s).", '',
        '| model | top-1 | mean-class | params | FLOPs | train time / run '
        '| runs |', '|---|---|---|---|---|---|---|'
    ]
    for model, s in result['summary'].items():
        lines.append(
            f"| {model} | {s['top1_mean']:.3f} ± {s['top1_std']:.3f} | "
            f"{s['mean_class_mean']:.3f} ± {s['mean_class_std']:.3f} | "
            f"{_si(s['params'])} | {_si(s['flops'])} | "
            f"{s['train_time_s_mean']:.0f} s | {s['n_runs']} |")
    srcs = [m for m, s in result['summary'].items() if s.get('by_source')]
    if srcs:
        lines += [
            '', 'Top-1 by source database (docs/egait.md, "Sources"), '
            'pooled over the test gaits of all runs:', '',
            '| model | ' + ' | '.join(SOURCES) + ' |',
            '|---|' + '---|' * len(SOURCES)
        ]
        for model in srcs:
            bs = result['summary'][model]['by_source']
            cells = [
                f"{bs[src]['top1']:.2f}" if src in bs else '-'
                for src in SOURCES
            ]
            lines.append(f"| {model} | {' | '.join(cells)} |")
    return '\n'.join(lines) + '\n'


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def write_readme(readme: str, protocol: str, table: str) -> None:
    """Replace the text between the protocol's markers in ``readme``."""
    start = f'<!-- egait_{protocol}:start -->'
    end = f'<!-- egait_{protocol}:end -->'
    with open(readme) as f:
        text = f.read()
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f'{readme}: markers {start} ... {end} not found')
    write_atomic(readme, text[:i + len(start)] + '\n' + table + text[j:])


def _init_worker(threads: int) -> None:
    """Set up a worker process of ``--jobs``."""
    init_default_scope('mmaction')
    torch.set_num_threads(threads)


def _run_job(job: dict, common: dict) -> dict:
    """Train and test one (config, fold, seed); returns the metrics."""
    cfg = run_config(job['config'], common['protocol'], job['fold'],
                     job['seed'], job['work_dir'], common['data_root'],
                     common['epochs'], common['cfg_options'])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return train_and_test(cfg, common['keep_checkpoints'])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='E-Gait cross-validation benchmark')
    parser.add_argument('--configs', nargs='+', required=True)
    parser.add_argument(
        '--protocol', choices=sorted(PROTOCOLS), default='random')
    parser.add_argument(
        '--folds', nargs='+', type=int, help='default: every fold')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        help='split and training seeds (default: 0 1 2 for random, 0 for '
        'subject)')
    parser.add_argument(
        '--out-dir', default=osp.join(REPO, 'benchmarks', 'results'))
    parser.add_argument(
        '--work-dir',
        default=osp.join('work_dirs', 'egait_protocol'),
        help='per-run logs and test dumps')
    parser.add_argument(
        '--data-root',
        help='E-Gait folder (default: the config / '
        '$EGAIT_ROOT)')
    parser.add_argument(
        '--epochs', type=int, help='shorten every schedule to this')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke run: folds 0 1, seed 0, 2 epochs (unless given), '
        'results in egait_<protocol>_quick.*')
    parser.add_argument(
        '--readme',
        help='also write the table between the markers in this file (e.g. '
        'configs/step/README.md)')
    parser.add_argument(
        '--threads',
        type=int,
        help='torch CPU threads (default: torch decides; 1 is faster on a '
        'machine shared with other jobs)')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='runs trained in parallel, each in its own process with '
        '--threads threads (default 1 process, in this one)')
    parser.add_argument('--keep-checkpoints', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    proto = PROTOCOLS[args.protocol]
    if args.quick:
        args.folds = args.folds or [0, 1]
        args.seeds = args.seeds or [0]
        args.epochs = args.epochs or 2
    args.folds = args.folds or list(range(proto['num_folds']))
    args.seeds = args.seeds or list(proto['seeds'])
    bad = [f for f in args.folds if not 0 <= f < proto['num_folds']]
    if bad:
        parser.error(f'--folds {bad}: protocol {args.protocol} has folds '
                     f"0..{proto['num_folds'] - 1}")
    for c in args.configs:
        if not osp.isfile(c):
            parser.error(f'config {c} not found')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    init_default_scope('mmaction')
    if args.threads:
        torch.set_num_threads(args.threads)
    name = f'egait_{args.protocol}' + ('_quick' if args.quick else '')
    json_path = osp.join(args.out_dir, f'{name}.json')
    work_root = osp.join(args.work_dir, name)
    result = dict(runs=[], models={})
    if osp.isfile(json_path):
        with open(json_path) as f:
            result = json.load(f)
    result['meta'] = dict(
        protocol=args.protocol,
        num_folds=PROTOCOLS[args.protocol]['num_folds'],
        folds=sorted(
            set(result.get('meta', {}).get('folds', [])) | set(args.folds)),
        seeds=sorted(
            set(result.get('meta', {}).get('seeds', [])) | set(args.seeds)),
        epochs_override=args.epochs,
        cpu_threads=torch.get_num_threads(),
        torch=torch.__version__,
        python=platform.python_version(),
        updated=datetime.datetime.now().isoformat(timespec='seconds'))
    runs = result['runs']
    done = {(r['config'], r['fold'], r['seed']) for r in runs}
    dumps = {}

    def save():
        runs.extend(fused_runs(runs, dumps))
        models = result['models']
        for model in {
                r['model']
                for r in runs
                if r['model'] not in models and r['model'].endswith('_2s')
        }:
            parts = [models.get(model[:-3]), models.get(model[:-3] + '_bone')]
            if all(parts):
                models[model] = {
                    k: parts[0][k] + parts[1][k]
                    for k in ('params', 'flops')
                }
        result['summary'] = summarize(runs, models)
        write_atomic(json_path, json.dumps(result, indent=1) + '\n')
        table = markdown(result)
        write_atomic(osp.join(args.out_dir, f'{name}.md'), table)
        return table

    pending = []
    for config in args.configs:
        rel = osp.relpath(osp.abspath(config), REPO)
        key = model_key(config)
        if key not in result['models']:
            result['models'][key] = complexity(config)
        for seed in args.seeds:
            for fold in args.folds:
                work_dir = osp.join(work_root,
                                    osp.splitext(osp.basename(config))[0],
                                    f'fold{fold}_seed{seed}')
                dumps[(rel, fold, seed)] = osp.join(work_dir, 'test.pkl')
                if (rel, fold, seed) not in done:
                    pending.append(
                        dict(
                            config=config,
                            rel=rel,
                            key=key,
                            fold=fold,
                            seed=seed,
                            work_dir=work_dir))
    print(
        f'{len(pending)} runs to do, {len(done)} already in {json_path}',
        flush=True)

    def record(n: int, job: dict, metrics: dict) -> None:
        runs.append(
            dict(
                config=job['rel'],
                model=job['key'],
                fold=job['fold'],
                seed=job['seed'],
                **metrics))
        print(
            f"[{n}/{len(pending)}] {job['key']} fold {job['fold']} seed "
            f"{job['seed']}: top-1 {metrics['top1']:.3f} mean-class "
            f"{metrics['mean_class']:.3f} (best val epoch "
            f"{metrics['best_epoch']}, {metrics['train_time_s']:.0f} s)",
            flush=True)
        save()

    common = dict(
        protocol=args.protocol,
        data_root=args.data_root,
        epochs=args.epochs,
        cfg_options=args.cfg_options,
        keep_checkpoints=args.keep_checkpoints)
    if args.jobs <= 1:
        for n, job in enumerate(pending, 1):
            record(n, job, _run_job(job, common))
    else:
        ctx = multiprocessing.get_context('spawn')
        with ProcessPoolExecutor(
                args.jobs,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(args.threads or 1, )) as pool:
            futures = {
                pool.submit(_run_job, job, common): job
                for job in pending
            }
            for n, future in enumerate(as_completed(futures), 1):
                record(n, futures[future], future.result())
    table = save()
    print(table)
    if args.readme:
        write_readme(args.readme, args.protocol, table)
        print(f'table written into {args.readme}')
    print(f'results: {json_path}')
    return result


if __name__ == '__main__':
    main()
