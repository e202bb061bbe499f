# Copyright (c) step_mm contributors. All rights reserved.
"""Fuse the test scores of several streams (e.g. joint + bone).

Example::

    python tools/analysis_tools/fuse_scores.py joint.pkl bone.pkl \
        --weights 1 1

Every dump (``tools/test.py --dump``) must hold the same gaits with the
same labels; they are matched by name (``frame_dir``). The weighted sum of
the per-class probabilities is the fused score. Dumps are read without
running code from the pickle (``step_mm.evaluation.dumps.load_dump``);
errors are one line naming the file (exit status 2).
"""
import argparse
from typing import List, Optional, Sequence, Tuple

import numpy as np

from step_mm.evaluation.functional import accuracies
from step_mm.evaluation.functional import fuse_dumps as _fuse
from step_mm.evaluation.functional import read_dump as load_dump
from step_mm.evaluation.report import class_names as _classes
from step_mm.evaluation.report import format_report
from step_mm.utils.errors import fail


def fuse_dumps(
    dumps: Sequence[str],
    weights: Optional[Sequence[float]] = None
) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """Weighted sum of the scores of several dumps of the same gaits.

    Args:
        dumps (Sequence[str]): ``.pkl`` files from ``tools/test.py --dump``.
        weights (Sequence[float], optional): One per dump. Defaults to ones.

    Returns:
        tuple[list[str], np.ndarray, np.ndarray]: Names, fused scores
        ``(N, C)`` and labels ``(N,)``, in the first dump's order.
    """
    if len(dumps) < 2:
        raise ValueError('fusion needs at least two dumps')
    return _fuse([load_dump(p) for p in dumps], weights, sources=dumps)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dumps', nargs='+', help='two or more .pkl dumps')
    parser.add_argument(
        '--weights', nargs='+', type=float, help='one weight per dump')
    parser.add_argument('--classes', nargs='+', help='class names')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    try:
        _, scores, labels = fuse_dumps(args.dumps, args.weights)
        classes = _classes(args.classes, scores.shape[1])
    except (ValueError, FileNotFoundError) as e:
        fail('fuse_scores.py', e)
    acc = accuracies(scores, labels)
    top1, mean_class = acc['top1'], acc['mean_class']
    for path in args.dumps:
        _, s, y = load_dump(path)
        a = accuracies(s, y)
        print(f"{path}: top-1 {a['top1']:.4f}  mean-class "
              f"{a['mean_class']:.4f}")
    print(format_report(scores, labels, classes))
    print(f'fused top-1 {top1:.4f}  mean-class {mean_class:.4f}')
    return dict(top1=top1, mean_class=mean_class)


if __name__ == '__main__':
    main()
