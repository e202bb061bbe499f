# Copyright (c) step_mm contributors. All rights reserved.
"""``--protocol``, ``--folds`` and ``--seeds`` of the E-Gait benchmarks.

Every cross-validation script (``benchmarks/egait_protocol.py``,
``egait_robustness.py``, ``egait_sklearn.py``, ``egait_features.py``) takes
the protocol of docs/egait.md, the test folds and the seeds the same way:
:func:`add_protocol_args` adds the options, :func:`resolve_protocol_args`
fills in every fold and the protocol's seeds and refuses folds the
protocol does not have; :func:`check_configs` refuses missing configs.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

from .protocol import PROTOCOLS

__all__ = ['add_protocol_args', 'resolve_protocol_args', 'check_configs']


def add_protocol_args(
        parser: argparse.ArgumentParser,
        folds_help: Optional[str] = None,
        seeds_help: Optional[str] = None) -> argparse.ArgumentParser:
    """Add ``--protocol {random,subject}``, ``--folds`` and ``--seeds``.

    Args:
        parser (argparse.ArgumentParser): The script's parser.
        folds_help (str, optional): Help of ``--folds``. Defaults to None.
        seeds_help (str, optional): Help of ``--seeds``. Defaults to None.

    Returns:
        argparse.ArgumentParser: ``parser``, with the three options.
    """
    parser.add_argument(
        '--protocol', choices=sorted(PROTOCOLS), default='random')
    parser.add_argument('--folds', nargs='+', type=int, help=folds_help)
    parser.add_argument('--seeds', nargs='+', type=int, help=seeds_help)
    return parser


def resolve_protocol_args(
        parser: argparse.ArgumentParser,
        args: argparse.Namespace,
        seeds: Optional[Sequence[int]] = None) -> argparse.Namespace:
    """Fill in the folds and seeds left out and check the folds.

    Args:
        parser (argparse.ArgumentParser): The parser, for its error exit.
        args (argparse.Namespace): Parsed arguments of a parser given
            :func:`add_protocol_args`.
        seeds (Sequence[int], optional): The seeds when ``--seeds`` is not
            given; None for the protocol's (``0 1 2`` for ``random``, ``0``
            for ``subject``). Defaults to None.

    Returns:
        argparse.Namespace: ``args``, with ``folds`` and ``seeds`` lists
        (every fold of the protocol when ``--folds`` is not given).
    """
    proto = PROTOCOLS[args.protocol]
    args.folds = args.folds or list(range(proto['num_folds']))
    args.seeds = args.seeds or list(proto['seeds'] if seeds is None else seeds)
    bad = [f for f in args.folds if not 0 <= f < proto['num_folds']]
    if bad:
        parser.error(f'--folds {bad}: protocol {args.protocol} has folds '
                     f"0..{proto['num_folds'] - 1}")
    return args


def check_configs(parser: argparse.ArgumentParser,
                  configs: Sequence[str]) -> None:
    """Exit through ``parser.error`` at the first config file not found.

    Args:
        parser (argparse.ArgumentParser): The parser, for its error exit.
        configs (Sequence[str]): The ``--configs`` given.
    """
    for c in configs:
        if not osp.isfile(c):
            parser.error(f'config {c} not found')
