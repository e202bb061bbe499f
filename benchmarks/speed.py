# Copyright (c) step_mm contributors. All rights reserved.
"""Speed of STEP, Baseline-STEP and STEP-Gen against mmaction2's ST-GCN.

Every model is built from its real config and measured in ONE process and
run, on the same synthetic E-Gait-shaped input (``step_mm.testing``; no real
data is read), with ``torch.set_num_threads(2)`` (``--threads``):

- training throughput (gaits/s): a full ``model.train_step`` (data
  preprocessor, forward, loss, backward and the config's optimiser) at batch
  64 and 8;
- inference throughput (gaits/s): ``model.test_step`` under ``no_grad`` at
  batch 1 and 64 (for STEP-Gen: generating gaits from the prior);
- single-gait latency (ms): the median time of one batch-1 ``test_step``;
- peak memory (MB): the high-water mark of the resident set (``VmHWM`` of
  ``/proc/self/status``) during training steps at batch 64, minus the
  resident set just before them, in a fresh forked child per model (see
  ``docs/speed.md`` for why not tracemalloc);
- parameters, and FLOPs counted by ``torch.utils.flop_counter`` and given
  in mmengine's convention (one multiply-add = 1 FLOP, as in the tables
  and metafiles; ``FlopCounterMode`` itself counts 2): per gait for the timed inference call,
  for one model forward (STEP-Gen: encoder + decoder) and for a training
  step's forward + backward;
- the achieved FLOP rate (FLOPs x gaits/s) as a fraction of the float32
  GFLOP/s of a 2048 x 2048 matmul measured in the same run.

Timing uses ``torch.utils.benchmark.Timer`` after warm-up. Measurements are
interleaved: each round times every (setting, model) pair once, in a rotated
model order, with the matmul peak in every round, so load from other
processes hits all models alike; the reported figure is the median over
rounds of each round's mean time per call. The load average is recorded.

Example::

    python benchmarks/speed.py            # benchmarks/results/speed.{json,md}
    python benchmarks/speed.py --quick    # batch 16, 1 round: speed_quick.*
    python benchmarks/speed.py --quick --models step stgcn --batch 8 \\
        --out /tmp/speed.json

The script runs with ``OMP_WAIT_POLICY=PASSIVE`` (``--omp-wait-policy``,
see :func:`ensure_omp_wait_policy`): with the runtime's default spinning,
other jobs on the same CPUs slow small ops down by up to tens of times.
"""
import argparse
import glob
import math
import multiprocessing as mp
import os
import os.path as osp
import platform
import statistics
import time
import types
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.utils import ProgressBar

from step_mm.utils.benchmark import add_omp_wait_policy_arg, start_benchmark

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS = osp.join(REPO, 'benchmarks', 'results')
MODEL_NAMES = ('step', 'baseline_step', 'step_ref', 'stepgen', 'stgcn')
#: Not in the default set, before/after checks: STEP with its graph
#: convolution in the order used before ``STEPGCNBlock`` aggregated first,
#: and STEP-Gen with its blocks and 1x1 convolutions as before
#: ``STEPGenBlock`` / ``PointwiseConv2d`` (mmaction2's ``STGCNBlock.forward``
#: and oneDNN's 1x1 convolutions).
EXTRA_MODELS = ('step_gcn_first', 'stepgen_conv')
#: ``extra model -> the model it is the "before" of``.
BEFORE_OF = dict(step_gcn_first='step', stepgen_conv='stepgen')
LABELS = dict(
    step='STEP',
    baseline_step='Baseline-STEP',
    step_ref='STEP, paper net (k=75)',
    stepgen='STEP-Gen',
    stgcn='ST-GCN (mmaction2)',
    step_gcn_first='STEP, 1x1 conv before aggregation',
    stepgen_conv='STEP-Gen, STGCNBlock and oneDNN 1x1 convs')
RATIO_KEYS = ('train_gaits_per_s', 'train_gaits_per_s_b8',
              'infer_gaits_per_s_b1', 'infer_gaits_per_s_b64',
              'latency_ms_b1', 'peak_mem_mb', 'params', 'flops')


