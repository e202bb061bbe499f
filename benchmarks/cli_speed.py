# Copyright (c) step_mm contributors. All rights reserved.
"""Time ``step-mm predict gait.npy`` against ``python -c "import torch"``.

Both commands run as fresh processes, interleaved, ``--repeats`` times each
in the same run (so both see the same machine and load); the medians and
their ratio are printed and written to ``benchmarks/results/cli_speed.json``.
The budget is a ratio of 2.

The prediction is real: a STEP config of ``configs/step/`` with a
randomly initialised checkpoint saved at run time in a temporary folder
(no weights in git), and a synthetic 75-frame gait
(``step_mm.testing.make_fake_gait``)::

    python benchmarks/cli_speed.py [--repeats 5] [--config CONFIG]
"""
import argparse
import os
import os.path as osp
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import List

from step_mm.utils.benchmark import machine_summary

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'step',
                  'step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py')
BUDGET_RATIO = 2.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results',
                                  'cli_speed.json'))
    return parser.parse_args()


def make_inputs(config: str, folder: str) -> tuple:
    """A random-weight checkpoint of ``config`` and a 75-frame gait."""
    import numpy as np
    import torch

    from step_mm.apis import init_gait_model
    from step_mm.testing import make_fake_gait
    model = init_gait_model(config)
    ckpt = osp.join(folder, 'random.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=model.dataset_meta[
                'classes']))), ckpt)
    gait = osp.join(folder, 'gait.npy')
    np.save(gait, make_fake_gait(75, 1))
    return ckpt, gait


def step_mm_command() -> List[str]:
    """The installed ``step-mm`` script beside this Python, else ``-m``."""
    script = osp.join(osp.dirname(sys.executable), 'step-mm')
    if osp.isfile(script) and os.access(script, os.X_OK):
        return [sys.executable, script]
    return [sys.executable, '-m', 'step_mm.cli']


def wall(cmd: List[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    return time.perf_counter() - start


def main():
    args = parse_args()
    folder = tempfile.mkdtemp()
    try:
        ckpt, gait = make_inputs(args.config, folder)
        predict = step_mm_command() + [
            'predict', gait, '--config', args.config, '--checkpoint', ckpt
        ]
        torch_cmd = [sys.executable, '-c', 'import torch']
        wall(torch_cmd)  # warm the file cache for both
        wall(predict)
        torch_s, predict_s = [], []
        for _ in range(args.repeats):
            torch_s.append(wall(torch_cmd))
            predict_s.append(wall(predict))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    t, p = statistics.median(torch_s), statistics.median(predict_s)
    ratio = p / t
    result = dict(
        import_torch_s=round(t, 3),
        predict_s=round(p, 3),
        ratio=round(ratio, 2),
        budget_ratio=BUDGET_RATIO,
        within_budget=ratio <= BUDGET_RATIO,
        repeats=args.repeats,
        import_torch_all_s=[round(x, 3) for x in torch_s],
        predict_all_s=[round(x, 3) for x in predict_s],
        config=osp.relpath(args.config, REPO),
        machine=machine_summary(),
        command='python benchmarks/cli_speed.py')
    print(f'step-mm predict {p:.2f} s, python -c "import torch" {t:.2f} s: '
          f'ratio {ratio:.2f} (budget {BUDGET_RATIO:g}, '
          f'{"met" if result["within_budget"] else "MISSED"})')
    from mmengine import dump
    dump(result, args.out, indent=2)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
