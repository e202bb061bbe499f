# Copyright (c) step_mm contributors. All rights reserved.
"""The E-Gait benchmark protocol: cross-validated top-1 / mean-class accuracy.

Protocols (see docs/egait.md):

- ``random`` (R): stratified 10-fold cross-validation over gaits, repeated
  with seeds 0, 1, 2; the seed is both the split seed and the training seed.
- ``subject`` (S): subject-independent stratified 5-fold split (no actor in
  two subsets of a fold), seed 0 by default.

Each run trains a config on the fold's ``train`` subset, keeps the
checkpoint with the best top-1 on the fold's ``val`` subset (never the
test fold) and then tests that checkpoint on ``test``. Joint and bone
configs of one algorithm (``stgcn_..-joint-..``/``stgcn_..-bone-..``) are
also fused into a two-stream model (``stgcn_2s``) from their test scores of
the same fold and seed.

Results go to ``<out-dir>/egait_<protocol>.json`` (written atomically after
every run; runs already there are skipped, so an interrupted benchmark
resumes) and ``egait_<protocol>.md``; ``--readme`` also writes the table
between ``<!-- egait_<protocol>:start -->`` and ``<!-- ..:end -->``.

The runner is :func:`step_mm.apis.protocol.run_protocol`.

Example::

    python benchmarks/egait_protocol.py --protocol random --configs \
        configs/step/step_stgcn-aff_1xb8-joint-t75-60e_egait-keypoint-3d.py
    python benchmarks/egait_protocol.py --quick --protocol random --configs \
        configs/step/*.py   # 2 folds x 1 seed x 2 epochs, *_quick.json
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

import step_mm  # noqa: F401  registers the plugin's modules
from step_mm.apis.protocol import (PROTOCOLS, fused_runs, model_key,
                                   pooled_by_source, protocol_markdown,
                                   run_config, run_protocol, set_epochs,
                                   summarize, train_and_test)
from step_mm.apis.protocol_cli import (add_protocol_args, check_configs,
                                       resolve_protocol_args)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
markdown = protocol_markdown

__all__ = [
    'PROTOCOLS', 'model_key', 'run_config', 'set_epochs', 'train_and_test',
    'fused_runs', 'pooled_by_source', 'summarize', 'markdown', 'main'
]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='E-Gait cross-validation benchmark')
    parser.add_argument('--configs', nargs='+', required=True)
    add_protocol_args(
        parser,
        folds_help='default: every fold',
        seeds_help='split and training seeds (default: 0 1 2 for random, 0 '
        'for subject)')
    parser.add_argument(
        '--out-dir', default=osp.join(REPO, 'benchmarks', 'results'))
    parser.add_argument(
        '--work-dir',
        default=osp.join('work_dirs', 'egait_protocol'),
        help='per-run logs and test dumps')
    parser.add_argument(
        '--data-root',
        help='E-Gait folder (default: the config / '
        '$EGAIT_ROOT)')
    parser.add_argument(
        '--epochs', type=int, help='shorten every schedule to this')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke run: folds 0 1, seed 0, 2 epochs (unless given), '
        'results in egait_<protocol>_quick.*')
    parser.add_argument(
        '--readme',
        help='also write the table between the markers in this file (e.g. '
        'configs/step/README.md)')
    parser.add_argument(
        '--threads',
        type=int,
        help='torch CPU threads (default: torch decides; 1 is faster on a '
        'machine shared with other jobs)')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='runs trained in parallel, each in its own process with '
        '--threads threads (default 1 process, in this one)')
    parser.add_argument('--keep-checkpoints', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.quick:
        args.folds = args.folds or [0, 1]
        args.seeds = args.seeds or [0]
        args.epochs = args.epochs or 2
    resolve_protocol_args(parser, args)
    check_configs(parser, args.configs)
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    result = run_protocol(**vars(args))  # every option is run_protocol's
    print(protocol_markdown(result))
    return result

if __name__ == '__main__':
    main()
