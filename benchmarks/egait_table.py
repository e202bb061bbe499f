# Copyright (c) step_mm contributors. All rights reserved.
"""The complete E-Gait table: STEP against every baseline, paired.

Rows (protocol R: 10 folds x seeds 0, 1, 2; protocol S: 5
subject-independent folds):

- STEP and Baseline-STEP (``--step-config``, ``--baseline-step-config``);
- each graph recognizer of ``configs/baselines/`` (ST-GCN, ST-GCN++, AAGCN,
  CTR-GCN) on joints, on bones (``*_bone``) and their two-stream fusion
  (``*_2s``, the sum of both streams' test probabilities);
- mmaction2's NTU recipe for ST-GCN (``stgcn_ntu``), protocol R seed 0 only
  (``--ntu-config``; ``--no-ntu`` leaves it out);
- the scikit-learn baselines of ``benchmarks/egait_sklearn.py`` (``sk_*``).

Columns: top-1, mean-class accuracy and per-class recall (mean ± sample
std over runs), parameters, FLOPs (mmengine's ``get_model_complexity_info``
of the backbone on one 75-frame gait; a multiply-add counts as one),
train time per run, and the paired two-sided Wilcoxon signed-rank p-value
of STEP against the row over the (fold, seed) runs both have
(:mod:`step_mm.evaluation.statistics`).

The deep rows are trained by ``benchmarks/egait_protocol.py`` and the
scikit-learn rows by ``benchmarks/egait_sklearn.py``, both resumable: an
interrupted table resumes where it stopped. ``--device cuda`` trains on a
GPU; ``--device cpu`` (default) hides every GPU from the runs.

Example::

    python benchmarks/egait_table.py --protocol random --jobs 2
    python benchmarks/egait_table.py --protocol subject --jobs 2

Writes ``benchmarks/results/egait_table_<protocol>.json`` / ``.md`` and the
table between ``<!-- egait_table_<protocol>:start -->`` and ``..:end -->``
in ``configs/baselines/README.md`` and ``configs/step/README.md``.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BENCH = osp.dirname(osp.abspath(__file__))

STEP = 'configs/step/step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py'
BASELINE_STEP = ('configs/step/'
                 'step_stgcn-baseline_1xb8-joint-t75-30e_egait-keypoint-3d.py')
NTU = 'configs/baselines/stgcn_1xb16-joint-t75-30e_egait-keypoint-3d.py'
RECOGNIZERS = ('stgcn', 'stgcnpp', 'aagcn', 'ctrgcn')
STREAMS = ('joint', 'bone')
READMES = ('configs/baselines/README.md', 'configs/step/README.md')
NUM_FOLDS = dict(random=10, subject=5)


def recognizer_configs() -> List[str]:
    """The joint and bone config of every graph recognizer."""
    return [
        f'configs/baselines/{m}_1xb16-{s}-t48-40e_egait-keypoint-3d.py'
        for m in RECOGNIZERS for s in STREAMS
    ]


def check_readmes(readmes: List[str], protocol: str) -> None:
    """Fail before any training when a README lacks the table markers."""
    from step_mm.utils.io import marked_block_span
    start = f'<!-- egait_table_{protocol}:start -->'
    end = f'<!-- egait_table_{protocol}:end -->'
    for path in readmes:
        text = open(osp.join(REPO, path)).read() if osp.isfile(
            osp.join(REPO, path)) else ''
        if marked_block_span(text, f'egait_table_{protocol}') is None:
            sys.exit(f'{path}: add the lines {start} and {end} where the '
                     'table goes (or pass --readmes without it)')


def run_step(argv: List[str], env: Dict[str, str]) -> float:
    """Run one resumable sub-command; its wall time in seconds."""
    print('+', ' '.join(argv[1:]), flush=True)
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=REPO, env=env, check=True)
    return time.perf_counter() - t0


def load_rows(protocol_json: str, ntu_json: str, sklearn_json: str,
              order: List[str]) -> tuple:
    """Runs of every model from the three results files, in table order."""
    rows, infos = {}, {}

    def add(path, rename=None):
        if not osp.isfile(path):
            return
        with open(path) as f:
            result = json.load(f)
        for run in result['runs']:
            model = (rename or {}).get(run['model'], run['model'])
            rows.setdefault(model, []).append(run)
        for model, info in result.get('models', {}).items():
            infos[(rename or {}).get(model, model)] = info

    add(protocol_json)
    add(ntu_json, rename={'stgcn': 'stgcn_ntu'})
    add(sklearn_json)
    ordered = {m: rows[m] for m in order if m in rows}
    ordered.update({m: rows[m] for m in sorted(rows) if m not in ordered})
    return ordered, infos


def table_order() -> List[str]:
    order = ['step', 'baseline_step']
    for m in RECOGNIZERS:
        order += [m, f'{m}_bone', f'{m}_2s']
    order.append('stgcn_ntu')
    for feats in ('aff29', 'motion165'):
        order += [f'sk_{m}_{feats}' for m in ('logreg', 'svm', 'rf', 'hgb')]
    return order


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--protocol', choices=sorted(NUM_FOLDS), default='random')
    parser.add_argument('--step-config', default=STEP)
    parser.add_argument('--baseline-step-config', default=BASELINE_STEP)
    parser.add_argument('--ntu-config', default=NTU)
    parser.add_argument(
        '--no-ntu', action='store_true', help='leave out the NTU row')
    parser.add_argument(
        '--configs',
        nargs='+',
        help='graph recognizer configs (default: the joint and bone '
        'config of every recognizer in configs/baselines/)')
    parser.add_argument('--folds', nargs='+', type=int)
    parser.add_argument('--seeds', nargs='+', type=int)
    parser.add_argument(
        '--device',
        choices=('cpu', 'cuda'),
        default='cpu',
        help='cpu hides every GPU from the runs')
    parser.add_argument(
        '--jobs', type=int, default=1, help='runs in parallel (CPU)')
    parser.add_argument('--data-root')
    parser.add_argument(
        '--out-dir', default=osp.join(REPO, 'benchmarks', 'results'))
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'egait_table'))
    parser.add_argument(
        '--readmes',
        nargs='*',
        default=list(READMES),
        help='files with the table markers (default: both READMEs)')
    parser.add_argument(
        '--table-only',
        action='store_true',
        help='train nothing: build the table from the results files')
    parser.add_argument(
        '--protocol-results',
        help='with --table-only: the deep rows from this results file of '
        '`benchmarks/egait_protocol.py` (e.g. benchmarks/results/'
        'egait_random.json) instead of the table\'s own runs')
    args = parser.parse_args(argv)
    if args.protocol_results and not args.table_only:
        parser.error('--protocol-results goes with --table-only (the '
                     "table's own runs write "
                     f'{osp.join(args.out_dir, "egait_table")})')
    if args.protocol_results and not osp.isfile(args.protocol_results):
        parser.error(f'--protocol-results {args.protocol_results}: '
                     'file not found')
    if args.device == 'cuda':
        import torch
        if not torch.cuda.is_available():
            parser.error('--device cuda: no CUDA device is visible')
        if args.jobs > 1:
            parser.error('--device cuda runs one job at a time')
    configs = [args.step_config, args.baseline_step_config] + (
        args.configs or recognizer_configs())
    if not args.no_ntu:
        configs.append(args.ntu_config)
    for c in configs:
        if not osp.isfile(osp.join(REPO, c)):
            parser.error(f'config {c} not found')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_readmes(args.readmes, args.protocol)
    from mmengine.utils import ProgressBar

    from step_mm.datasets.egait_dataset import EGAIT_CLASSES
    from step_mm.evaluation.benchmark_table import (benchmark_table,
                                                    table_markdown)

    out_dir = args.out_dir
    table_dir = osp.join(out_dir, 'egait_table')
    protocol_json = args.protocol_results or osp.join(
        table_dir, f'egait_{args.protocol}.json')
    ntu_json = osp.join(table_dir, 'ntu', f'egait_{args.protocol}.json')
    sklearn_json = osp.join(out_dir, f'egait_sklearn_{args.protocol}.json')
    table_json = osp.join(out_dir, f'egait_table_{args.protocol}.json')
    old = {}
    if osp.isfile(table_json):
        with open(table_json) as f:
            old = json.load(f).get('meta', {})
    wall = dict(old.get('wall_s', {}))

    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    env.setdefault('MKL_NUM_THREADS', '1')
    if args.device == 'cpu':
        env['CUDA_VISIBLE_DEVICES'] = ''
    common = ['--protocol', args.protocol]
    if args.folds:
        common += ['--folds', *map(str, args.folds)]
    data = ['--data-root', args.data_root] if args.data_root else []
    py = sys.executable
    if not args.table_only:
        deep = [args.step_config, args.baseline_step_config] + (
            args.configs or recognizer_configs())
        seeds = ['--seeds', *map(str, args.seeds)] if args.seeds else []
        steps = [('deep', [
            py,
            osp.join(BENCH, 'egait_protocol.py'), *common, *seeds,
            '--configs', *deep, '--out-dir', table_dir, '--work-dir',
            args.work_dir, '--threads', '1', '--jobs',
            str(args.jobs), *data
        ])]
        if not args.no_ntu and args.protocol == 'random':
            steps.append(('ntu', [
                py,
                osp.join(BENCH, 'egait_protocol.py'), *common, '--seeds',
                '0', '--configs', args.ntu_config, '--out-dir',
                osp.dirname(ntu_json), '--work-dir',
                osp.join(args.work_dir, 'ntu'), '--threads', '1', '--jobs',
                str(args.jobs), *data
            ]))
        steps.append(('sklearn', [
            py,
            osp.join(BENCH, 'egait_sklearn.py'), *common, *seeds, '--out',
            sklearn_json, *data
        ]))
        bar = ProgressBar(len(steps))
        for name, cmd in steps:
            wall[name] = round(wall.get(name, 0.) + run_step(cmd, env), 1)
            bar.update()

    rows, infos = load_rows(protocol_json, ntu_json, sklearn_json,
                            table_order())
    if 'step' not in rows:
        sys.exit(f'{protocol_json}: no STEP runs yet; run without '
                 '--table-only first')
    table = benchmark_table(rows, 'step', infos)
    total = sum(wall.values())
    parts = ', '.join(f'{k} {v / 3600:.1f} h' for k, v in wall.items())
    md = (f"E-Gait, protocol `{args.protocol}` "
          f"({NUM_FOLDS[args.protocol]} folds). Mean ± sample std over "
          'runs; checkpoints picked on val, tested once on the test fold; '
          'p: two-sided paired Wilcoxon signed-rank test of STEP against '
          'the row over the runs both have. FLOPs: mmengine '
          '`get_model_complexity_info` of the backbone on one 75-frame '
          'gait (a multiply-add counts 1). Train time per run: wall, one '
          'CPU thread per run' +
          (', GPU' if args.device == 'cuda' else '') +
          '. Benchmark wall time: ' + (
              f'{total / 3600:.1f} h ({parts}; {args.jobs} job(s) in '
              'parallel)' if wall else
              'not measured (tables built with --table-only)') +
          '. Runs from ' + ', '.join(
              f'`{osp.relpath(p, REPO)}`'
              for p in (protocol_json, ntu_json, sklearn_json)
              if osp.isfile(p)) + '.\n\n' +
          table_markdown(table, EGAIT_CLASSES))
    result = dict(
        meta=dict(
            protocol=args.protocol,
            device=args.device,
            jobs=args.jobs,
            wall_s=wall,
            sources=[
                osp.relpath(p, REPO)
                for p in (protocol_json, ntu_json, sklearn_json)
            ],
            python=platform.python_version(),
            command='python benchmarks/egait_table.py ' +
            ' '.join(sys.argv[1:] if argv is None else argv),
            updated=datetime.datetime.now().isoformat(timespec='seconds')),
        table=table)
    from step_mm.utils.io import dump_json, replace_marked_block, write_text
    dump_json(result, table_json)
    write_text(osp.splitext(table_json)[0] + '.md', md)
    for path in args.readmes:
        replace_marked_block(
            osp.join(REPO, path), f'egait_table_{args.protocol}', md)
    print(md)
    print(f'results: {table_json}')
    return result


if __name__ == '__main__':
    main()
