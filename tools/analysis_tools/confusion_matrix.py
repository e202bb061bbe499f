# Copyright (c) step_mm contributors. All rights reserved.
"""Confusion matrix and per-class accuracy of a ``tools/test.py --dump``.

Example::

    python tools/test.py CONFIG CKPT --dump work_dirs/step.pkl
    python tools/analysis_tools/confusion_matrix.py work_dirs/step.pkl \
        --out work_dirs/step_cm.png

The dump is what mmengine's ``DumpResults`` writes: a list with one dict
of data-sample fields per gait (``gt_labels``/``pred_scores`` as
``{'item': tensor}`` in mmaction2 1.1.0; ``gt_label``/``pred_score``
tensors in later versions are read too).
"""
import argparse
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

from step_mm.evaluation.functional import (accuracies, confusion,
                                           read_dump)

DEFAULT_CLASSES = ('happy', 'angry', 'sad', 'neutral')


def load_dump(path: str) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """Read a prediction dump (:func:`step_mm.evaluation.functional.
    read_dump`): the gait names, the scores ``(N, C)`` and the labels."""
    return read_dump(path)


def format_report(scores: np.ndarray, labels: np.ndarray,
                  classes: Sequence[str]) -> str:
    """The confusion matrix and the accuracies as plain text.

    Top-1 and mean-class accuracy have the definitions of the runner's
    ``acc/top1`` and ``acc/mean1`` (:mod:`step_mm.evaluation.functional`).
    """
    cm = confusion(scores.argmax(1), labels, len(classes))
    acc = accuracies(scores, labels)
    top1, per_class, mean_class = (acc['top1'], acc['per_class'],
                                   acc['mean_class'])
    width = max(8, *(len(c) + 1 for c in classes))
    first = max(12, *(len(c) + 1 for c in classes))
    lines = [
        'true \\ pred'.ljust(first) +
        ''.join(c.rjust(width) for c in classes) + 'acc'.rjust(width)
    ]
    for c, row, acc in zip(classes, cm, per_class):
        lines.append(
            c.ljust(first) + ''.join(str(v).rjust(width)
                                     for v in row) + f'{acc:.3f}'.rjust(width))
    lines.append(f'top-1 {top1:.4f}  mean-class {mean_class:.4f}  '
                 f'({int(cm.sum())} gaits)')
    return '\n'.join(lines)


def plot(cm: np.ndarray,
         classes: Sequence[str],
         out_file: str,
         title: str = '') -> None:
    """Save a row-normalised confusion matrix as an image."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    with np.errstate(invalid='ignore', divide='ignore'):
        norm = np.nan_to_num(cm / cm.sum(1, keepdims=True))
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.imshow(norm, cmap='Blues', vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=30)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    for (i, j), v in np.ndenumerate(cm):
        ax.text(
            j,
            i,
            f'{v}\n{norm[i, j]:.2f}',
            ha='center',
            va='center',
            color='white' if norm[i, j] > 0.5 else 'black',
            fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=120)
    plt.close(fig)


def save_report(dump: str,
                out_dir: str,
                classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """Write ``confusion_matrix.png/.txt`` and ``predictions.csv``."""
    names, scores, labels = load_dump(dump)
    classes = _classes(classes, scores.shape[1])
    pred = scores.argmax(1)
    cm = confusion(pred, labels, len(classes))
    os.makedirs(out_dir, exist_ok=True)
    plot(cm, classes, osp.join(out_dir, 'confusion_matrix.png'))
    with open(osp.join(out_dir, 'confusion_matrix.txt'), 'w') as f:
        f.write(format_report(scores, labels, classes) + '\n')
    with open(osp.join(out_dir, 'predictions.csv'), 'w') as f:
        f.write('gait,label,pred,' + ','.join(classes) + '\n')
        for n, y, p, s in zip(names, labels, pred, scores):
            f.write(f'{n},{classes[y]},{classes[p]},' +
                    ','.join(f'{v:.4f}' for v in s) + '\n')
    return cm


def _classes(classes: Optional[Sequence[str]],
             num_classes: int) -> Tuple[str, ...]:
    if classes is None:
        classes = DEFAULT_CLASSES if num_classes == len(DEFAULT_CLASSES) else [
            str(i) for i in range(num_classes)
        ]
    if len(classes) != num_classes:
        raise ValueError(f'{len(classes)} class names for {num_classes} '
                         'scores per gait')
    return tuple(classes)


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
    _, scores, labels = load_dump(args.dump)
    classes = _classes(args.classes, scores.shape[1])
    cm = confusion(scores.argmax(1), labels, len(classes))
    print(format_report(scores, labels, classes))
    if args.out:
        plot(cm, classes, args.out, title=osp.basename(args.dump))
        print(f'saved {args.out}')
    return cm


if __name__ == '__main__':
    main()
