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
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np

DEFAULT_CLASSES = ('happy', 'angry', 'sad', 'neutral')


def _item(value, what: str, path: str, index: int) -> np.ndarray:
    """A tensor / LabelData dict / array field as a numpy array."""
    if isinstance(value, dict):
        if 'item' not in value:
            raise ValueError(f'{path}: gait {index}: {what} has no "item" '
                             f'(keys {sorted(value)})')
        value = value['item']
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def load_dump(path: str) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """Read a prediction dump (without running code from the pickle).

    Args:
        path (str): A ``.pkl`` written by ``tools/test.py --dump``.

    Returns:
        tuple[list[str], np.ndarray, np.ndarray]: The gait names
        (``frame_dir``; ``'#i'`` when absent), the scores ``(N, C)`` and the
        labels ``(N,)``.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: Naming the file, for unsafe, cut-short or wrong content.
    """
    from step_mm.evaluation.dumps import load_dump as read_dump
    results = read_dump(path)
    names, scores, labels = [], [], []
    for i, r in enumerate(results):
        score = r.get('pred_scores', r.get('pred_score'))
        label = r.get('gt_labels', r.get('gt_label'))
        if score is None or label is None:
            raise ValueError(f'{path}: gait {i} lacks pred_scores/gt_labels '
                             f'(keys {sorted(r)})')
        names.append(str(r.get('frame_dir', f'#{i}')))
        scores.append(_item(score, 'pred_scores', path, i).reshape(-1))
        labels.append(int(_item(label, 'gt_labels', path, i).reshape(-1)[0]))
    if len({s.shape for s in scores}) != 1:
        raise ValueError(f'{path}: gaits have different numbers of scores')
    return names, np.stack(scores).astype(np.float64), np.array(labels)


def confusion(pred: np.ndarray, labels: np.ndarray,
              num_classes: int) -> np.ndarray:
    """Count matrix, rows = true class, columns = predicted class."""
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (labels, pred), 1)
    return cm


def accuracies(cm: np.ndarray) -> Tuple[float, np.ndarray, float]:
    """Top-1, per-class recall (NaN for absent classes) and their mean."""
    support = cm.sum(1)
    with np.errstate(invalid='ignore', divide='ignore'):
        per_class = np.diag(cm) / support
    top1 = float(np.trace(cm) / max(cm.sum(), 1))
    return top1, per_class, float(np.nanmean(per_class))


def format_report(cm: np.ndarray, classes: Sequence[str]) -> str:
    """The matrix and the accuracies as plain text."""
    top1, per_class, mean_class = accuracies(cm)
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
        f.write(format_report(cm, classes) + '\n')
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


def fail(tool: str, error: Exception) -> None:
    """Print a user mistake as one line and exit with status 2."""
    print(f'{tool}: {error}', file=sys.stderr)
    raise SystemExit(2)


def main(argv=None) -> np.ndarray:
    args = parse_args(argv)
    try:
        _, scores, labels = load_dump(args.dump)
        classes = _classes(args.classes, scores.shape[1])
    except (ValueError, FileNotFoundError) as e:
        fail('confusion_matrix.py', e)
    cm = confusion(scores.argmax(1), labels, len(classes))
    print(format_report(cm, classes))
    if args.out:
        plot(cm, classes, args.out, title=osp.basename(args.dump))
        print(f'saved {args.out}')
    return cm


if __name__ == '__main__':
    main()
