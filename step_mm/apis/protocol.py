# Copyright (c) step_mm contributors. All rights reserved.
"""The E-Gait cross-validation protocols: train one fold, test it.

``PROTOCOLS`` names the two protocols of docs/egait.md (``random``: R,
stratified 10-fold over gaits, seeds 0, 1, 2; ``subject``: S, actor-disjoint
5-fold, seed 0). :func:`run_config` turns a config into the config of one
run (fold, seed, test-score dump); :func:`train_and_test` trains it, keeps
the checkpoint with the best top-1 on the fold's ``val`` subset (never the
test fold) and tests that checkpoint. Used by ``benchmarks/egait_*.py``.
"""
import datetime
import json
import logging
import multiprocessing
import os
import os.path as osp
import platform
import re
import shutil
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from types import SimpleNamespace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger, print_log
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from step_mm.evaluation.benchmark_table import format_si
from step_mm.datasets.sources import SOURCES, accuracy_by_source
from step_mm.evaluation.functional import (accuracies, fuse_dumps,
                                           read_dump)
from step_mm.utils.io import dump_json, replace_marked_block, write_text

__all__ = [
    'PROTOCOLS', 'SUBSETS', 'model_key', 'set_epochs', 'run_config',
    'train_and_test', 'best_checkpoint', 'dump_accuracy_by_source',
    'complexity', 'fused_runs', 'pooled_by_source', 'summarize',
    'protocol_markdown', 'run_protocol', 'fit_and_test', 'find_config',
    'default_step_config'
]

PROTOCOLS = dict(
    random=dict(num_folds=10, seeds=(0, 1, 2)),
    subject=dict(num_folds=5, seeds=(0, )))
SUBSETS = ('train', 'val', 'test')
#: The clone the configs are named relative to in the results.
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BEST_RE = re.compile(r'best_.*_epoch_(\d+)\.pth$')


def model_key(config: str) -> str:
    """Model name of a config, from its file name.

    ``{algorithm}_{module}_{gpus}x{batch}-{pipeline}-..._{dataset}.py``:
    the algorithm, prefixed with ``baseline_`` when a token says
    ``baseline``, then ``_gcnhead`` / ``_stephead`` for a swapped head and
    ``_bone`` for a bone stream.

    Examples:
        >>> model_key('step_stgcn-aff_1xb8-joint-t75-60e_egait-keypoint-3d.py')
        'step'
        >>> model_key('stgcn_1xb16-bone-t75-30e_egait-keypoint-3d.py')
        'stgcn_bone'
    """
    parts = osp.splitext(osp.basename(config))[0].split('_')
    key = parts[0].replace('-', '_')
    tokens = set('-'.join(parts[1:-1]).split('-'))
    if 'baseline' in tokens:
        key = f'baseline_{key}'
    for head in ('gcnhead', 'stephead'):
        if head in tokens:
            key = f'{key}_{head}'
    if 'bone' in tokens:
        key = f'{key}_bone'
    return key


def set_epochs(cfg: Config, epochs: int) -> None:
    """Shorten (or lengthen) a schedule to ``epochs``.

    Schedulers that ran to the last epoch now end at ``epochs`` (cosine
    ``T_max`` follows); short warm-ups keep their length; milestones scale.
    """
    old = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_begin = min(cfg.train_cfg.get('val_begin', 1), epochs)
    cfg.train_cfg.val_interval = min(
        cfg.train_cfg.get('val_interval', 1), epochs)
    scheds = cfg.get('param_scheduler') or []
    for s in scheds if isinstance(scheds, list) else [scheds]:
        begin = min(s.get('begin', 0), epochs - 1)
        end = s.get('end', old)
        end = epochs if end >= old else min(end, epochs)
        if 'begin' in s:
            s.begin = begin
        if 'end' in s:
            s.end = end
        if 'T_max' in s:
            s.T_max = max(1, end - begin)
        if 'milestones' in s:
            s.milestones = [
                max(1, round(m * epochs / old)) for m in s.milestones
            ]


