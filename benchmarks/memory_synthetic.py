# Copyright (c) step_mm contributors. All rights reserved.
"""Peak memory of STEP trained on E-Gait plus a full synthetic set.

Trains STEP (``configs/step/step_stgcn-aff_*``) on one fold's real train
subset plus ``--num-synthetic`` generated gaits (``extra_train`` of
``EGaitDataset``) for ``--epochs`` epochs, with validation, and measures:

- ``peak_rss_main_mb``: the training process's peak resident set
  (``VmHWM`` of ``/proc/self/status``, exact);
- ``peak_pss_total_mb``: the largest sum, sampled every 50 ms, of the
  proportional set size (``Pss``, shared pages split between processes)
  of the training process and its dataloader workers; the figure to hold
  against the 2 GB target (``peak_rss_total_mb`` is the same sum of RSS,
  which counts pages shared with forked workers once per process).

The synthetic gaits come from ``tools/generate_gaits.py`` when a STEP-Gen
checkpoint is given (``--stepgen-checkpoint``) or trained here for
``--stepgen-epochs`` epochs on the same fold; otherwise from
``step_mm.testing.make_fake_gait``. The result says which
(``synthetic_source``).

Writes ``benchmarks/results/memory_synthetic.json`` atomically::

    python benchmarks/memory_synthetic.py                     # fake gaits
    python benchmarks/memory_synthetic.py --stepgen-epochs 3  # STEP-Gen
    python benchmarks/memory_synthetic.py --num-workers 2 --epochs 2

E-Gait comes from ``--data-root``, ``$EGAIT_ROOT`` or
``../shared/data/egait``; nothing derived from it is written outside the
temporary work folder (the JSON holds only sizes and timings).
"""
import argparse
import glob
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CLASSES = ('Happy', 'Angry', 'Sad', 'Neutral')


def parse_args(argv=None) -> argparse.Namespace:
    from step_mm.utils.cli import find_data_root
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default=find_data_root())
    parser.add_argument(
        '--config',
        default=glob.glob(
            osp.join(REPO, 'configs', 'step',
                     'step_stgcn-aff_*_egait-keypoint-3d.py'))[0])
    parser.add_argument('--num-synthetic', type=int, default=4000)
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--fold', type=int, default=0)
    parser.add_argument(
        '--num-workers', type=int, default=None,
        help='train dataloader workers (default: the config\'s)')
    parser.add_argument(
        '--threads', type=int, default=None,
        help='torch threads (default: torch\'s)')
    parser.add_argument(
        '--stepgen-checkpoint', help='generate the synthetic gaits with this '
        'STEP-Gen checkpoint (tools/generate_gaits.py)')
    parser.add_argument(
        '--stepgen-epochs', type=int, default=0,
        help='train STEP-Gen this many epochs on the fold first and '
        'generate with it (0: use --stepgen-checkpoint or fake gaits)')
    parser.add_argument(
        '--stepgen-config',
        default=sorted(
            c for c in glob.glob(osp.join(REPO, 'configs', 'step_gen',
                                          '*.py'))
            if 'no-pushpull' not in c)[0])
    parser.add_argument('--work-dir', help='default: a temporary folder')
    parser.add_argument(
        '--out',
        default=osp.join(REPO, 'benchmarks', 'results',
                         'memory_synthetic.json'))
    return parser.parse_args(argv)