def _one(pattern: str) -> Optional[str]:
    """The first config matching ``pattern`` under ``configs/``, or None.

    Ablations (a ``no-`` token in the name) are skipped.
    """
    found = sorted(
        p for p in glob.glob(
            osp.join(REPO, 'configs', pattern), recursive=True)
        if 'no-' not in osp.basename(p))
    return found[0] if found else None


def find_configs() -> Dict[str, dict]:
    """Config file (and overrides) of every benchmarked model.

    STEP is ``configs/step/step_*aff*`` (the recipe with 9-frame temporal
    kernels), ``step_ref`` the paper's network and recipe
    (``configs/step/step-ref_*``, 75-frame kernels). Baseline-STEP is the
    config whose name contains ``baseline`` in ``configs/step/``; without
    one it is the STEP config with ``model.cls_head.use_affective=False``.

    Returns:
        dict: ``name -> dict(config=path or None, options=dict)``.
    """
    step = (_one('step/step_*aff*egait*.py') or _one('step/step_*egait*.py'))
    baseline = (_one('step/*baseline*egait*.py')
                or _one('**/*baseline*step*egait*.py'))
    cfgs = dict(
        step=dict(config=step, options={}),
        baseline_step=(dict(config=baseline, options={}) if baseline else
                       dict(config=step,
                            options={'model.cls_head.use_affective': False})),
        step_ref=dict(config=_one('step/step-ref_*egait*.py'), options={}),
        stepgen=dict(config=_one('step_gen/*egait*.py'), options={}),
        stgcn=dict(
            config=_one('baselines/stgcn_*joint*egait*.py'), options={}))
    cfgs['step_gcn_first'] = dict(cfgs['step'], patch='gcn_first')
    cfgs['stepgen_conv'] = dict(cfgs['stepgen'], patch='stepgen_conv')
    return cfgs


# ------------------------------------------------------- models, data
def _setup() -> None:
    """Import the plugin and set mmaction's registry scope."""
    import step_mm  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')


