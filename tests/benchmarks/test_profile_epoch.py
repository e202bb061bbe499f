# Copyright (c) step_mm contributors. All rights reserved.
"""``benchmarks/profile_epoch.py --cfg-options`` reads values as literals:
nothing given on the command line runs as code."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'benchmarks', 'profile_epoch.py')


def test_cfg_options_are_literals_not_code(tiny_egait, tmp_path):
    marker = tmp_path / 'PWNED'
    out = tmp_path / 'profile.txt'
    # the OpenMP policy is fixed so the script does not re-execute itself
    env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE', OMP_NUM_THREADS='1',
               MKL_NUM_THREADS='1')
    cmd = [
        sys.executable, SCRIPT, '--model', 'step', '--data-root', tiny_egait,
        '--threads', '1', '--omp-wait-policy', 'env', '--out',
        str(out), '--cfg-options',
        f"custom_note=__import__('os').system('touch {marker}')",
        'train_dataloader.batch_size=4', 'train_dataloader.dataset.'
        'num_folds=5', 'model.backbone.channels=(8,16,16)',
        'model.cls_head.in_channels=16', 'model.cls_head.hidden_channels=16'
    ]
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert not marker.exists(), 'a --cfg-options value ran as code'
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    # numbers and tuples are still read as such (the narrow channels tuple
    # built the model; batch 4)
    assert 'batch 4,' in text
    assert '| **epoch** |' in text
