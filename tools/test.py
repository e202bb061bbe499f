# Copyright (c) step_mm contributors. All rights reserved.
"""Test (and evaluate) a checkpoint (mmaction2's ``tools/test.py`` shape).

Example::

    python tools/test.py CONFIG work_dirs/.../best_acc_top1_epoch_40.pth \
        --dump work_dirs/step_fold0.pkl
    # any folder of gaits in the E-Gait layout, every gait:
    python tools/test.py CONFIG CKPT --cfg-options \
        test_dataloader.dataset.data_root=DIR \
        test_dataloader.dataset.protocol=all

``--dump`` writes mmaction2's ``DumpResults`` pickle (one dict of
data-sample fields per gait), read by ``tools/analysis_tools/*.py``.
``--show-dir`` saves the confusion matrix (PNG and text) and the
per-gait predictions (CSV) there.
"""
import argparse
import os.path as osp
import tempfile

from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

import step_mm  # noqa: F401  registers the plugin's modules
from step_mm.apis import CheckpointMismatchError
from step_mm.datasets import GaitFileError
from step_mm.engine.errors import RunConfigError
from step_mm.utils import (CheckpointReadError, add_runner_args, close_dist,
                           init_cpu_dist, parse_runner_args, read_checkpoint,
                           set_work_dir)

#: Mistakes in the command or its files: one line, no traceback, exit 1.
USER_ERRORS = (CheckpointReadError, CheckpointMismatchError, GaitFileError,
               RunConfigError)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Test a model of step_mm / mmaction2')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='folder for the log and the metrics file')
    parser.add_argument(
        '--dump',
        type=str,
        help='dump the predictions to this .pkl (mmengine DumpResults)')
    parser.add_argument(
        '--show-dir',
        help='save the confusion matrix (PNG, txt) and per-gait predictions '
        '(CSV) in this folder')
    add_runner_args(parser, 'test_dataloader.dataset.data_root=DIR')
    args = parse_runner_args(parser, argv)
    if args.dump is not None and not args.dump.endswith(('.pkl', '.pickle')):
        parser.error(f'--dump must end with .pkl or .pickle, got {args.dump}')
    return args


def add_dump(cfg: Config, out_file: str) -> Config:
    """Append mmengine's ``DumpResults`` to the test evaluator."""
    dump = dict(type='DumpResults', out_file_path=out_file)
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, (list, tuple)):
        cfg.test_evaluator = list(evaluator) + [dump]
    elif isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator.metrics = list(evaluator.metrics) + [dump]
    else:
        cfg.test_evaluator = [evaluator, dump]
    return cfg


def merge_args(cfg: Config, args: argparse.Namespace,
               dump_file: str = None) -> Config:
    """Apply the command-line switches to ``cfg``."""
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)
    if dump_file is not None:
        add_dump(cfg, dump_file)
    cfg.load_from = args.checkpoint
    return cfg


def check_checkpoint(model, checkpoint: str, config: str) -> None:
    """Refuse a checkpoint whose weights do not fit ``model``.

    mmengine loads ``load_from`` non-strictly: a checkpoint of another
    architecture only logs a warning, and the random weights are tested.

    Raises:
        CheckpointReadError: If the file cannot be read (e.g. cut short).
        CheckpointMismatchError: If weights are missing, unexpected or of
            other shapes.
    """
    ckpt = read_checkpoint(checkpoint)
    state = ckpt.get('state_dict', ckpt)
    state = {k[7:] if k.startswith('module.') else k: v
             for k, v in state.items()}
    own = (model.module if is_model_wrapper(model) else model).state_dict()
    problems = [
        f'{len(keys)} weights {what} (e.g. {", ".join(keys[:3])})'
        for what, keys in (
            ('missing from the checkpoint', [k for k in own
                                             if k not in state]),
            ('unexpected in the checkpoint', [k for k in state
                                              if k not in own]),
            ('with other shapes', [
                k for k in own if k in state
                and tuple(getattr(state[k], 'shape', ())) != tuple(
                    own[k].shape)
            ])) if keys
    ]
    if problems:
        raise CheckpointMismatchError(
            f'checkpoint {checkpoint} does not fit the model of {config}: '
            + '; '.join(problems) + '. It was probably trained with another '
            'architecture or config; nothing was tested.')


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(
            f'tools/test.py: checkpoint {args.checkpoint} not found')
    dump_file = args.dump
    tmp = None
    if dump_file is None and args.show_dir is not None:
        tmp = tempfile.TemporaryDirectory()
        dump_file = osp.join(tmp.name, 'results.pkl')
    cfg = merge_args(Config.fromfile(args.config), args, dump_file)
    init_cpu_dist(cfg)  # CPU-only torch: start gloo before mmengine
    try:
        metrics, rank, classes = run_test(cfg, args)
    except USER_ERRORS as e:
        # a wrong checkpoint, data or option: one line, no traceback
        raise SystemExit(f'tools/test.py: {e}') from None
    finally:
        close_dist()  # gloo threads must not outlive the interpreter
    if args.show_dir is not None and rank == 0:
        from step_mm.evaluation.report import save_report
        save_report(dump_file, args.show_dir, classes)
    if tmp is not None:
        tmp.cleanup()
    return metrics


def run_test(cfg: Config, args: argparse.Namespace) -> tuple:
    """Build the runner, check the checkpoint and test; the runner is
    dropped on return. Returns the metrics, the rank and the classes."""
    runner = Runner.from_cfg(cfg)
    check_checkpoint(runner.model, args.checkpoint, args.config)
    metrics = runner.test()
    classes = runner.test_dataloader.dataset.metainfo.get('classes')
    return metrics, runner.rank, classes


if __name__ == '__main__':
    main()
