# Copyright (c) step_mm contributors. All rights reserved.
"""Confusion matrices from ``tools/test.py --dump`` pickles.

``--dump`` writes mmengine's ``DumpResults`` pickle: a list with one dict
per test gait, the ``ActionDataSample.to_dict()`` of the prediction, whose
``pred_scores`` and ``gt_labels`` are ``{'item': tensor}`` (mmaction2 1.1.0;
the 1.2 names ``pred_score``/``gt_label`` with plain tensors are read too).
Files are read by :func:`step_mm.evaluation.dumps.load_dump`, which refuses
pickles that would run code.
"""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from step_mm.evaluation.functional import (accuracies, confusion,
                                           dump_arrays, read_dump)

__all__ = ['load_dump', 'confusion_matrix', 'plot_confusion_matrix']


def load_dump(dump: Union[str, List[dict]]) -> Tuple[np.ndarray, np.ndarray]:
    """Read scores and ground-truth labels of a test dump.

    Args:
        dump (str | list[dict]): Path of the ``--dump`` pickle, or its list.

    Returns:
        tuple[np.ndarray, np.ndarray]: Scores ``(N, C)`` and labels ``(N,)``.

    Raises:
        ValueError: Naming the file, for unsafe, cut-short or wrong content.
    """
    _, scores, labels = (read_dump(dump) if isinstance(dump, str) else
                         dump_arrays(dump))
    return scores, labels


def confusion_matrix(gt: np.ndarray, pred: np.ndarray,
                     num_classes: int) -> np.ndarray:
    """Counts ``cm[i, j]`` of gaits of class ``i`` predicted as ``j``
    (:func:`step_mm.evaluation.functional.confusion`)."""
    return confusion(pred, gt, num_classes)


def plot_confusion_matrix(dump: Union[str, List[dict]],
                          out_file: str,
                          class_names: Optional[Sequence[str]] = None,
                          normalize: bool = True,
                          title: Optional[str] = None) -> np.ndarray:
    """Draw the confusion matrix of a test dump to an image file.

    Args:
        dump (str | list[dict]): ``tools/test.py --dump`` pickle or its list.
        out_file (str): Output image (``.png``, ``.pdf``, ...).
        class_names (Sequence[str], optional): Names of classes 0..C-1.
            Defaults to E-Gait's ``('happy', 'angry', 'sad', 'neutral')``
            when C is 4, else the indices.
        normalize (bool): Colour by the fraction of each true class (rows
            sum to 1); cells show the fraction and the count.
            Defaults to True.
        title (str, optional): Defaults to the accuracy summary.

    Returns:
        np.ndarray: The count matrix.
    """
    scores, gt = load_dump(dump)
    C = scores.shape[1]
    if class_names is None:
        from step_mm.datasets import EGAIT_CLASSES
        class_names = EGAIT_CLASSES if C == len(EGAIT_CLASSES) else [
            str(i) for i in range(C)
        ]
    if len(class_names) != C:
        raise ValueError(f'{len(class_names)} class names for {C} classes')
    cm = confusion_matrix(gt, scores.argmax(1), C)
    rows = cm.sum(1, keepdims=True)
    frac = cm / np.maximum(rows, 1)
    top1 = np.trace(cm) / max(cm.sum(), 1)
    mean_class = accuracies(scores, gt)['mean_class']
    fig = Figure(figsize=(1.2 * C + 2.2, 1.1 * C + 1.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    shown = frac if normalize else cm
    im = ax.imshow(shown, cmap='Blues', vmin=0, vmax=1 if normalize else None)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(C), labels=class_names, rotation=30, ha='right')
    ax.set_yticks(range(C), labels=class_names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    for i in range(C):
        for j in range(C):
            dark = shown[i, j] > (0.5 if normalize else cm.max() / 2)
            ax.text(j, i, f'{frac[i, j]:.2f}\n({cm[i, j]})' if normalize else
                    str(cm[i, j]), ha='center', va='center', fontsize=8,
                    color='white' if dark else 'black')
    ax.set_title(title or f'{cm.sum()} gaits: top-1 {top1:.1%}, '
                 f'mean class acc. {mean_class:.1%}', fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file)
    return cm
