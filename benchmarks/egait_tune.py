# Copyright (c) step_mm contributors. All rights reserved.
"""Recipe search for the graph baselines, on validation data only.

Every model gets the same budget: the same candidate configurations
(:data:`CANDIDATES`, each a change of the model's reference config), each
trained by ``benchmarks/egait_protocol.py`` on the same runs (folds x
seeds of protocol R). A candidate is scored by the mean, over those runs, of
the val top-1 of the checkpoint the protocol keeps (the best val epoch);
the test folds are trained and tested by the runner but their figures are
never read here and never written to the tuning results. The chosen
candidate is the best mean val top-1; ties go to the earlier (cheaper)
candidate.

Each candidate config is written (``Config.dump``) into the scratch folder
and run there, so an interrupted search resumes where it stopped.

Example::

    for c in ref deeper lr3e3; do  # every model's candidate c, then c + 1
        python benchmarks/egait_tune.py --candidates $c --folds 0 1 \
            --seeds 0 --scratch work_dirs/egait_tune
    done

Writes ``benchmarks/results/egait_tune.json`` (val figures, train time and
CPU time per run) and ``egait_tune.md``.
"""
import argparse
import copy
import datetime
import json
import logging
import os
import os.path as osp
import resource
import sys
import time
from typing import Callable, Dict, List

import numpy as np
from mmengine.config import Config

from step_mm.apis.protocol import model_key, run_protocol
from step_mm.evaluation.benchmark_table import format_si
from step_mm.utils.io import dump_json, replace_marked_block, write_text

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: The reference (joint) config of each model.
MODELS = dict(
    stgcn='configs/baselines/stgcn_1xb16-joint-t48-40e_egait-keypoint-3d.py',
    stgcnpp='configs/baselines/'
    'stgcnpp_1xb16-joint-t48-40e_egait-keypoint-3d.py',
    aagcn='configs/baselines/aagcn_1xb16-joint-t48-40e_egait-keypoint-3d.py',
    ctrgcn='configs/baselines/'
    'ctrgcn_1xb16-joint-t48-40e_egait-keypoint-3d.py')


def _set_lr(cfg: Config, lr: float) -> None:
    for s in cfg.param_scheduler:
        if s.type == 'OneCycleLR':
            s.eta_max = lr
    cfg.optim_wrapper.optimizer.lr = lr


def _reference(cfg: Config) -> None:
    """16 base channels, 4 stages, no down-sampling, peak lr 1e-3."""
    # every searched setting is set here, so a model's candidates stay the
    # same whichever of them its config has adopted
    cfg.model.backbone.update(
        base_channels=16, num_stages=4, inflate_stages=[], down_stages=[])
    cfg.model.cls_head.in_channels = 16
    _set_lr(cfg, 1e-3)


def _lr3e3(cfg: Config) -> None:
    """Peak lr 3e-3 instead of 1e-3."""
    _reference(cfg)
    _set_lr(cfg, 3e-3)


def _down(cfg: Config) -> None:
    """Temporal stride 2 at stages 3 and 4, 32 channels at stage 4."""
    _reference(cfg)
    cfg.model.backbone.update(inflate_stages=[4], down_stages=[3, 4])
    cfg.model.cls_head.in_channels = 32


def _deeper(cfg: Config) -> None:
    """6 stages, channels 16 -> 64 with two temporal down-samplings."""
    _reference(cfg)
    cfg.model.backbone.update(
        num_stages=6, inflate_stages=[4, 6], down_stages=[4, 6])
    cfg.model.cls_head.in_channels = 64


#: The candidates, in order; the first is the reference.
CANDIDATES: Dict[str, Callable[[Config], None]] = dict(
    ref=_reference, lr3e3=_lr3e3, down=_down, deeper=_deeper)
#: Measured CPU time of a whole run (train, val every epoch, test, start-up)
#: over :func:`predicted_cpu_s` (ST-GCN 87 / 70 s, ST-GCN++ 174 / 142 s).
RUN_OVER_TRAIN = 1.25
#: The budget of one run: 3 CPU-minutes on one thread.
MAX_CPU_S = 180.
#: Candidates that change neither the network, the clip nor the schedule's
#: length: they cost what the reference costs (measured), no prediction.
COST_NEUTRAL = ('ref', 'lr3e3')