def build(spec: dict):
    """Model, optimiser wrapper and config of one benchmark entry."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(spec['config'])
    if spec['options']:
        cfg.merge_from_dict(spec['options'])
    model = MODELS.build(cfg.model)
    if spec.get('patch') == 'gcn_first':
        from step_mm.models.backbones.step_gcn import STEPGCNBlock
        for module in model.modules():
            if isinstance(module, STEPGCNBlock):
                module.aggregate_first = False  # the real block, plain order
    elif spec.get('patch') == 'stepgen_conv':
        from mmaction.models.backbones.stgcn import STGCNBlock
        from step_mm.models.generators.stepgen_modules import (
            PointwiseConv2d, STEPGenBlock)
        for module in model.modules():
            if isinstance(module, STEPGenBlock):
                module.forward = types.MethodType(STGCNBlock.forward, module)
            elif isinstance(module, PointwiseConv2d):
                module.forward = types.MethodType(torch.nn.Conv2d.forward,
                                                  module)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    return model, optim_wrapper, cfg


def make_batch(cfg, batch_size: int, clip_len: int = 75,
               seed: int = 0) -> dict:
    """A collated batch of synthetic gaits through the config's val pipeline.

    Args:
        cfg (Config): The model's config.
        batch_size (int): Number of gaits.
        clip_len (int): Frames per synthetic gait. Defaults to 75.
        seed (int): Defaults to 0.

    Returns:
        dict: ``inputs`` and ``data_samples`` as a dataloader yields them.
    """
    from mmengine.dataset import Compose, pseudo_collate
    from step_mm.testing import make_fake_gait
    pipeline = Compose(cfg.val_dataloader.dataset.pipeline)
    rng = np.random.default_rng(seed)
    items = []
    for i in range(batch_size):
        gait = make_fake_gait(clip_len, i % 4, rng).astype(np.float32)
        items.append(
            pipeline(
                dict(keypoint=gait[None], label=i % 4, total_frames=clip_len,
                     frame_dir=f'fake_{i}', fps=30.0)))
    return pseudo_collate(items)


def train_fn(model, optim_wrapper, batch) -> Callable[[], None]:
    """One full training step (forward, loss, backward, optimiser)."""

    def step():
        model.train()
        model.train_step(batch, optim_wrapper)

    return step


def infer_fn(model, batch) -> Callable[[], None]:
    """One inference call (``test_step`` under ``no_grad``)."""

    def step():
        model.eval()
        with torch.no_grad():
            model.test_step(batch)

    return step


# ------------------------------------------------------------- counting
def count_flops(fn: Callable[[], None]) -> int:
    """FLOPs of one call of ``fn`` (mmengine's: one multiply-add = 1 FLOP).

    ``torch.utils.flop_counter`` counts the matmul-like aten ops (conv,
    mm/bmm/addmm, einsum through bmm) and their backward; elementwise
    ops (batch norm, activations, the optimiser) are not counted.
    """
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops()) // 2  # it counts 2 per mul-add


def model_flops(model, optim_wrapper, cfg) -> Dict[str, float]:
    """FLOPs per gait of inference, one forward and one training step."""
    one = make_batch(cfg, 1, seed=1)
    two = make_batch(cfg, 2, seed=1)  # batch norm needs 2 gaits to train
    infer = count_flops(infer_fn(model, one))
    data = model.data_preprocessor(one, False)
    model.eval()
    with torch.no_grad():
        forward = count_flops(
            lambda: model(data['inputs'], data['data_samples'], 'tensor'))
    train = count_flops(train_fn(model, optim_wrapper, two)) / 2
    return dict(flops=infer, flops_forward=forward, flops_train=train)


# --------------------------------------------------------------- memory
def _status_kb(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def _reset_hwm() -> bool:
    """Reset the RSS high-water mark to the current RSS (Linux >= 4.0)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def _memory_child(spec: dict, batch_size: int, threads: int, steps: int,
                  conn) -> None:
    """Forked child: peak RSS growth of training and of inference."""
    try:
        torch.set_num_threads(threads)
        model, optim_wrapper, cfg = build(spec)
        batch = make_batch(cfg, batch_size)
        out = {}
        for mode, fn in (('infer', infer_fn(model, batch)),
                         ('train', train_fn(model, optim_wrapper, batch))):
            base = _status_kb('VmRSS')
            if not _reset_hwm() and mode == 'train':
                raise RuntimeError('cannot reset VmHWM')
            for _ in range(steps):
                fn()
            out[mode] = (_status_kb('VmHWM') - base) / 1024
        conn.send(out)
    except BaseException as e:  # noqa: B902  report, never hang the parent
        conn.send(dict(error=f'{type(e).__name__}: {e}'))
    finally:
        conn.close()


def peak_memory(spec: dict, batch_size: int, threads: int,
                steps: int = 2) -> Dict[str, float]:
    """Peak memory (MB) of a model's training and inference steps.

    Runs in a forked child, so every model starts from the same state (the
    parent's imports, no tensors of other models, no allocator caches).
    Inference runs first; then ``VmHWM`` is reset and ``steps`` training
    steps run (the first allocates the optimiser state).

    Returns:
        dict: ``train`` and ``infer``: ``VmHWM`` minus ``VmRSS`` before the
        steps, in MB.
    """
    ctx = mp.get_context('fork')
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_memory_child,
        args=(spec, batch_size, threads, steps, child))
    proc.start()
    child.close()
    out = parent.recv()
    proc.join()
    if 'error' in out:
        raise RuntimeError(f'memory measurement failed: {out["error"]}')
    return out


# --------------------------------------------------------------- timing
def _time_per_call(fn: Callable[[], None], number: int) -> float:
    from torch.utils.benchmark import Timer
    timer = Timer(
        'fn()', globals=dict(fn=fn), num_threads=torch.get_num_threads())
    return timer.timeit(number).mean


def matmul_fn(n: int = 2048) -> Callable[[], None]:
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    return lambda: torch.mm(a, b)


