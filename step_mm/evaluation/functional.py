# Copyright (c) step_mm contributors. All rights reserved.
"""Accuracy, confusion matrix and score fusion of per-gait class scores.

Built on mmaction2's ``mmaction.evaluation.functional`` so that every
figure outside the runner (test dumps, fused two-stream runs, linear
probes) has the definition of the runner's metrics:

- ``top1`` is ``top_k_accuracy`` (``AccMetric``'s ``acc/top1``);
- ``mean_class`` is ``mean_class_accuracy`` (``acc/mean1``): the mean
  recall over the classes that occur among the labels *or* the
  predictions, a predicted class without a gait counting 0;
- :func:`confusion` counts like ``ConfusionMatrix`` (rows: true class,
  columns: predicted class, ``num_classes`` of each).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.evaluation.functional import (get_weighted_score,
                                            mean_class_accuracy,
                                            top_k_accuracy)

__all__ = [
    'dump_arrays', 'read_dump', 'confusion', 'accuracies', 'fuse_scores',
    'fuse_dumps'
]

Dump = Tuple[List[str], np.ndarray, np.ndarray]


def _item(value, what: str, path: str, index: int) -> np.ndarray:
    """A tensor / ``LabelData`` dict / array field as a numpy array."""
    if isinstance(value, dict):
        if 'item' not in value:
            raise ValueError(f'{path}: gait {index}: {what} has no "item" '
                             f'(keys {sorted(value)})')
        value = value['item']
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def dump_arrays(results: Sequence[dict], path: str = '<results>') -> Dump:
    """Names, scores and labels of the per-gait dicts of a test dump.

    ``tools/test.py --dump`` writes mmengine's ``DumpResults`` list, one
    ``ActionDataSample.to_dict()`` per gait: ``pred_scores``/``gt_labels``
    as ``{'item': tensor}`` in mmaction2 1.1.0 (the later ``pred_score``/
    ``gt_label`` tensors are read too).

    Args:
        results (Sequence[dict]): The loaded dump.
        path (str): The dump's name in error messages.

    Returns:
        tuple[list[str], np.ndarray, np.ndarray]: The gait names
        (``frame_dir``; ``'#i'`` when absent), the scores ``(N, C)``
        (float64) and the labels ``(N,)``.
    """
    if not isinstance(results, (list, tuple)) or not results:
        raise ValueError(f'{path}: expected a non-empty list of per-gait '
                         f'dicts (tools/test.py --dump), got '
                         f'{type(results).__name__}')
    names, scores, labels = [], [], []
    for i, r in enumerate(results):
        if not isinstance(r, dict):
            raise ValueError(f'{path}: gait {i} is a {type(r).__name__}, '
                             'not a dict of data-sample fields')
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


def read_dump(path: str) -> Dump:
    """:func:`dump_arrays` of the dump file ``path``."""
    import os.path as osp
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such dump file')
    from step_mm.evaluation.dumps import load_dump  # no code from the pickle
    return dump_arrays(load_dump(path), path)


def confusion(pred: np.ndarray, labels: np.ndarray,
              num_classes: int) -> np.ndarray:
    """Count matrix ``cm[i, j]``: gaits of class ``i`` predicted as ``j``.

    Args:
        pred (np.ndarray): ``(N,)`` predicted labels.
        labels (np.ndarray): ``(N,)`` true labels.
        num_classes (int): Number of classes (rows and columns).

    Returns:
        np.ndarray: ``(num_classes, num_classes)`` int64.
    """
    from mmaction.evaluation.metrics import ConfusionMatrix
    pred = np.asarray(pred, np.int64).reshape(-1)
    labels = np.asarray(labels, np.int64).reshape(-1)
    if len(pred) != len(labels):
        raise ValueError(f'{len(pred)} predictions for {len(labels)} labels')
    return ConfusionMatrix.calculate(pred, labels,
                                     num_classes).numpy().astype(np.int64)


def accuracies(scores: np.ndarray, labels: np.ndarray) -> Dict[str, object]:
    """Top-1, mean-class accuracy and per-class recall of class scores.

    Args:
        scores (np.ndarray): ``(N, C)`` per-class scores.
        labels (np.ndarray): ``(N,)`` true labels.

    Returns:
        dict: ``top1`` and ``mean_class`` (floats, as the runner's
        ``acc/top1`` / ``acc/mean1``) and ``per_class`` (``(C,)`` recall,
        NaN for a class without gaits).

    Example:
        >>> import numpy as np
        >>> acc = accuracies(np.eye(3)[[0, 1, 1]], np.array([0, 1, 2]))
        >>> round(acc['top1'], 3), round(acc['mean_class'], 3)
        (0.667, 0.667)
    """
    scores = np.asarray(scores, np.float64)
    labels = np.asarray(labels, np.int64).reshape(-1)
    cm = confusion(scores.argmax(1), labels, scores.shape[1])
    support = cm.sum(1)
    with np.errstate(invalid='ignore', divide='ignore'):
        per_class = np.diag(cm) / support
    return dict(
        top1=float(top_k_accuracy(scores, labels, (1, ))[0]),
        mean_class=float(mean_class_accuracy(scores, labels)),
        per_class=per_class)


def fuse_scores(scores: Sequence[np.ndarray],
                weights: Optional[Sequence[float]] = None) -> np.ndarray:
    """Weighted sum of the score arrays of several streams.

    Args:
        scores (Sequence[np.ndarray]): ``(N, C)`` arrays of the same gaits
            in the same order.
        weights (Sequence[float], optional): One per array. Defaults to
            ones.

    Returns:
        np.ndarray: ``(N, C)`` fused scores (mmaction2's
        ``get_weighted_score``).
    """
    weights = [1.0] * len(scores) if weights is None else list(weights)
    if len(weights) != len(scores):
        raise ValueError(f'{len(weights)} weights for {len(scores)} streams')
    fused = get_weighted_score([np.asarray(s, np.float64) for s in scores],
                               weights)
    return np.stack(fused) if isinstance(fused, list) else fused


def fuse_dumps(dumps: Sequence[Union[str, Dump]],
               weights: Optional[Sequence[float]] = None,
               sources: Optional[Sequence[str]] = None) -> Dump:
    """Fuse the test scores of several dumps of the same gaits.

    Gaits are matched by name (``frame_dir``); the result is in the first
    dump's order.

    Args:
        dumps (Sequence[str | tuple]): ``tools/test.py --dump`` pickles, or
            what :func:`read_dump` returned for them (names, ``(N, C)``
            scores, ``(N,)`` labels).
        weights (Sequence[float], optional): One per dump. Defaults to ones.
        sources (Sequence[str], optional): Names of the dumps in error
            messages. Defaults to the paths (or ``'dump i'``).

    Returns:
        tuple[list[str], np.ndarray, np.ndarray]: Names, fused scores and
        labels.
    """
    if len(dumps) < 2:
        raise ValueError('fusion needs at least two dumps')
    weights = [1.0] * len(dumps) if weights is None else list(weights)
    if len(weights) != len(dumps):
        raise ValueError(f'{len(weights)} weights for {len(dumps)} dumps')
    if sources is None:
        sources = [
            d if isinstance(d, str) else f'dump {i}'
            for i, d in enumerate(dumps)
        ]
    loaded = []
    for d in dumps:
        if isinstance(d, str):
            d = read_dump(d)
        loaded.append(d)
    names, first, labels = loaded[0]
    order = {n: i for i, n in enumerate(names)}
    if len(order) != len(names):
        raise ValueError(f'{sources[0]}: gait names are not unique')
    aligned = [np.asarray(first, np.float64)]
    for src, (other_names, scores, other_labels) in zip(
            sources[1:], loaded[1:]):
        if sorted(other_names) != sorted(names):
            raise ValueError(f'{src} and {sources[0]} hold different gaits')
        scores = np.asarray(scores, np.float64)
        if scores.shape[1] != aligned[0].shape[1]:
            raise ValueError(f'{src}: {scores.shape[1]} classes, '
                             f'{sources[0]}: {aligned[0].shape[1]}')
        idx = np.array([order[n] for n in other_names])
        if (np.asarray(labels)[idx] != np.asarray(other_labels)).any():
            raise ValueError(f'{src} and {sources[0]} disagree on labels')
        back = np.empty_like(scores)
        back[idx] = scores
        aligned.append(back)
    return list(names), fuse_scores(aligned, weights), np.asarray(labels)
