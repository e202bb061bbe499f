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
import glob
import os
import os.path as osp
import re
import time

import numpy as np
import torch
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import step_mm  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STEP_CONFIG = 'step_stgcn-aff_1xb8-joint-t75-*e_egait-keypoint-3d.py'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root',
        default=os.environ.get('EGAIT_ROOT', '../shared/data/egait'),
        help='folder with features.h5 / labels.h5 (official E-Gait layout)')
    parser.add_argument(
        '--config',
        default=sorted(
            glob.glob(osp.join(REPO, 'configs', 'step', STEP_CONFIG)))[0],
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


def train_and_test(config: str, data_root: str, fold: int, seed: int,
                   work_dir: str) -> dict:
    """Train STEP on one fold, keep the best-val checkpoint, test it."""
    cfg = Config.fromfile(config)
    for subset in ('train', 'val', 'test'):
        cfg[f'{subset}_dataloader'].dataset.update(
            data_root=data_root,
            protocol='random',
            num_folds=10,
            fold=fold,
            seed=seed)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.log_level = 'WARNING'
    cfg.default_hooks.logger.interval = 1000
    cfg.experiment_name = f'demo_step_fold{fold}'
    if osp.isdir(work_dir):
        for old in glob.glob(osp.join(work_dir, '*.pth')):
            os.remove(old)
    runner = Runner.from_cfg(cfg)
    sizes = {
        s: len(getattr(runner, f'{s}_dataloader').dataset)
        for s in ('train', 'val', 'test')
    }
    print(
        f"Training STEP ({osp.basename(config)}) on fold {fold} of the "
        f"random 10-fold protocol: {sizes['train']} train / {sizes['val']}"
        f" val / {sizes['test']} test gaits, "
        f'{cfg.train_cfg.max_epochs} epochs ...',
        flush=True)
    t0 = time.perf_counter()
    runner.train()
    train_time = time.perf_counter() - t0
    best = runner.message_hub.get_info('best_ckpt')
    epoch = int(re.search(r'epoch_(\d+)\.pth$', best).group(1))
    print(f'trained in {train_time:.0f} s; best val top-1 '
          f"{runner.message_hub.get_info('best_score'):.3f} at epoch "
          f'{epoch} ({osp.relpath(best)})')
    runner.load_checkpoint(best)
    metrics = runner.test()
    return dict(metrics=metrics, train_time_s=train_time, best_epoch=epoch)


def print_results(metrics: dict, classes) -> None:
    """Print top-1, mean-class accuracy and the confusion matrix."""
    cm = np.asarray(metrics['confusion_matrix/result'])
    print(f"Test fold: top-1 {metrics['acc/top1']:.3f}, mean-class "
          f"{metrics['acc/mean1']:.3f} ({int(cm.sum())} gaits)")
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
    result = train_and_test(args.config, args.data_root, args.fold, args.seed,
                            args.work_dir)
    print_results(result['metrics'], list(summary['class_counts']))


if __name__ == '__main__':
    main()