def predicted_cpu_s(cfg: Config, iters: int = 8) -> float:
    """CPU seconds one run of ``cfg`` would take, from a few train steps.

    Times ``iters`` training iterations (after two of warm-up; the least
    of three such timings, the machine being shared) on random
    gaits of the config's batch size and clip length, one thread, and
    scales them to the config's epochs x iterations per epoch (277 train
    gaits, the last incomplete batch dropped). Validation and start-up are
    left out; they add about 10 %.
    """
    import torch
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    import step_mm  # noqa: F401  registers the plugin's modules
    init_default_scope('mmaction')
    torch.set_num_threads(1)
    batch = cfg.train_dataloader.batch_size
    clip = [
        t.clip_len for t in cfg.train_dataloader.dataset.pipeline
        if t.type == 'GaitToLength'
    ][0]
    from mmengine.logging import MMLogger
    model = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)  # init_weights reports every tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    model.train()
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    data = dict(
        inputs=list(torch.randn(batch, 1, 1, clip, 16, 3)),
        data_samples=[
            ActionDataSample().set_gt_labels(i % 4) for i in range(batch)
        ])
    for _ in range(2):  # warm-up
        model.train_step(data, optim)
    timings = []
    for _ in range(3):  # the least disturbed of three timings
        t0 = time.process_time()
        for _ in range(iters):
            model.train_step(data, optim)
        timings.append(time.process_time() - t0)
    per_iter = min(timings) / iters
    return per_iter * (277 // batch) * cfg.train_cfg.max_epochs


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_candidate(model: str, name: str, args: argparse.Namespace,
                  old: dict) -> dict:
    """Train one candidate on the tuning runs; its val figures only.

    ``old`` is the candidate's earlier entry (or ``{}``): runs cached by the
    protocol runner are not trained again.
    """
    cfg = Config.fromfile(osp.join(REPO, MODELS[model]))
    CANDIDATES[name](cfg)
    change = CANDIDATES[name].__doc__.strip()
    predicted = None
    if name not in COST_NEUTRAL:
        predicted = old.get('predicted_cpu_s') or round(
            predicted_cpu_s(cfg) * RUN_OVER_TRAIN, 1)
    if predicted is not None and predicted > MAX_CPU_S:
        print(f'{model} {name}: {predicted:.0f} CPU-s per run predicted, '
              f'over the {MAX_CPU_S:.0f} s budget: not trained', flush=True)
        return dict(
            model=model,
            candidate=name,
            change=change,
            predicted_cpu_s=predicted,
            over_budget=True,
            runs=[])
    folder = osp.join(args.scratch, f'{model}-{name}')
    os.makedirs(folder, exist_ok=True)
    # ``{model}_{...}`` keeps the runner's model key; bone never appears.
    path = osp.join(folder, f'{model}_tune-{name}_egait-keypoint-3d.py')
    cfg.dump(path)
    cached = osp.join(folder, 'egait_random.json')
    before = 0
    if osp.isfile(cached):
        with open(cached) as f:
            before = len(json.load(f)['runs'])
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    out = run_protocol([path],
                       'random',
                       args.folds,
                       args.seeds,
                       out_dir=folder,
                       work_dir=osp.join(folder, 'work'),
                       threads=1)
    runs = [
        dict(
            fold=r['fold'],
            seed=r['seed'],
            val_top1=r['best_val_top1'],
            best_epoch=r['best_epoch'],
            train_time_s=r['train_time_s']) for r in out['runs']
        if r['fold'] in args.folds and r['seed'] in args.seeds
    ]
    val = np.array([r['val_top1'] for r in runs])
    new_runs = len(out['runs']) - before
    return dict(
        model=model,
        candidate=name,
        change=change,
        predicted_cpu_s=predicted,
        over_budget=False,
        val_top1_mean=float(val.mean()),
        val_top1_std=float(val.std(ddof=1)) if len(val) > 1 else 0.,
        train_time_s_mean=float(np.mean([r['train_time_s'] for r in runs])),
        # process CPU time of this call (training, val and test of the runs
        # not cached before, and start-up), per such run
        cpu_s_per_run=round((_cpu_s() - cpu0) / new_runs, 1)
        if new_runs else old.get('cpu_s_per_run'),
        wall_s=round(time.perf_counter() - wall0, 1),
        params=out['models'][model_key(path)]['params'],
        flops=out['models'][model_key(path)]['flops'],
        runs=runs)


def markdown(result: dict) -> str:
    lines = [
        'Recipe search on val subsets only: protocol R, folds '
        f"{result['folds']}, seeds {result['seeds']}; mean ± sample std "
        'over runs of the val top-1 of the kept (best-val) checkpoint; '
        'train time (wall) and process CPU time per run on one thread.', '',
        '| model | candidate | change | val top-1 | train time / run | '
        'CPU / run | params | FLOPs | chosen |', '|---' * 9 + '|'
    ]
    for model, cands in result['models'].items():
        chosen = result['chosen'].get(model)
        for c in cands:
            if c.get('over_budget'):
                lines.append(
                    f"| {model} | {c['candidate']} | {c['change']} | not "
                    f"trained: {c['predicted_cpu_s']:.0f} CPU-s per run "
                    'predicted (budget 180) | | | | | |')
                continue
            lines.append(
                f"| {model} | {c['candidate']} | {c['change']} | "
                f"{c['val_top1_mean']:.3f} ± {c['val_top1_std']:.3f} | "
                f"{c['train_time_s_mean']:.0f} s | {c['cpu_s_per_run']:.0f} s"
                f" | {format_si(c['params'])} | "
                f"{format_si(c['flops'])} | "
                f"{'**yes**' if c['candidate'] == chosen else ''} |")
    return '\n'.join(lines) + '\n'


def choose(cands: List[dict]) -> str:
    """The best mean val top-1; the earliest candidate wins ties."""
    trained = [c for c in cands if not c.get('over_budget')]
    best = max(trained, key=lambda c: round(c['val_top1_mean'], 6))
    return best['candidate']


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--models', nargs='+', choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument(
        '--candidates',
        nargs='+',
        choices=list(CANDIDATES),
        default=list(CANDIDATES))
    parser.add_argument('--folds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0])
    parser.add_argument(
        '--scratch', default=osp.join('work_dirs', 'egait_tune'))
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results',
                                  'egait_tune.json'))
    parser.add_argument(
        '--readme',
        help='also write the table between <!-- egait_tune:start --> and '
        '<!-- egait_tune:end --> in this file')
    return parser.parse_args(argv)