def run_config(config: str,
               protocol: str,
               fold: int,
               seed: int,
               work_dir: str,
               data_root: Optional[str] = None,
               epochs: Optional[int] = None,
               cfg_options: Optional[dict] = None) -> Config:
    """Prepare the config of one run: split, seed, quiet logs, test dump.

    The test scores are dumped to ``<work_dir>/test.pkl``.
    """
    cfg = Config.fromfile(config)
    num_folds = PROTOCOLS[protocol]['num_folds']
    for subset in SUBSETS:
        ds = cfg[f'{subset}_dataloader'].dataset
        if ds.get('type') != 'EGaitDataset':
            raise ValueError(f'{config}: {subset}_dataloader.dataset must be '
                             f"an EGaitDataset, got {ds.get('type')!r}")
        ds.update(
            protocol=protocol,
            num_folds=num_folds,
            fold=fold,
            seed=seed,
            subset=subset)
        if data_root is not None:
            ds.data_root = data_root
    if epochs is not None:
        set_epochs(cfg, epochs)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'
    cfg.experiment_name = f'{model_key(config)}_{protocol}_f{fold}_s{seed}'
    cfg.load_from, cfg.resume = None, False
    ckpt = cfg.default_hooks.get('checkpoint')
    if ckpt is None or ckpt.get('save_best') in (None, 'auto'):
        raise ValueError(f'{config}: default_hooks.checkpoint.save_best must '
                         "name the val metric (e.g. 'acc/top1')")
    dump = osp.join(work_dir, 'test.pkl')
    evaluator = cfg.test_evaluator
    evaluator = list(evaluator) if isinstance(evaluator,
                                              (list, tuple)) else [evaluator]
    cfg.test_evaluator = evaluator + [
        dict(type='DumpResults', out_file_path=dump)
    ]
    return cfg


def fit_and_test(cfg: Config, before_train=None) -> Tuple[dict, Runner, float]:
    """Build the runner, train, reload the best-on-val checkpoint, test.

    Args:
        cfg (Config): A full config (dataloaders already on their fold).
        before_train (callable, optional): Called with the runner before
            training (e.g. to check that no generated gait is in val/test).

    Returns:
        tuple: The test metrics (empty without a test loop), the runner
        (``runner.model`` holds the tested weights) and the training time
        in seconds. Without a saved best checkpoint the last weights are
        tested.
    """
    runner = Runner.from_cfg(cfg)
    if before_train is not None:
        before_train(runner)
    t0 = time.perf_counter()
    runner.train()
    train_time = time.perf_counter() - t0
    metrics = {}
    if runner._test_dataloader is not None:
        best = runner.message_hub.get_info('best_ckpt')
        if best and osp.isfile(best):
            runner.load_checkpoint(best)
        metrics = runner.test()
    return metrics, runner, train_time


def train_and_test(cfg: Config, keep_checkpoints: bool = False) -> dict:
    """Train, pick the best-val checkpoint, test it; returns the metrics."""
    if osp.isdir(cfg.work_dir):
        shutil.rmtree(cfg.work_dir)
    metrics, runner, train_time = fit_and_test(cfg)
    best = runner.message_hub.get_info('best_ckpt')
    if best is None or not osp.isfile(best):
        raise RuntimeError(f'{cfg.work_dir}: no best checkpoint was saved '
                           '(is validation enabled?)')
    best_epoch = int(BEST_RE.search(best).group(1))
    if not keep_checkpoints:
        for name in os.listdir(cfg.work_dir):
            if name.endswith('.pth'):
                os.remove(osp.join(cfg.work_dir, name))
    result = dict(
        top1=float(metrics['acc/top1']),
        mean_class=float(metrics['acc/mean1']),
        best_epoch=best_epoch,
        best_val_top1=float(runner.message_hub.get_info('best_score')),
        train_time_s=round(train_time, 2))
    if 'confusion_matrix/result' in metrics:
        result['confusion_matrix'] = [[
            int(v) for v in row
        ] for row in metrics['confusion_matrix/result'].tolist()]
    dump = osp.join(cfg.work_dir, 'test.pkl')
    if osp.isfile(dump):
        result['by_source'] = dump_accuracy_by_source(dump)
    return result


def dump_accuracy_by_source(dump: str) -> dict:
    """Top-1 per source database of a run's test dump (aggregates only).

    See :func:`step_mm.datasets.sources.accuracy_by_source`.
    """
    names, scores, labels = read_dump(dump)
    return accuracy_by_source(names, scores.argmax(1), labels)


def find_config(pattern: str,
                exclude: Sequence[str] = (),
                require: Sequence[str] = ()) -> str:
    """The first config (sorted) matching a glob and file-name filters.

    A relative ``pattern`` is looked up under the clone's ``configs/``.
    """
    import glob
    if not osp.isabs(pattern):
        pattern = osp.join(REPO, 'configs', pattern)
    found = [
        p for p in sorted(glob.glob(pattern))
        if not any(e in osp.basename(p) for e in exclude)
        and all(r in osp.basename(p) for r in require)
    ]
    if not found:
        raise FileNotFoundError(
            f'no config matches {pattern} (excluding {list(exclude)}, '
            f'requiring {list(require)}); pass it explicitly')
    return found[0]


