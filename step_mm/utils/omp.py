# Copyright (c) step_mm contributors. All rights reserved.
"""OpenMP's wait policy for benchmarks on a shared machine."""
import os
import os.path as osp
import sys
from typing import Sequence

__all__ = ['ensure_omp_wait_policy']


def ensure_omp_wait_policy(policy: str, argv: Sequence[str]) -> str:
    """Set ``OMP_WAIT_POLICY`` for this process, re-executing if needed.

    torch's OpenMP threads spin while they wait for each other. When the
    CPUs are oversubscribed (other processes running), a spinning thread
    holds a core its partner needs, and every parallel op waits for the
    scheduler (docs/speed.md, "Threads on a shared machine"). ``PASSIVE``
    makes waiting threads sleep. The policy is read when the OpenMP runtime
    loads, so the script re-executes itself with the variable set.

    Args:
        policy (str): ``'auto'`` (keep the environment's value if set, else
            ``PASSIVE`` when the 1-minute load average is at least 3/4 of
            the CPU count, else the runtime default), ``'passive'``,
            ``'active'`` or ``'env'`` (leave the environment alone).
        argv (Sequence[str]): Arguments to re-execute with.

    Returns:
        str: The policy in effect (``'default'`` when unset).
    """
    current = os.environ.get('OMP_WAIT_POLICY')
    if policy == 'auto':
        if current is None and os.getloadavg()[0] >= 0.75 * os.cpu_count():
            policy = 'passive'
        else:
            policy = 'env'
    if policy != 'env' and (current or '').upper() != policy.upper():
        os.environ['OMP_WAIT_POLICY'] = policy.upper()
        sys.stdout.flush()
        os.execv(sys.executable,
                 [sys.executable, osp.abspath(sys.argv[0]), *argv])
    return os.environ.get('OMP_WAIT_POLICY', 'default')
