# Copyright (c) step_mm contributors. All rights reserved.
"""Command-line pieces shared by tools, benchmarks and ``step-mm``."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

__all__ = [
    'add_runner_args', 'parse_runner_args', 'set_work_dir', 'find_data_root'
]

_REPO_DIR = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def add_runner_args(parser: argparse.ArgumentParser,
                    cfg_example: str,
                    cfg_note: str = '') -> argparse.ArgumentParser:
    """Add mmaction2's ``--cfg-options``, ``--launcher`` and ``--local_rank``.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        cfg_example (str): A ``key=value`` shown in ``--cfg-options``' help.
        cfg_note (str): Text after the example in that help. Defaults to ''.

    Returns:
        argparse.ArgumentParser: ``parser``, with the three options.
    """
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=f'override config entries, key=value (e.g. {cfg_example})'
        f'{cfg_note}')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def parse_runner_args(parser: argparse.ArgumentParser,
                      argv=None) -> argparse.Namespace:
    """Parse ``argv`` and export ``--local_rank`` as ``LOCAL_RANK``.

    ``torch.distributed.launch`` passes ``--local_rank``; mmengine reads the
    environment variable, which torchrun sets itself (kept if set).

    Args:
        parser (argparse.ArgumentParser): A parser given
            :func:`add_runner_args`.
        argv (list[str], optional): The arguments; ``sys.argv[1:]`` when
            None. Defaults to None.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def set_work_dir(cfg: Config, work_dir: str, config: str) -> Config:
    """Set ``cfg.work_dir``: ``work_dir``, else the config's, else
    ``./work_dirs/<config name>``.

    Args:
        cfg (Config): The loaded config.
        work_dir (str, optional): ``--work-dir`` from the command line.
        config (str): The config file's path.

    Returns:
        Config: ``cfg``, with its work dir.
    """
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def find_data_root() -> str:
    """``$EGAIT_ROOT``, else the configs' default ``../shared/data/egait``.

    Returns:
        str: The E-Gait folder (it may not exist).
    """
    return os.environ.get('EGAIT_ROOT') or osp.normpath(
        osp.join(_REPO_DIR, '..', 'shared', 'data', 'egait'))