def measure(cases: Dict[tuple, Callable[[], None]],
            models: Sequence[str],
            rounds: int,
            target_s: float,
            warmup: int,
            log: Callable[[str], None] = print) -> Dict[tuple, dict]:
    """Interleaved timing of every case.

    Args:
        cases (dict): ``(setting, model) -> fn``; ``('matmul', None)`` too.
        models (Sequence[str]): Model order of the first round; rotated by
            one each round.
        rounds (int): Number of rounds.
        target_s (float): Wanted duration of one (case, round) block; the
            number of calls per block comes from the warm-up timing.
        warmup (int): Warm-up calls; the last one is timed to choose the
            number of calls per block.
        log (callable): Progress printer.

    Returns:
        dict: ``key -> dict(median_s, times_s, number)``.
    """
    numbers = {}
    for key, fn in cases.items():
        for _ in range(warmup - 1):
            fn()
        t = _time_per_call(fn, 1)  # the last warm-up call calibrates
        numbers[key] = max(1, min(200, int(round(target_s / max(t, 1e-6)))))
        log(f'  warm-up {key[0]:>10} {key[1] or "":<14} {t * 1e3:9.1f} ms '
            f'x{numbers[key]}')
    settings = []
    for setting, _ in cases:
        if setting not in settings:
            settings.append(setting)
    times = {key: [] for key in cases}
    bar = ProgressBar(rounds * len(cases))
    for r in range(rounds):
        order = list(models[r % len(models):]) + list(models[:r %
                                                             len(models)])
        for setting in settings:
            for model in ([None] if setting == 'matmul' else order):
                key = (setting, model)
                if key in cases:
                    times[key].append(
                        _time_per_call(cases[key], numbers[key]))
                    bar.update()
        log(f'  round {r + 1}/{rounds} done, load {os.getloadavg()[0]:.1f}')
    return {
        key: dict(
            median_s=statistics.median(ts), times_s=ts, number=numbers[key])
        for key, ts in times.items()
    }


# ------------------------------------------------------------- results
def _ratio(a: float, b: float) -> float:
    return a / b if b else float('nan')


def summarise(models: Sequence[str], timings: Dict[tuple, dict],
              static: Dict[str, dict], batches: dict) -> dict:
    """Per-model figures and STEP/ST-GCN ratios from raw timings."""
    matmul_n = 2048
    matmul_s = timings[('matmul', None)]['median_s']
    matmul_gflops = matmul_n**3 / matmul_s / 1e9  # n^3 multiply-adds
    out = {}
    for m in models:
        t = {s: timings[(s, m)]['median_s'] for s, mm in timings if mm == m}
        r = dict(static[m])
        r['train_gaits_per_s'] = batches['train'] / t['train']
        r['train_gaits_per_s_b8'] = batches['train_small'] / t['train_small']
        r['infer_gaits_per_s_b1'] = 1 / t['infer_b1']
        r['infer_gaits_per_s_b64'] = batches['infer'] / t['infer']
        r['latency_ms_b1'] = t['infer_b1'] * 1e3
        r['achieved_gflops'] = r['flops'] * r['infer_gaits_per_s_b64'] / 1e9
        r['peak_fraction'] = r['achieved_gflops'] / matmul_gflops
        r['achieved_gflops_train'] = (r['flops_train'] *
                                      r['train_gaits_per_s'] / 1e9)
        r['peak_fraction_train'] = r['achieved_gflops_train'] / matmul_gflops
        r['timings'] = {
            s: timings[(s, m)] for s, mm in timings if mm == m
        }
        out[m] = r
    ratios = {}
    if 'stgcn' in out:
        ref = out['stgcn']
        for m in models:
            if m != 'stgcn':
                ratios[m] = {
                    k: _ratio(out[m][k], ref[k])
                    for k in RATIO_KEYS if k in out[m] and k in ref
                }
    result = dict(
        matmul_gflops=matmul_gflops,
        models=out,
        ratios_step_over_stgcn=ratios.get('step', {}),
        ratios_over_stgcn=ratios)
    for before, after in BEFORE_OF.items():
        if after in out and before in out:
            result[f'ratios_{after}_over_{before}'] = {
                k: _ratio(out[after][k], out[before][k])
                for k in RATIO_KEYS if k in out[after] and k in out[before]
            }
    return result


