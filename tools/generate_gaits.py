# Copyright (c) step_mm contributors. All rights reserved.
"""Generate labelled gaits with a trained STEP-Gen model.

Writes ``DIR/features<suffix>.h5`` (keys ``NNNNN_<Emotion>``, values
``(T, 48)``, the official E-Gait layout) and ``DIR/labels<suffix>.h5``,
loadable by ``EGaitDataset(data_root=DIR, features_file=...,
labels_file=None)`` (labels from the keys) or with the labels file::

    python tools/generate_gaits.py CONFIG CKPT --num-per-class 1000 \
        --out work_dirs/gen [--prior normal|reference|fitted] [--seed 0]

Existing files are never replaced without ``--overwrite`` (the default
suffix gives the official names, so ``--out`` at a copy of E-Gait would
replace its real gaits); both files are written to temporary names in
``DIR`` and renamed only once both are complete.
"""
import argparse
import time

from mmengine.logging import print_log

import step_mm  # noqa: F401
from step_mm.apis.generation import (check_outputs, generate_gait_files,
                                     load_generator, output_paths,
                                     write_generated_gaits)

__all__ = [
    'load_generator', 'generate_gait_files', 'write_generated_gaits',
    'output_paths', 'check_outputs', 'main'
]


def parse_args():
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Generate labelled gaits with a trained STEP-Gen model')
    parser.add_argument('config', help='STEP-Gen config file')
    parser.add_argument('checkpoint', help='STEP-Gen checkpoint')
    parser.add_argument(
        '--num-per-class', type=int, required=True,
        help='gaits generated for each emotion')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--prior', choices=('normal', 'reference', 'fitted'), default=None,
        help="latent prior: 'normal' = N(0, I) (the training prior), "
        "'reference' = N(-1.5, 3^2) as the STEP reference code samples, "
        "'fitted' = per-emotion Gaussians fitted to the training gaits' "
        "codes (FitLatentPriorHook); default: the config's "
        'model.default_prior')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--batch-size', type=int, default=512, help='gaits per forward')
    parser.add_argument(
        '--suffix', default='',
        help='file name suffix: features<suffix>.h5, labels<suffix>.h5')
    parser.add_argument(
        '--num-frames', type=int, default=None,
        help='length of the generated gaits (default: the model\'s)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='replace existing features<suffix>.h5 / labels<suffix>.h5 in '
        '--out (refused by default)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value (mmengine syntax)')
    return parser.parse_args()


def main():
    args = parse_args()
    from mmengine.config import Config
    try:  # before the model is built: refuse at once, not minutes later
        check_outputs(args.out, args.suffix, args.overwrite)
    except FileExistsError as e:
        raise SystemExit(f'tools/generate_gaits.py: {e}') from None
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    t0 = time.time()
    model, class_names = load_generator(cfg, args.checkpoint, args.device)
    prior = args.prior or getattr(model, 'default_prior', 'normal')
    if prior == 'fitted':
        missing = (~model.prior_fitted).nonzero().flatten().tolist()
        if missing:
            raise SystemExit(
                f'tools/generate_gaits.py: {args.checkpoint}: no fitted latent '
                f'prior for class(es) {missing} (it is fitted in training by '
                'FitLatentPriorHook); pass --prior normal, or retrain with '
                'the config')
    try:
        feat_path, label_path = generate_gait_files(
            model, args.out, args.num_per_class, class_names, prior,
            args.seed, args.batch_size, args.suffix, args.num_frames,
            args.overwrite)
    except FileExistsError as e:
        raise SystemExit(f'tools/generate_gaits.py: {e}') from None
    n = args.num_per_class * len(class_names)
    print_log(
        f'wrote {n} gaits ({args.num_per_class} per class of '
        f'{", ".join(class_names)}) to {feat_path} and {label_path} in '
        f'{time.time() - t0:.1f} s',
        logger='current')


if __name__ == '__main__':
    main()
