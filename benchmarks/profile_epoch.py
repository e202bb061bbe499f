# Copyright (c) step_mm contributors. All rights reserved.
"""Profile one training epoch of STEP or STEP-Gen on real E-Gait.

Builds the config's train dataloader (real ``EGaitDataset`` and pipeline,
the config's ``num_workers``), model and optimiser, then runs the training
step exactly as mmengine's ``BaseModel.train_step`` does, split into timed
phases:

- ``data``: fetching the next batch (reading, transforms, collate);
- ``forward``: data preprocessor, forward and losses;
- ``backward``: ``optim_wrapper.backward``;
- ``optimizer``: ``optim_wrapper.step`` (with gradient clipping if
  configured) and ``zero_grad``.

Epoch 1 is a warm-up; epoch 2 gives the wall-clock split without profiler
overhead; epoch 3 runs under ``torch.profiler`` for the top-20 ops. Before
that, the time of every pipeline transform is measured over the training
subset, and, for STEP, the time of ``FitAffectiveStatsHook`` (one pass over
the training subset before training). Writes
``benchmarks/results/profile_<model>.txt``::

    python benchmarks/profile_epoch.py --model step
    python benchmarks/profile_epoch.py --model stepgen --data-root DIR
"""
import argparse
import collections
import glob
import os
import os.path as osp
import time
from typing import Dict, List

import torch
from mmengine.config import DictAction
from torch.profiler import ProfilerActivity, profile, record_function

from step_mm.utils.benchmark import add_omp_wait_policy_arg, start_benchmark
from step_mm.utils.cli import find_data_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = dict(
    step='configs/step/step_*aff*egait*.py',
    stepgen='configs/step_gen/stepgen_*egait*.py')
PHASES = ('data', 'forward', 'backward', 'optimizer')


def default_config(model: str) -> str:
    """The config of ``model``; for STEP-Gen the one with push-pull."""
    found = [
        p for p in sorted(glob.glob(osp.join(REPO, CONFIGS[model])))
        if 'no-' not in osp.basename(p)
    ]
    if not found:
        raise FileNotFoundError(f'no config matches {CONFIGS[model]}')
    return found[0]


def time_transforms(dataset) -> Dict[str, float]:
    """Total seconds spent in each pipeline transform over the dataset.

    Args:
        dataset (BaseDataset): A dataset with a ``pipeline``.

    Returns:
        dict: Transform name -> seconds over all items (in pipeline order;
        a repeated name gets a ``#i`` suffix).
    """
    totals = collections.OrderedDict()
    names = []
    for i, t in enumerate(dataset.pipeline.transforms):
        name = type(t).__name__
        names.append(name if name not in names else f'{name}#{i}')
    for name in names:
        totals[name] = 0.0
    for idx in range(len(dataset)):
        results = dataset.get_data_info(idx)
        for name, t in zip(names, dataset.pipeline.transforms):
            start = time.perf_counter()
            results = t(results)
            totals[name] += time.perf_counter() - start
    return totals


def run_epoch(model, optim_wrapper, dataloader,
              profiled: bool = False) -> Dict[str, float]:
    """One training epoch, timed per phase.

    Mirrors ``mmengine.model.BaseModel.train_step`` (0.10.x) step by step.

    Args:
        model (BaseModel): The model.
        optim_wrapper (OptimWrapper): Its optimiser wrapper.
        dataloader (DataLoader): The train dataloader.
        profiled (bool): Label the phases for ``torch.profiler``.

    Returns:
        dict: Seconds per phase, ``total`` and ``iters``.
    """
    times = dict.fromkeys(PHASES, 0.0)
    model.train()
    it = iter(dataloader)
    start_epoch = time.perf_counter()
    iters = 0

    def phase(name):
        return record_function(name) if profiled else _null()

    while True:
        t0 = time.perf_counter()
        with phase('data'):
            try:
                data = next(it)
            except StopIteration:
                break
        t1 = time.perf_counter()
        with phase('forward'):
            with optim_wrapper.optim_context(model):
                data = model.data_preprocessor(data, True)
                losses = model._run_forward(data, mode='loss')
            parsed, _ = model.parse_losses(losses)
        t2 = time.perf_counter()
        with phase('backward'):
            optim_wrapper.backward(parsed)
        t3 = time.perf_counter()
        with phase('optimizer'):
            optim_wrapper.step()
            optim_wrapper.zero_grad()
        t4 = time.perf_counter()
        for name, a, b in zip(PHASES, (t0, t1, t2, t3), (t1, t2, t3, t4)):
            times[name] += b - a
        iters += 1
    times['total'] = time.perf_counter() - start_epoch
    times['iters'] = iters
    return times


