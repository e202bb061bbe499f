# Copyright (c) step_mm contributors. All rights reserved.
"""Robustness of E-Gait models to poses as a video pose estimator gives them.

For each ``--configs`` model and each run (fold, seed) of a protocol, the
run's best-val checkpoint predicts its test gaits through
:func:`step_mm.apis.inference_gait` (the path of ``step-mm predict`` and of
the video demo), clean and under every perturbation of
:data:`step_mm.evaluation.robustness.PERTURBATIONS`, applied to the test
gaits only: Gaussian jitter of 0.5, 1, 2 and 3 % of the body height per
joint, axis and frame; capture at 10, 15, 24 and 60 fps (passed with that
``fps``); 10 % of the frames dropped; two joints occluded for 20 % of the
frames and interpolated; bone lengths scaled by up to 5 % per bone. Each
perturbed gait is seeded by (perturbation, gait key), so all models see the
same gaits.

Checkpoints come from the protocol runner's work directory
(``<work-dir>/egait_<protocol>/<config>/fold<F>_seed<S>/``, the layout of
``benchmarks/egait_protocol.py --keep-checkpoints``); a run without one is
trained there first (:func:`step_mm.apis.protocol.train_and_test`).

``--subset val`` perturbs each run's val gaits instead (results named
``*_val``): recipe choices are made on those, never on the test folds.

Per run, the JSON keeps aggregates only: top-1, mean-class accuracy and the
predicted-class histogram per perturbation (no per-gait predictions).
Results are written atomically after every run and runs already there are
skipped, so an interrupted benchmark resumes. Writes
``<out-dir>/egait_robustness_<protocol>.{json,md,png}`` and prints the
table.

Example::

    python benchmarks/egait_robustness.py --protocol random --seeds 0 \
        --configs configs/step/step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py \
        configs/baselines/stgcn_1xb16-joint-t48-40e_egait-keypoint-3d.py
"""
import argparse
import datetime
import json
import os.path as osp
import platform
import sys
import time
import warnings
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import step_mm  # noqa: F401  registers the plugin's modules
from step_mm.apis import inference_gait, init_gait_model
from step_mm.apis.protocol import best_checkpoint, run_config, train_and_test
from step_mm.apis.protocol_cli import (add_protocol_args, check_configs,
                                       resolve_protocol_args)
from step_mm.datasets import EGAIT_CLASSES
from step_mm.evaluation.functional import accuracies
from step_mm.evaluation.robustness import PERTURBATIONS, perturb_gait
from step_mm.evaluation.statistics import mean_std
from step_mm.utils.io import (atomic_path, dump_json, replace_marked_block,
                              write_text)
from step_mm.utils.markdown import markdown_table, mean_pm_std

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
JITTERS = [(0., 'clean')] + [(p, f'jitter_{p:g}%') for p in (0.5, 1, 2, 3)]