def default_step_config() -> str:
    """The STEP config with affective features (``step_*-aff_*``), else
    the first ``configs/step/step_*egait*.py``."""
    try:
        return find_config('step/step_*egait*.py', require=('-aff_', ))
    except FileNotFoundError:
        return find_config('step/step_*egait*.py')


def best_checkpoint(work_dir: str) -> Optional[str]:
    """The ``best_*_epoch_N.pth`` a kept run left in ``work_dir``, if any."""
    if not osp.isdir(work_dir):
        return None
    best = [n for n in os.listdir(work_dir) if BEST_RE.search(n)]
    if len(best) > 1:
        raise RuntimeError(f'{work_dir}: several best checkpoints: '
                           f'{", ".join(sorted(best))}')
    return osp.join(work_dir, best[0]) if best else None


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
        acc = accuracies(scores, labels)
        top1, mean_class = acc['top1'], acc['mean_class']
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


def protocol_markdown(result: dict) -> str:
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
            f"{format_si(s['params'])} | {format_si(s['flops'])} | "
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


def run_protocol(configs: Sequence[str],
                 protocol: str = 'random',
                 folds: Optional[Sequence[int]] = None,
                 seeds: Optional[Sequence[int]] = None,
                 out_dir: str = 'benchmarks/results',
                 work_dir: str = 'work_dirs/egait_protocol',
                 data_root: Optional[str] = None,
                 epochs: Optional[int] = None,
                 quick: bool = False,
                 readme: Optional[str] = None,
                 threads: Optional[int] = None,
                 jobs: int = 1,
                 keep_checkpoints: bool = False,
                 cfg_options: Optional[dict] = None) -> dict:
    """Run a protocol over configs, folds and seeds; resumable.

    Each (config, fold, seed) is trained and tested with
    :func:`run_config` and :func:`train_and_test`; joint and bone runs of
    one algorithm are also fused into ``<model>_2s`` from their test
    scores. Results go to ``<out_dir>/egait_<protocol>[_quick].json``
    after every run (runs already there are skipped) and ``.md``;
    ``readme`` also gets the table between its ``egait_<protocol>``
    markers.

    Returns:
        dict: ``meta``, ``runs``, ``models`` (params / FLOPs) and
        ``summary`` (:func:`summarize`).
    """
    init_default_scope('mmaction')
    proto = PROTOCOLS[protocol]
    if quick:
        folds = folds or [0, 1]
        seeds = seeds or [0]
        epochs = epochs or 2
    folds = list(folds or range(proto['num_folds']))
    seeds = list(seeds or proto['seeds'])
    args = SimpleNamespace(
        configs=list(configs), protocol=protocol, folds=folds, seeds=seeds,
        out_dir=out_dir, work_dir=work_dir, data_root=data_root,
        epochs=epochs, quick=quick, readme=readme, threads=threads,
        jobs=jobs, keep_checkpoints=keep_checkpoints,
        cfg_options=cfg_options)
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
        dump_json(result, json_path)
        table = protocol_markdown(result)
        write_text(osp.join(args.out_dir, f'{name}.md'), table)
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
    print_log(
        f'{len(pending)} runs to do, {len(done)} already in {json_path}',
        logger='current')

    def record(n: int, job: dict, metrics: dict) -> None:
        runs.append(
            dict(
                config=job['rel'],
                model=job['key'],
                fold=job['fold'],
                seed=job['seed'],
                **metrics))
        print_log(
            f"[{n}/{len(pending)}] {job['key']} fold {job['fold']} seed "
            f"{job['seed']}: top-1 {metrics['top1']:.3f} mean-class "
            f"{metrics['mean_class']:.3f} (best val epoch "
            f"{metrics['best_epoch']}, {metrics['train_time_s']:.0f} s)",
            logger='current')
        save()

    common = dict(
        protocol=args.protocol,
        data_root=args.data_root,
        epochs=args.epochs,
        cfg_options=args.cfg_options,
        keep_checkpoints=args.keep_checkpoints)
    bar = ProgressBar(len(pending)) if pending else None
    if args.jobs <= 1:
        for n, job in enumerate(pending, 1):
            record(n, job, _run_job(job, common))
            bar.update()
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
                bar.update()
    save()
    if args.readme:
        replace_marked_block(args.readme, f'egait_{args.protocol}',
                             protocol_markdown(result))
        print_log(f'table written into {args.readme}', logger='current')
    print_log(f'results: {json_path}', logger='current')
    return result