class _null:

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def split_table(times: Dict[str, float], title: str) -> List[str]:
    """Lines of a wall-clock split table."""
    total = times['total']
    lines = [title, '', '| phase | s | % of epoch |', '|---|---|---|']
    for name in PHASES:
        lines.append(f'| {name} | {times[name]:.3f} | '
                     f'{100 * times[name] / total:.1f} |')
    other = total - sum(times[n] for n in PHASES)
    lines.append(f'| other (loop) | {other:.3f} | {100 * other / total:.1f} |')
    lines.append(f'| **epoch** | {total:.3f} | 100 |')
    lines.append('')
    lines.append(f'{times["iters"]} iterations, '
                 f'{1e3 * total / max(times["iters"], 1):.1f} ms each')
    return lines


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', choices=tuple(CONFIGS), required=True)
    parser.add_argument('--config', help='default: the model\'s config')
    parser.add_argument('--data-root', default=find_data_root())
    parser.add_argument('--threads', type=int, default=2)
    add_omp_wait_policy_arg(parser)
    parser.add_argument('--out', help='default: benchmarks/results/'
                        'profile_<model>.txt')
    # mmengine's DictAction reads values as literals (numbers, strings,
    # lists, tuples): nothing given on the command line is run as code
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={}, help='key=value overrides, as for '
                        'tools/train.py (lists as key="[a,b]")')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args, argv, omp_policy, load_start = start_benchmark(parse_args, argv)

    import step_mm  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope('mmaction')

    config = args.config or default_config(args.model)
    cfg = Config.fromfile(config)
    options = {'train_dataloader.dataset.data_root': args.data_root}
    options.update(args.cfg_options)
    cfg.merge_from_dict(options)

    t = time.perf_counter()
    dataloader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    dataset = dataloader.dataset
    t_dataset = time.perf_counter() - t
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)

    transforms = time_transforms(dataset)
    t_fit = None
    head = getattr(model, 'cls_head', None)
    if getattr(head, 'use_affective', False):
        from step_mm.engine.hooks import FitAffectiveStatsHook
        t = time.perf_counter()
        mean, std, _ = FitAffectiveStatsHook.fit(dataset)
        head.set_affective_stats(mean, std)
        t_fit = time.perf_counter() - t

    run_epoch(model, optim_wrapper, dataloader)  # warm-up
    warm = run_epoch(model, optim_wrapper, dataloader)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        profiled = run_epoch(model, optim_wrapper, dataloader, profiled=True)
    ops = prof.key_averages().table(
        sort_by='self_cpu_time_total', row_limit=20, max_name_column_width=60)

    lines = [
        f'# One training epoch of {args.model} on real E-Gait',
        '',
        f'command: python benchmarks/profile_epoch.py {" ".join(argv)}',
        f'config: {osp.relpath(config, REPO)}',
        f'train subset: {len(dataset)} gaits, batch '
        f'{cfg.train_dataloader.batch_size}, num_workers '
        f'{cfg.train_dataloader.get("num_workers", 0)}; optimizer '
        f'{cfg.optim_wrapper.optimizer["type"]}',
        f'torch {torch.__version__}, {args.threads} threads, OMP_WAIT_POLICY '
        f'{omp_policy}; load average {load_start[0]:.1f} at start, '
        f'{os.getloadavg()[0]:.1f} at end ({os.cpu_count()} CPUs)',
        '',
        f'dataset construction (reading the h5 files, split): '
        f'{t_dataset:.3f} s',
    ]
    if t_fit is not None:
        lines.append(f'FitAffectiveStatsHook.fit (one pass over the train '
                     f'subset, before training): {t_fit:.3f} s')
    lines += ['', '## Pipeline transforms over the train subset', '',
              '| transform | total s | ms / gait |', '|---|---|---|']
    for name, s in transforms.items():
        lines.append(f'| {name} | {s:.3f} | {1e3 * s / len(dataset):.3f} |')
    lines.append(f'| **all** | {sum(transforms.values()):.3f} | '
                 f'{1e3 * sum(transforms.values()) / len(dataset):.3f} |')
    lines.append('')
    lines += split_table(warm, '## Wall-clock split, epoch 2 (no profiler)')
    lines.append('')
    lines += split_table(profiled,
                         '## Wall-clock split, epoch 3 (under the profiler)')
    lines += ['', '## Top-20 ops of epoch 3 by self CPU time', '', '```',
              ops.rstrip(), '```', '']
    text = '\n'.join(lines)
    out = args.out or osp.join(REPO, 'benchmarks', 'results',
                               f'profile_{args.model}.txt')
    from step_mm.utils.io import write_text
    write_text(out, text)
    print(text)
    print(f'wrote {out}')
    return text


if __name__ == '__main__':
    main()
