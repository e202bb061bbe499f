# Copyright (c) step_mm contributors. All rights reserved.
"""`make demo`: summarise E-Gait, then train and evaluate STEP on one fold.

STEP is trained on the ``train`` subset of fold 0 of the stratified 10-fold
protocol (seed 0), the checkpoint with the best top-1 on the fold's ``val``
subset is kept, and that checkpoint is tested on the held-out ``test`` fold:
top-1, mean-class accuracy and the confusion matrix are printed. Everything
runs through the real STEP config and mmengine's ``Runner``; logs and
checkpoints go to ``work_dirs/demo_step_fold0``.
"""
import argparse
import os
import os.path as osp

import numpy as np
import torch
from mmaction.registry import DATASETS
from mmengine.logging import print_log
from mmengine.registry import init_default_scope

import step_mm  # noqa: F401
from step_mm.apis.protocol import (best_checkpoint, find_config, run_config,
                                   train_and_test)

STEP_CONFIG = 'step/step_stgcn-aff_1xb8-joint-t75-*e_egait-keypoint-3d.py'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root',
        default=os.environ.get('EGAIT_ROOT', '../shared/data/egait'),
        help='folder with features.h5 / labels.h5 (official E-Gait layout)')
    parser.add_argument(
        '--config',
        default=find_config(STEP_CONFIG),
        help='the STEP config to train')
    parser.add_argument('--fold', type=int, default=0)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'demo_step_fold0'))
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch CPU threads, 0 lets torch decide. On a two-core machine '
        'shared with other jobs one thread trained about 6x faster than '
        'two. Defaults to 1')
    parser.add_argument(
        '--summary-only', action='store_true', help='skip training')
    return parser.parse_args()


def summarize(data_root: str) -> dict:
    """Print and return the summary of every gait in ``data_root``."""
    init_default_scope('mmaction')
    ds = DATASETS.build(
        dict(
            type='EGaitDataset',
            data_root=data_root,
            pipeline=[],
            protocol='all'))
    s = ds.summary()
    counts = '/'.join(str(v) for v in s['class_counts'].values())
    print(f"E-Gait at {data_root}: {s['num_gaits']} gaits, class counts "
          f"{counts} ({', '.join(s['class_counts'])}), length "
          f"{s['min_frames']}-{s['max_frames']} frames "
          f"(median {s['median_frames']:g})")
    return s


def train_fold(config: str, data_root: str, fold: int, seed: int,
               work_dir: str) -> dict:
    """Train STEP on one fold, keep the best-val checkpoint, test it
    (:func:`step_mm.apis.protocol.train_and_test`)."""
    cfg = run_config(config, 'random', fold, seed, work_dir, data_root)
    cfg.experiment_name = f'demo_step_fold{fold}'
    cfg.default_hooks.logger.interval = 1000
    print_log(
        f'Training STEP ({osp.basename(config)}) on fold {fold} of the '
        f'random 10-fold protocol, {cfg.train_cfg.max_epochs} epochs ...',
        logger='current')
    result = train_and_test(cfg, keep_checkpoints=True)
    print_log(
        f"trained in {result['train_time_s']:.0f} s; best val top-1 "
        f"{result['best_val_top1']:.3f} at epoch {result['best_epoch']} "
        f'({osp.relpath(best_checkpoint(work_dir))})',
        logger='current')
    return result


def print_results(result: dict, classes) -> None:
    """Print top-1, mean-class accuracy and the confusion matrix."""
    cm = np.asarray(result['confusion_matrix'])
    print(f"Test fold: top-1 {result['top1']:.3f}, mean-class "
          f"{result['mean_class']:.3f} ({int(cm.sum())} gaits)")
    width = max(9, max(len(c) for c in classes) + 2)
    print('confusion matrix (rows: true, columns: predicted)')
    print(' ' * width + ''.join(c.rjust(width) for c in classes))
    for c, row in zip(classes, cm):
        print(c.ljust(width) + ''.join(str(v).rjust(width) for v in row))


def main():
    args = parse_args()
    summary = summarize(args.data_root)
    if args.summary_only:
        return
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    result = train_fold(args.config, args.data_root, args.fold, args.seed,
                        args.work_dir)
    print_results(result, list(summary['class_counts']))


if __name__ == '__main__':
    main()
