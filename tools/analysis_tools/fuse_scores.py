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
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from confusion_matrix import (  # noqa: E402
    _classes,
    accuracies,
    confusion,
    fail,
    format_report,
    load_dump)


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
    weights = [1.0] * len(dumps) if weights is None else list(weights)
    if len(weights) != len(dumps):
        raise ValueError(f'{len(weights)} weights for {len(dumps)} dumps')
    names, fused, labels = load_dump(dumps[0])
    fused = fused * weights[0]
    order = {n: i for i, n in enumerate(names)}
    if len(order) != len(names):
        raise ValueError(f'{dumps[0]}: gait names are not unique')
    for path, w in zip(dumps[1:], weights[1:]):
        other_names, scores, other_labels = load_dump(path)
        if sorted(other_names) != sorted(names):
            raise ValueError(f'{path} and {dumps[0]} hold different gaits')
        idx = np.array([order[n] for n in other_names])
        if scores.shape[1] != fused.shape[1]:
            raise ValueError(f'{path}: {scores.shape[1]} classes, '
                             f'{dumps[0]}: {fused.shape[1]}')
        if (labels[idx] != other_labels).any():
            raise ValueError(f'{path} and {dumps[0]} disagree on labels')
        fused[idx] += w * scores
    return names, fused, labels


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
    cm = confusion(scores.argmax(1), labels, len(classes))
    top1, _, mean_class = accuracies(cm)
    for path in args.dumps:
        _, s, y = load_dump(path)
        t, _, m = accuracies(confusion(s.argmax(1), y, len(classes)))
        print(f'{path}: top-1 {t:.4f}  mean-class {m:.4f}')
    print(format_report(cm, classes))
    print(f'fused top-1 {top1:.4f}  mean-class {mean_class:.4f}')
    return dict(top1=top1, mean_class=mean_class)


if __name__ == '__main__':
    main()
