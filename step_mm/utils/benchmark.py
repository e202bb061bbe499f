# Copyright (c) step_mm contributors. All rights reserved.
"""The start and the machine record of the speed benchmarks.

``benchmarks/speed.py``, ``affective_speed.py`` and ``profile_epoch.py``
start the same way: parse the command line, set OpenMP's wait policy
(re-executing the script if it has to change, :func:`ensure_omp_wait_policy`),
size torch's thread pool and note the load average before timing anything.
"""
import argparse
import os
import platform
import sys
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

from .omp import ensure_omp_wait_policy

__all__ = [
    'add_omp_wait_policy_arg', 'BenchmarkStart', 'start_benchmark',
    'machine_summary'
]

OMP_WAIT_POLICIES = ('auto', 'passive', 'active', 'env')


def add_omp_wait_policy_arg(
        parser: argparse.ArgumentParser,
        help: Optional[str] = None) -> argparse.ArgumentParser:
    """Add ``--omp-wait-policy {auto,passive,active,env}`` (``passive``).

    Args:
        parser (argparse.ArgumentParser): The benchmark's parser.
        help (str, optional): The option's help. Defaults to None.

    Returns:
        argparse.ArgumentParser: ``parser``, with the option.
    """
    parser.add_argument('--omp-wait-policy', default='passive',
                        choices=OMP_WAIT_POLICIES, help=help)
    return parser


class BenchmarkStart(NamedTuple):
    """What :func:`start_benchmark` found and set."""
    args: argparse.Namespace  #: the parsed arguments
    argv: List[str]  #: the arguments, for the results' command line
    omp_policy: str  #: ``OMP_WAIT_POLICY`` in effect (``'default'``: unset)
    load_start: Tuple[float, float, float]  #: ``os.getloadavg()`` at start


def start_benchmark(parse_args: Callable[[List[str]], argparse.Namespace],
                    argv: Optional[Sequence[str]] = None) -> BenchmarkStart:
    """Parse, apply ``--omp-wait-policy`` and ``--threads``, note the load.

    Args:
        parse_args (Callable): The benchmark's parser of an argument list;
            its result has ``omp_wait_policy`` and ``threads``.
        argv (Sequence[str], optional): The arguments; ``sys.argv[1:]``
            when None. Defaults to None.

    Returns:
        BenchmarkStart: The arguments, the argument list, the OpenMP wait
        policy in effect and the load average at the start.
    """
    import torch
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    omp_policy = ensure_omp_wait_policy(args.omp_wait_policy, argv)
    torch.set_num_threads(args.threads)
    return BenchmarkStart(args, argv, omp_policy, os.getloadavg())


def machine_summary() -> dict:
    """Python version, CPU count and 1-minute load average, for results.

    Returns:
        dict: ``python``, ``cpus`` and ``load_1min`` (rounded to 0.01).
    """
    return dict(
        python=platform.python_version(),
        cpus=os.cpu_count(),
        load_1min=round(os.getloadavg()[0], 2))
