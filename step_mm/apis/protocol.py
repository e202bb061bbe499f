# Copyright (c) step_mm contributors. All rights reserved.
"""The E-Gait cross-validation protocols: train one fold, test it.

``PROTOCOLS`` names the two protocols of docs/egait.md (``random``: R,
stratified 10-fold over gaits, seeds 0, 1, 2; ``subject``: S, actor-disjoint
5-fold, seed 0). :func:`run_config` turns a config into the config of one
run (fold, seed, test-score dump); :func:`train_and_test` trains it, keeps
the checkpoint with the best top-1 on the fold's ``val`` subset (never the
test fold) and tests that checkpoint. Used by ``benchmarks/egait_*.py``.
"""
import os
import os.path as osp
import re
import shutil
import time
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

__all__ = [
    'PROTOCOLS', 'SUBSETS', 'model_key', 'set_epochs', 'run_config',
    'train_and_test', 'best_checkpoint', 'dump_accuracy_by_source'
]

PROTOCOLS = dict(
    random=dict(num_folds=10, seeds=(0, 1, 2)),
    subject=dict(num_folds=5, seeds=(0, )))
SUBSETS = ('train', 'val', 'test')
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


def train_and_test(cfg: Config, keep_checkpoints: bool = False) -> dict:
    """Train, pick the best-val checkpoint, test it; returns the metrics."""
    if osp.isdir(cfg.work_dir):
        shutil.rmtree(cfg.work_dir)
    runner = Runner.from_cfg(cfg)
    t0 = time.perf_counter()
    runner.train()
    train_time = time.perf_counter() - t0
    best = runner.message_hub.get_info('best_ckpt')
    if best is None or not osp.isfile(best):
        raise RuntimeError(f'{cfg.work_dir}: no best checkpoint was saved '
                           '(is validation enabled?)')
    best_epoch = int(BEST_RE.search(best).group(1))
    runner.load_checkpoint(best)
    metrics = runner.test()
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
    from mmengine.fileio import load

    from step_mm.datasets.sources import accuracy_by_source
    from step_mm.visualization import load_dump
    samples = load(dump)
    scores, labels = load_dump(samples)
    return accuracy_by_source([s['frame_dir'] for s in samples],
                              scores.argmax(1), labels)


def best_checkpoint(work_dir: str) -> Optional[str]:
    """The ``best_*_epoch_N.pth`` a kept run left in ``work_dir``, if any."""
    if not osp.isdir(work_dir):
        return None
    best = [n for n in os.listdir(work_dir) if BEST_RE.search(n)]
    if len(best) > 1:
        raise RuntimeError(f'{work_dir}: several best checkpoints: '
                           f'{", ".join(sorted(best))}')
    return osp.join(work_dir, best[0]) if best else None
