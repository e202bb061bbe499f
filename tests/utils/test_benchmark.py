# Copyright (c) step_mm contributors. All rights reserved.
import argparse
import os
import platform

import pytest
import torch

from step_mm.utils.benchmark import (add_omp_wait_policy_arg, machine_summary,
                                     start_benchmark)


def _parse(argv):
    parser = argparse.ArgumentParser(prog='bench')
    parser.add_argument('--threads', type=int, default=2)
    add_omp_wait_policy_arg(parser, help='the policy')
    return parser.parse_args(argv)


def test_omp_wait_policy_arg(capsys):
    assert _parse([]).omp_wait_policy == 'passive'
    assert _parse(['--omp-wait-policy', 'auto']).omp_wait_policy == 'auto'
    with pytest.raises(SystemExit):
        _parse(['--omp-wait-policy', 'spin'])
    assert "invalid choice: 'spin'" in capsys.readouterr().err


def test_start_benchmark_sets_threads_keeps_argv(monkeypatch):
    # 'env' leaves OMP_WAIT_POLICY alone: nothing is re-executed
    monkeypatch.setenv('OMP_WAIT_POLICY', 'PASSIVE')
    before = torch.get_num_threads()
    argv = ['--threads', '1', '--omp-wait-policy', 'env']
    try:
        start = start_benchmark(_parse, argv)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert start.args.threads == 1 and start.argv == argv
    assert start.argv is not argv  # a copy, safe to keep in the results
    assert start.omp_policy == 'PASSIVE'
    assert len(start.load_start) == 3
    args, kept, policy, load = start  # unpacks as the scripts do
    assert kept == argv and policy == 'PASSIVE'


def test_start_benchmark_reexecutes_for_another_policy(monkeypatch):
    monkeypatch.setenv('OMP_WAIT_POLICY', '')  # restored after the test
    monkeypatch.delenv('OMP_WAIT_POLICY')
    calls = []
    monkeypatch.setattr(os, 'execv', lambda *a: calls.append(a))
    start_benchmark(_parse, ['--threads', str(torch.get_num_threads())])
    assert os.environ['OMP_WAIT_POLICY'] == 'PASSIVE'
    (exe, cmd), = calls
    assert cmd[-2:] == ['--threads', str(torch.get_num_threads())]


def test_machine_summary():
    info = machine_summary()
    assert set(info) == {'python', 'cpus', 'load_1min'}
    assert info['python'] == platform.python_version()
    assert info['cpus'] == os.cpu_count() and info['load_1min'] >= 0
