# Copyright (c) step_mm contributors. All rights reserved.
"""``benchmarks/speed.py --quick`` runs and writes the documented schema.

Only the schema and that every figure is a positive finite number are
checked: speed targets live in ``benchmarks/``, not in timed tests.
"""
import json
import math
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'benchmarks', 'speed.py')

PER_MODEL = ('train_gaits_per_s', 'train_gaits_per_s_b8',
             'infer_gaits_per_s_b1', 'infer_gaits_per_s_b64',
             'latency_ms_b1', 'peak_mem_mb', 'params', 'flops',
             'achieved_gflops', 'peak_fraction')


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_speed_quick_schema(tmp_path):
    out = tmp_path / 'speed.json'
    # tiny batches; the OpenMP policy is fixed here so the script does not
    # re-execute itself (see ensure_omp_wait_policy)
    env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE')
    cmd = [
        sys.executable, SCRIPT, '--quick', '--out',
        str(out), '--models', 'step', 'stgcn', '--batch', '2',
        '--small-batch', '2', '--omp-wait-policy', 'env'
    ]
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())

    assert _positive(result['matmul_gflops'])
    assert set(result['models']) == {'step', 'stgcn'}
    for name, fig in result['models'].items():
        for key in PER_MODEL:
            assert _positive(fig[key]), (name, key, fig.get(key))
        assert fig['config'].startswith('configs/')
        assert math.isclose(fig['latency_ms_b1'],
                            1e3 / fig['infer_gaits_per_s_b1'])
        assert math.isclose(fig['peak_fraction'],
                            fig['achieved_gflops'] / result['matmul_gflops'])
    ratios = result['ratios_step_over_stgcn']
    for key in ('train_gaits_per_s', 'infer_gaits_per_s_b1',
                'infer_gaits_per_s_b64', 'latency_ms_b1', 'flops'):
        assert _positive(ratios[key]), key
    assert result['settings']['batch_train'] == 2
    assert result['settings']['threads'] == 2
    assert len(result['load_average']['start']) == 3

    header = (tmp_path / 'speed.md').read_text().splitlines()[0]
    assert header == '|  | STEP | ST-GCN (mmaction2) | STEP / ST-GCN |'