def write_readme(path: str, table: str) -> None:
    """Replace the text between the egait_tune markers of ``path``."""
    try:
        replace_marked_block(path, 'egait_tune', table)
    except ValueError as e:
        raise SystemExit(str(e)) from None


def main(argv=None) -> dict:
    args = parse_args(argv)
    result = dict(models={}, chosen={})
    if osp.isfile(args.out):
        with open(args.out) as f:
            result = json.load(f)
    result.update(
        folds=args.folds,
        seeds=args.seeds,
        candidates={
            k: v.__doc__.strip()
            for k, v in CANDIDATES.items()
        },
        command='python benchmarks/egait_tune.py ' +
        ' '.join(sys.argv[1:] if argv is None else argv))
    for model in args.models:
        cands = result['models'].setdefault(model, [])
        wanted = {(f, s) for f in args.folds for s in args.seeds}
        for name in args.candidates:
            old = ([c for c in cands if c['candidate'] == name] or [{}])[0]
            if (old.get('over_budget') and name not in COST_NEUTRAL) or {
                    (r['fold'], r['seed'])
                    for r in old.get('runs', [])
            } == wanted:
                continue
            cands[:] = [c for c in cands if c['candidate'] != name]
            cands.append(run_candidate(model, name, args, old))
            cands.sort(key=lambda c: list(CANDIDATES).index(c['candidate']))
            result['chosen'][model] = choose(cands)
            result['updated'] = datetime.datetime.now().isoformat(
                timespec='seconds')
            dump_json(result, args.out)
            write_text(osp.splitext(args.out)[0] + '.md', markdown(result))
            print(markdown(result), flush=True)
    if args.readme:
        write_readme(args.readme, markdown(result))
    return result


if __name__ == '__main__':
    main()