def _status_kb(pid, field: str) -> int:
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def _pss_kb(pid) -> int:
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith('Pss:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid) -> List[int]:
    kids = []
    for path in glob.glob(f'/proc/{pid}/task/*/children'):
        try:
            with open(path) as f:
                kids += [int(k) for k in f.read().split()]
        except OSError:
            pass
    return kids


class MemorySampler(threading.Thread):
    """Sample RSS and PSS of this process and its descendants."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_rss_kb = self.peak_pss_kb = self.max_workers = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._stop_event.is_set():
            pids, todo = [me], [me]
            while todo:
                kids = _children(todo.pop())
                pids += kids
                todo += kids
            rss = pss = 0
            for pid in pids:
                try:
                    rss += _status_kb(pid, 'VmRSS')
                except OSError:
                    continue
                pss += _pss_kb(pid)
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.max_workers = max(self.max_workers, len(pids) - 1)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def fake_synthetic(out_dir: str, num: int, num_frames: int = 75) -> str:
    """``num`` generated gaits (``make_fake_gait``), keys ``NNNNN_<Emotion>``.
    """
    from mmengine.utils import ProgressBar

    from step_mm.datasets import write_gait_h5
    from step_mm.testing import make_fake_gait
    rng = np.random.default_rng(0)
    gaits = {}
    bar = ProgressBar(num)
    for i in range(num):
        label = i % len(CLASSES)
        gaits[f'{i + 1:05d}_{CLASSES[label]}'] = make_fake_gait(
            num_frames, label, rng).astype(np.float32)
        bar.update()
    path = osp.join(out_dir, 'features.h5')
    write_gait_h5(path, gaits)
    return path


def _fold_options(data_root: str, fold: int) -> List[str]:
    opts = []
    for subset in ('train', 'val', 'test'):
        opts += [f'{subset}_dataloader.dataset.data_root={data_root}',
                 f'{subset}_dataloader.dataset.fold={fold}']
    return opts


def _env(args) -> Dict[str, str]:
    env = dict(os.environ)
    if args.threads:
        env['OMP_NUM_THREADS'] = str(args.threads)
    return env


def train_stepgen(args, work_dir: str) -> str:
    """Train STEP-Gen briefly on the fold (its own process)."""
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), args.stepgen_config,
        '--work-dir', work_dir, '--cfg-options',
        f'train_cfg.max_epochs={args.stepgen_epochs}',
        f'train_cfg.val_interval={args.stepgen_epochs}',
        f'default_hooks.checkpoint.interval={args.stepgen_epochs}'
    ] + [o for o in _fold_options(args.data_root, args.fold)
         if not o.startswith('test_')]
    subprocess.run(
        cmd, check=True, cwd=REPO, env=_env(args), stdout=subprocess.DEVNULL)
    return osp.join(work_dir, f'epoch_{args.stepgen_epochs}.pth')


def stepgen_synthetic(args, checkpoint: str, out_dir: str) -> str:
    """Generate with ``tools/generate_gaits.py`` (its own process)."""
    per_class = -(-args.num_synthetic // len(CLASSES))
    subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'generate_gaits.py'), args.stepgen_config,
        checkpoint, '--num-per-class', str(per_class), '--out', out_dir
    ],
                   check=True,
                   cwd=REPO,
                   env=_env(args),
                   stdout=subprocess.DEVNULL)
    return osp.join(out_dir, 'features.h5')


def train_step(args, synth_dir: str, work_dir: str) -> Dict:
    """Train STEP in this process; return dataset sizes and metrics."""
    import torch
    from mmengine.config import Config
    from mmengine.runner import Runner

    import step_mm  # noqa: F401
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    for subset in ('train', 'val', 'test'):
        cfg[f'{subset}_dataloader'].dataset.data_root = args.data_root
        cfg[f'{subset}_dataloader'].dataset.fold = args.fold
    cfg.train_dataloader.dataset.extra_train = [
        dict(data_root=synth_dir, features_file='features.h5',
             labels_file=None)
    ]
    if args.num_workers is not None:
        cfg.train_dataloader.num_workers = args.num_workers
        cfg.train_dataloader.persistent_workers = False
    cfg.train_cfg.max_epochs = args.epochs
    cfg.default_hooks.checkpoint.interval = args.epochs
    cfg.default_hooks.logger.interval = 100
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    start = time.time()
    runner.train()
    dataset = runner.train_dataloader.dataset
    synthetic = sum(
        bool(dataset.get_data_info(i).get('synthetic'))
        for i in range(len(dataset)))
    val = runner.message_hub.get_scalar('val/acc/top1')
    return dict(
        train_gaits=len(dataset),
        synthetic_gaits=synthetic,
        num_workers=cfg.train_dataloader.num_workers,
        batch_size=cfg.train_dataloader.batch_size,
        iterations=runner.iter,
        train_seconds=round(time.time() - start, 1),
        val_top1=float(val.current()) if val is not None else None)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    if not osp.isfile(osp.join(args.data_root, 'features.h5')):
        raise FileNotFoundError(
            f'E-Gait not found in {args.data_root}: pass --data-root or set '
            'EGAIT_ROOT')
    tmp = None
    work = args.work_dir
    if work is None:
        tmp = tempfile.TemporaryDirectory(prefix='memory_synthetic_')
        work = tmp.name
    synth_dir = osp.join(work, 'synthetic')
    os.makedirs(synth_dir, exist_ok=True)

    start = time.time()
    checkpoint = args.stepgen_checkpoint
    if checkpoint is None and args.stepgen_epochs > 0:
        checkpoint = train_stepgen(args, osp.join(work, 'stepgen'))
    if checkpoint is not None:
        stepgen_synthetic(args, checkpoint, synth_dir)
        source = (f'tools/generate_gaits.py, STEP-Gen '
                  f'{osp.basename(args.stepgen_config)} '
                  + (f'trained {args.stepgen_epochs} epochs here'
                     if args.stepgen_checkpoint is None else
                     f'checkpoint {checkpoint}'))
    else:
        fake_synthetic(synth_dir, args.num_synthetic)
        source = 'step_mm.testing.make_fake_gait (no STEP-Gen checkpoint)'
    synth_seconds = time.time() - start
    synth_mb = osp.getsize(osp.join(synth_dir, 'features.h5')) / 2**20

    sampler = MemorySampler()
    sampler.start()
    try:
        run = train_step(args, synth_dir, osp.join(work, 'step'))
    finally:
        sampler.stop()
    result = dict(
        config=osp.relpath(args.config, REPO),
        fold=args.fold,
        epochs=args.epochs,
        synthetic_source=source,
        synthetic_file_mb=round(synth_mb, 1),
        synthetic_seconds=round(synth_seconds, 1),
        **run,
        peak_rss_main_mb=round(_status_kb('self', 'VmHWM') / 1024, 1),
        peak_rss_total_mb=round(sampler.peak_rss_kb / 1024, 1),
        peak_pss_total_mb=round(sampler.peak_pss_kb / 1024, 1),
        max_worker_processes=sampler.max_workers,
        target_mb=2048,
        python=platform.python_version(),
        machine=f'{platform.machine()}, {os.cpu_count()} CPUs')
    result['within_target'] = max(result['peak_rss_main_mb'],
                                  result['peak_pss_total_mb']) < 2048
    from step_mm.utils.io import dump_json
    dump_json(result, args.out, indent=2)
    print(json.dumps(result, indent=2))
    if tmp is not None:
        tmp.cleanup()
    return result


if __name__ == '__main__':
    main()
