# Copyright (c) step_mm contributors. All rights reserved.
"""Confusion matrix and per-class accuracy of a ``tools/test.py --dump``.

Example::

    python tools/test.py CONFIG CKPT --dump work_dirs/step.pkl
    python tools/analysis_tools/confusion_matrix.py work_dirs/step.pkl \
        --out work_dirs/step_cm.png

The dump is what mmengine's ``DumpResults`` writes: a list with one dict
of data-sample fields per gait (``gt_labels``/``pred_scores`` as
``{'item': tensor}`` in mmaction2 1.1.0; ``gt_label``/``pred_score``
tensors in later versions are read too). It is read with
``step_mm.evaluation.dumps.load_dump``, which refuses any pickle that would
run code; errors are one line naming the file (exit status 2).
"""
import argparse
import os.path as osp
from typing import List, Tuple

import numpy as np

from mmengine.logging import print_log

from step_mm.evaluation.functional import confusion, read_dump
from step_mm.evaluation.report import class_names as _classes
from step_mm.evaluation.report import format_report, save_report  # noqa
from step_mm.utils.errors import fail

__all__ = ['load_dump', 'format_report', 'save_report', 'main']


def load_dump(path: str) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """Read a prediction dump (:func:`step_mm.evaluation.functional.
    read_dump`): the gait names, the scores ``(N, C)`` and the labels."""
    return read_dump(path)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dump', help='.pkl from tools/test.py --dump')
    parser.add_argument(
        '--classes',
        nargs='+',
        help='class names of labels 0..C-1 (default: happy angry sad '
        'neutral)')
    parser.add_argument('--out', help='save the matrix as this image (PNG)')
    return parser.parse_args(argv)


def main(argv=None) -> np.ndarray:
    args = parse_args(argv)
    try:
        _, scores, labels = load_dump(args.dump)
        classes = _classes(args.classes, scores.shape[1])
    except (ValueError, FileNotFoundError) as e:
        fail('confusion_matrix.py', e)
    cm = confusion(scores.argmax(1), labels, len(classes))
    print(format_report(scores, labels, classes))
    if args.out:
        from step_mm.visualization import plot_confusion_matrix
        plot_confusion_matrix(args.dump, args.out, classes,
                              title=osp.basename(args.dump))
        print_log(f'saved {args.out}', logger='current')
    return cm


if __name__ == '__main__':
    main()