def _fmt(x: float, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return 'n/a'
    if abs(x) >= 1e9:
        return f'{x / 1e9:.2f} G'
    if abs(x) >= 1e6:
        return f'{x / 1e6:.2f} M'
    if abs(x) >= 1e3:
        return f'{x / 1e3:.1f} k'
    return f'{x:.{digits}f}'


def markdown(result: dict) -> str:
    """Markdown table of a result dict."""
    s = result['settings']
    rows = [
        ('train gaits/s, batch {}'.format(s['batch_train']),
         'train_gaits_per_s', 1),
        ('train gaits/s, batch {}'.format(s['batch_train_small']),
         'train_gaits_per_s_b8', 1),
        ('inference gaits/s, batch 1', 'infer_gaits_per_s_b1', 1),
        ('inference gaits/s, batch {}'.format(s['batch_infer']),
         'infer_gaits_per_s_b64', 1),
        ('latency ms, batch 1', 'latency_ms_b1', 1),
        ('peak memory MB, train batch {}'.format(s['batch_train']),
         'peak_mem_mb', 0),
        ('peak memory MB, inference batch {}'.format(s['batch_infer']),
         'peak_mem_mb_infer', 0),
        ('parameters', 'params', 0),
        ('FLOPs / gait, inference', 'flops', 0),
        ('FLOPs / gait, one forward', 'flops_forward', 0),
        ('FLOPs / gait, train step', 'flops_train', 0),
        ('achieved GFLOP/s, inference', 'achieved_gflops', 2),
        ('fraction of matmul peak, inference', 'peak_fraction', 3),
        ('achieved GFLOP/s, training', 'achieved_gflops_train', 2),
        ('fraction of matmul peak, training', 'peak_fraction_train', 3),
    ]
    models = list(result['models'])
    has_ratio = bool(result.get('ratios_step_over_stgcn'))
    head = ['', *[LABELS[m] for m in models]]
    if has_ratio:
        head.append('STEP / ST-GCN')
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    for label, key, digits in rows:
        cells = [label]
        for m in models:
            cells.append(_fmt(result['models'][m].get(key), digits))
        if has_ratio:
            ratio = result['ratios_step_over_stgcn'].get(key)
            cells.append('' if ratio is None else f'{ratio:.2f}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    for before, after in BEFORE_OF.items():
        ab = result.get(f'ratios_{after}_over_{before}')
        if ab:
            lines += [
                '', f'{LABELS[after]} / {LABELS[before]}: ' +
                ', '.join(f'{k} {v:.2f}' for k, v in ab.items()
                          if v is not None)
            ]
    load = result['load_average']
    lines += [
        '',
        f'float32 2048x2048 matmul peak: {result["matmul_gflops"]:.1f} '
        f'GFLOP/s; {s["threads"]} threads, OMP_WAIT_POLICY '
        f'{s["omp_wait_policy"]}; load average '
        f'{load["start"][0]:.1f} at start, {load["end"][0]:.1f} at end '
        f'({result["host"]["cpu_count"]} CPUs); torch '
        f'{result["host"]["torch"]}; {s["rounds"]} interleaved rounds'
        f'{" (--quick)" if s["quick"] else ""}.',
    ]
    return '\n'.join(lines) + '\n'


def _finite(obj):
    """Replace non-finite floats with None so the JSON stays valid."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


# ----------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='1 round, short blocks (< 1 min); writes '
                        'speed_quick.* unless --out is given')
    parser.add_argument('--out', help='JSON path (the table goes next to '
                        'it as .md); default benchmarks/results/speed.json')
    parser.add_argument('--models', nargs='+',
                        choices=MODEL_NAMES + EXTRA_MODELS,
                        default=list(MODEL_NAMES))
    parser.add_argument('--batch', type=int,
                        help='large batch for training and inference '
                        '(default 64, quick 16)')
    parser.add_argument('--small-batch', type=int, default=8,
                        help='small training batch')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int,
                        help='interleaved rounds (default 5, quick 1)')
    parser.add_argument('--target', type=float,
                        help='seconds per timed block (default 1; quick 0: '
                        'one call)')
    add_omp_wait_policy_arg(
        parser,
        help='OMP_WAIT_POLICY: passive (default; robust when other jobs '
        'share the CPUs), active, env (leave the environment alone) or auto '
        '(passive when the load average shows the CPUs oversubscribed)')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory children')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args, argv, omp_policy, load_start = start_benchmark(parse_args, argv)
    t_start = time.time()
    _setup()
    rounds = args.rounds or (1 if args.quick else 5)
    target = args.target if args.target is not None else (
        0.0 if args.quick else 1.0)
    warmup = 1 if args.quick else 2
    batch = args.batch or (16 if args.quick else 64)
    models = list(dict.fromkeys(args.models))
    specs = find_configs()
    missing = [m for m in models if specs[m]['config'] is None]
    if missing:
        raise FileNotFoundError(f'no config found for {missing} under '
                                f'{osp.join(REPO, "configs")}')

    static = {}
    if not args.no_memory:
        # before any timing, so the forked children inherit no model state
        for m in models:
            mem = peak_memory(specs[m], batch, args.threads,
                              steps=1 if args.quick else 2)
            static[m] = dict(peak_mem_mb=mem['train'],
                             peak_mem_mb_infer=mem['infer'])
            print(f'{m}: peak memory train {mem["train"]:.0f} MB, infer '
                  f'{mem["infer"]:.0f} MB', flush=True)

    cases = {('matmul', None): matmul_fn()}
    batches = dict(
        train=batch, train_small=args.small_batch, infer=batch)
    for m in models:
        model, optim_wrapper, cfg = build(specs[m])
        params = sum(p.numel() for p in model.parameters())
        info = dict(
            config=osp.relpath(specs[m]['config'], REPO),
            cfg_options=specs[m]['options'],
            params=params,
            optimizer=cfg.optim_wrapper.optimizer['type'])
        info.update(model_flops(model, optim_wrapper, cfg))
        static.setdefault(m, {}).update(info)
        big = make_batch(cfg, batch)
        small = make_batch(cfg, args.small_batch)
        one = make_batch(cfg, 1)
        cases[('train', m)] = train_fn(model, optim_wrapper, big)
        cases[('train_small', m)] = train_fn(model, optim_wrapper, small)
        cases[('infer_b1', m)] = infer_fn(model, one)
        cases[('infer', m)] = infer_fn(model, big)
        print(f'{m}: {params} params, {info["flops"] / 1e6:.1f} MFLOP / gait '
              f'inference ({info["config"]})', flush=True)
    print(f'timing {len(cases)} cases x {rounds} rounds', flush=True)
    timings = measure(cases, models, rounds, target, warmup)

    result = summarise(models, timings, static, batches)
    result.update(
        settings=dict(
            threads=args.threads, omp_wait_policy=omp_policy,
            batch_train=batch, batch_train_small=args.small_batch,
            batch_infer=batch,
            rounds=rounds, target_s=target, warmup=warmup, quick=args.quick,
            input='synthetic gaits (step_mm.testing.make_fake_gait), '
            '75 frames, through each config\'s val pipeline'),
        load_average=dict(start=list(load_start), end=list(os.getloadavg())),
        host=dict(
            cpu_count=os.cpu_count(), machine=platform.machine(),
            processor=platform.processor(), python=platform.python_version(),
            torch=torch.__version__),
        wall_s=time.time() - t_start,
        command=' '.join(['python benchmarks/speed.py', *argv]))
    result = _finite(result)

    out = args.out or osp.join(
        RESULTS, 'speed_quick.json' if args.quick else 'speed.json')
    table = markdown(result)
    from step_mm.utils.io import dump_json, write_text
    dump_json(result, out, indent=2)
    write_text(osp.splitext(out)[0] + '.md', table)
    print(table)
    print(f'wrote {out} in {result["wall_s"]:.0f} s')
    return result


if __name__ == '__main__':
    main()