def run_metrics(scores: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1, mean-class accuracy (the runner's definitions:
    :func:`step_mm.evaluation.functional.accuracies`) and the
    predicted-class histogram of ``(N, C)`` class scores."""
    acc = accuracies(scores, labels)
    pred = np.asarray(scores).argmax(1)
    return dict(
        top1=float(acc['top1']),
        mean_class=float(acc['mean_class']),
        hist=np.bincount(pred, minlength=scores.shape[1]).tolist(),
        num=int(len(labels)))


def subset_gaits(cfg: Config, subset: str = 'test') -> List[dict]:
    """The raw gaits of a run's subset (key, joints, label, fps)."""
    from mmaction.registry import DATASETS
    ds_cfg = cfg[f'{subset}_dataloader'].dataset.copy()
    ds_cfg.pipeline = []
    ds = DATASETS.build(ds_cfg)
    return [
        dict(
            key=info['frame_dir'],
            joints=np.asarray(info['keypoint'][0], np.float32),
            label=int(info['label']),
            fps=float(info['fps'])) for info in ds.load_data_list()
    ]


def evaluate_run(model, gaits: List[dict],
                 perturbations: List[str]) -> Dict[str, dict]:
    """Predict the run's test gaits under each perturbation."""
    labels = np.array([g['label'] for g in gaits])
    out = {}
    for name in perturbations:
        joints, fps = zip(*[
            perturb_gait(g['joints'], g['fps'], name, g['key'])
            for g in gaits
        ])
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # "does not look like a walk"
            results = inference_gait(model, list(joints), fps=list(fps))
        out[name] = run_metrics(np.stack([r.probs for r in results]),
                                labels)
    return out


def summarize(runs: List[dict], perturbations: List[str]) -> dict:
    """Mean ± std over runs per (config, perturbation), pooled histograms."""
    summary = {}
    for config in dict.fromkeys(r['config'] for r in runs):
        rs = [r for r in runs if r['config'] == config]
        rows = {}
        for name in perturbations:
            ms = [r['results'][name] for r in rs if name in r['results']]
            if not ms:
                continue
            top1, top1_std = mean_std([m['top1'] for m in ms])
            mc, mc_std = mean_std([m['mean_class'] for m in ms])
            hist = np.sum([m['hist'] for m in ms], axis=0)
            drop = [
                r['results']['clean']['top1'] - r['results'][name]['top1']
                for r in rs if name in r['results']
            ]
            rows[name] = dict(
                top1=top1,
                top1_std=top1_std,
                mean_class=mc,
                mean_class_std=mc_std,
                drop=float(np.mean(drop)),
                hist=hist.astype(int).tolist(),
                max_share=float(hist.max() / hist.sum()),
                runs=len(ms))
        summary[config] = rows
    return summary


def markdown(result: dict) -> str:
    meta = result['meta']
    names = meta['class_names']
    lines = [
        f"E-Gait protocol `{meta['protocol']}` (folds "
        f"{', '.join(map(str, meta['folds']))}; seeds "
        f"{', '.join(map(str, meta['seeds']))}): each run's best-val "
        f"checkpoint on its {meta.get('subset', 'test')} gaits through "
        '`inference_gait`, those gaits perturbed. Mean ± sample std over runs; drop = clean top-1 '
        'minus perturbed top-1 (mean of paired differences); predicted '
        'classes pooled over runs, with the largest class share.', ''
    ]
    header = ('perturbation', 'top-1', 'mean-class', 'drop',
              f"predicted ({'/'.join(names)})", 'max share', 'runs')
    for config, rows in result['summary'].items():
        lines += [f'`{config}`', ''] + markdown_table(header, [
            (name, mean_pm_std(r['top1'], r['top1_std']),
             mean_pm_std(r['mean_class'], r['mean_class_std']),
             f"{r['drop']:+.3f}", '/'.join(map(str, r['hist'])),
             f"{r['max_share']:.2f}", r['runs']) for name, r in rows.items()
        ]) + ['']
    return '\n'.join(lines)


def plot(result: dict, path: str) -> None:
    """Top-1 against jitter sigma (% of body height), one line per model."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for config, rows in result['summary'].items():
        pts = [(s, rows[n]) for s, n in JITTERS if n in rows]
        if not pts:
            continue
        x = [s for s, _ in pts]
        y = np.array([r['top1'] for _, r in pts])
        e = np.array([r['top1_std'] for _, r in pts])
        line, = ax.plot(x, y, marker='o', label=osp.basename(config)[:40])
        ax.fill_between(x, y - e, y + e, color=line.get_color(), alpha=0.15)
    ax.axhline(0.25, color='grey', lw=0.8, ls=':', label='chance (4 classes)')
    ax.set_xlabel('jitter sigma (% of body height)')
    ax.set_ylabel('test top-1')
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path, suffix='.png') as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='E-Gait robustness benchmark (perturbed test gaits)')
    parser.add_argument('--configs', nargs='+', required=True)
    add_protocol_args(
        parser, folds_help='default: every fold', seeds_help='default: seed 0')
    parser.add_argument(
        '--perturbations',
        nargs='+',
        default=list(PERTURBATIONS),
        # '%%': argparse formats help with %, and jitter_1% has one
        help=f"default: all ({', '.join(PERTURBATIONS)})".replace('%', '%%'))
    parser.add_argument(
        '--work-dir',
        default=osp.join('work_dirs', 'egait_protocol'),
        help='the protocol runner\'s work directory (checkpoints reused, '
        'missing runs trained there)')
    parser.add_argument(
        '--out-dir', default=osp.join(REPO, 'benchmarks', 'results'))
    parser.add_argument('--data-root', help='E-Gait folder')
    parser.add_argument(
        '--epochs', type=int, help='shorten the schedule of runs trained here')
    parser.add_argument(
        '--name', help='results name (default egait_robustness_<protocol>)')
    parser.add_argument(
        '--subset',
        choices=('test', 'val'),
        default='test',
        help='gaits perturbed: the test fold (the benchmark) or the val '
        'subset (for recipe choices, which never look at the test fold; '
        'results named *_val)')
    parser.add_argument(
        '--readme',
        help='also write the table between the <!-- <name>:start --> / '
        ':end markers of this file (e.g. configs/step/README.md)')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    args = resolve_protocol_args(
        parser, parser.parse_args(argv), seeds=[0])
    unknown = [p for p in args.perturbations if p not in PERTURBATIONS]
    if unknown:
        parser.error(f'--perturbations {unknown}: known are '
                     f"{', '.join(PERTURBATIONS)}")
    if 'clean' not in args.perturbations:
        args.perturbations = ['clean'] + args.perturbations
    check_configs(parser, args.configs)
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    init_default_scope('mmaction')
    if args.threads:
        torch.set_num_threads(args.threads)
    name = args.name or f'egait_robustness_{args.protocol}' + (
        '_val' if args.subset == 'val' else '')
    json_path = osp.join(args.out_dir, f'{name}.json')
    result = dict(runs=[])
    if osp.isfile(json_path):
        with open(json_path) as f:
            result = json.load(f)
    runs = result['runs']
    old = result.get('meta', {})
    result['meta'] = dict(
        protocol=args.protocol,
        folds=sorted(set(old.get('folds', [])) | set(args.folds)),
        seeds=sorted(set(old.get('seeds', [])) | set(args.seeds)),
        subset=args.subset,
        class_names=list(EGAIT_CLASSES),
        perturbations=list(PERTURBATIONS),
        cpu_threads=torch.get_num_threads(),
        torch=torch.__version__,
        python=platform.python_version(),
        updated=datetime.datetime.now().isoformat(timespec='seconds'))
    done = {(r['config'], r['fold'], r['seed']): r for r in runs}
    work_root = osp.join(args.work_dir, f'egait_{args.protocol}')

    def save() -> str:
        order = [n for n in PERTURBATIONS if n in args.perturbations
                 ] + [n for n in PERTURBATIONS if n not in args.perturbations]
        result['summary'] = summarize(runs, order)
        dump_json(result, json_path)
        table = markdown(result)
        write_text(osp.join(args.out_dir, f'{name}.md'), table)
        plot(result, osp.join(args.out_dir, f'{name}.png'))
        return table

    for config in args.configs:
        rel = osp.relpath(osp.abspath(config), REPO)
        for seed in args.seeds:
            for fold in args.folds:
                run = done.get((rel, fold, seed))
                todo = [
                    p for p in args.perturbations
                    if run is None or p not in run['results']
                ]
                if not todo:
                    continue
                work_dir = osp.join(work_root,
                                    osp.splitext(osp.basename(config))[0],
                                    f'fold{fold}_seed{seed}')
                cfg = run_config(config, args.protocol, fold, seed, work_dir,
                                 args.data_root, args.epochs)
                ckpt = best_checkpoint(work_dir)
                if ckpt is None:
                    print(f'{rel} fold {fold} seed {seed}: no checkpoint in '
                          f'{work_dir}, training it', flush=True)
                    with warnings.catch_warnings():
                        warnings.simplefilter('ignore')
                        train_and_test(cfg, keep_checkpoints=True)
                    ckpt = best_checkpoint(work_dir)
                t0 = time.perf_counter()
                model = init_gait_model(cfg, ckpt, device='cpu')
                gaits = subset_gaits(cfg, args.subset)
                res = evaluate_run(model, gaits, todo)
                if run is None:
                    run = dict(
                        config=rel,
                        fold=fold,
                        seed=seed,
                        checkpoint=osp.basename(ckpt),
                        results={})
                    runs.append(run)
                    done[(rel, fold, seed)] = run
                run['results'].update(res)
                clean = run['results']['clean']
                worst = min(run['results'].items(), key=lambda kv: kv[1]['top1'])
                print(f'{rel} fold {fold} seed {seed}: clean top-1 '
                      f"{clean['top1']:.3f}, worst {worst[0]} "
                      f"{worst[1]['top1']:.3f} "
                      f'({time.perf_counter() - t0:.0f} s)', flush=True)
                save()
    table = save()
    print(table)
    if args.readme:
        replace_marked_block(args.readme, name, table)
        print(f'table written into {args.readme}')
    print(f'results: {json_path}')
    return result


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f'egait_robustness: error: {e}')
