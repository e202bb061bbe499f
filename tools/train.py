# Copyright (c) step_mm contributors. All rights reserved.
"""Train a gait emotion recogniser (mmaction2's ``tools/train.py`` shape).

Example::

    python tools/train.py \
        configs/step/step_stgcn-aff_1xb8-joint-t75-60e_egait-keypoint-3d.py \
        --cfg-options train_dataloader.dataset.fold=3 \
        val_dataloader.dataset.fold=3 test_dataloader.dataset.fold=3
"""
import argparse

from mmengine.config import Config
from mmengine.runner import Runner

import step_mm  # noqa: F401  registers the plugin's modules
from step_mm.datasets import GaitFileError
from step_mm.engine import RunConfigError
from step_mm.utils import (add_runner_args, close_dist, init_cpu_dist,
                           parse_runner_args, set_work_dir)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Train a model of step_mm / mmaction2')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--work-dir',
        help='folder for logs and checkpoints (default: '
        'work_dirs/<config name>)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip validation (and best-checkpoint selection)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by total batch size / auto_scale_lr.'
        'base_batch_size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='a different seed on each rank')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic algorithms where the backend has them')
    add_runner_args(
        parser, 'train_dataloader.dataset.data_root=DIR',
        '; lists as key="[a,b]"')
    return parse_runner_args(parser, argv)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line switches to ``cfg``."""
    cfg.launcher = args.launcher
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        ckpt = cfg.get('default_hooks', {}).get('checkpoint')
        if ckpt is not None and ckpt.get('save_best'):
            ckpt.save_best = None

    set_work_dir(cfg, args.work_dir, args.config)

    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs OptimWrapper, the config uses '
                             f'{wrapper!r}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume

    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise ValueError('--auto-scale-lr: the config has no '
                             'auto_scale_lr.base_batch_size')
        cfg.auto_scale_lr.enable = True

    if cfg.get('randomness') is None or args.seed is not None:
        randomness = dict(cfg.get('randomness') or {})
        if args.seed is not None or 'seed' not in randomness:
            randomness['seed'] = args.seed
        randomness['diff_rank_seed'] = args.diff_rank_seed
        randomness['deterministic'] = args.deterministic
        cfg.randomness = randomness

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def train(cfg: Config) -> None:
    """Build the runner and train; the runner is dropped on return."""
    runner = Runner.from_cfg(cfg)
    runner.train()


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    init_cpu_dist(cfg)  # CPU-only torch: start gloo before mmengine
    try:
        train(cfg)
    except (GaitFileError, RunConfigError) as e:
        # a mistake in the data or the options: one line, no traceback
        raise SystemExit(f'tools/train.py: {e}') from None
    finally:
        close_dist()  # gloo threads must not outlive the interpreter


if __name__ == '__main__':
    main()
