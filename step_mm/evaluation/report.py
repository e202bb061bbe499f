# Copyright (c) step_mm contributors. All rights reserved.
"""Text and file reports of a test dump: confusion matrix, accuracies,
per-gait predictions (``tools/test.py --show-dir``,
``tools/analysis_tools/confusion_matrix.py``, ``fuse_scores.py``)."""
import os
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np

from step_mm.datasets.egait_dataset import EGAIT_CLASSES
from .functional import accuracies, confusion, read_dump

__all__ = ['class_names', 'format_report', 'save_report']


def class_names(classes: Optional[Sequence[str]],
             num_classes: int) -> Tuple[str, ...]:
    """The names of labels ``0..num_classes-1``: ``classes``, or E-Gait's
    four emotions for four classes, else the indices."""
    if classes is None:
        classes = EGAIT_CLASSES if num_classes == len(EGAIT_CLASSES) else [
            str(i) for i in range(num_classes)
        ]
    if len(classes) != num_classes:
        raise ValueError(f'{len(classes)} class names for {num_classes} '
                         'scores per gait')
    return tuple(classes)


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


def save_report(dump: str,
                out_dir: str,
                classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """Write ``confusion_matrix.png/.txt`` and ``predictions.csv``.

    Returns:
        np.ndarray: The count matrix.
    """
    from step_mm.utils.io import write_text
    from step_mm.visualization import plot_confusion_matrix
    names, scores, labels = read_dump(dump)
    classes = class_names(classes, scores.shape[1])
    pred = scores.argmax(1)
    os.makedirs(out_dir, exist_ok=True)
    cm = plot_confusion_matrix(dump, osp.join(out_dir, 'confusion_matrix.png'),
                               classes)
    write_text(
        osp.join(out_dir, 'confusion_matrix.txt'),
        format_report(scores, labels, classes) + '\n')
    rows = ['gait,label,pred,' + ','.join(classes)]
    for n, y, p, s in zip(names, labels, pred, scores):
        rows.append(f'{n},{classes[y]},{classes[p]},' +
                    ','.join(f'{v:.4f}' for v in s))
    write_text(osp.join(out_dir, 'predictions.csv'), '\n'.join(rows) + '\n')
    return cm
