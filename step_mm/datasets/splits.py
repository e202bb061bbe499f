# Copyright (c) step_mm contributors. All rights reserved.
"""Deterministic evaluation splits for gait datasets.

Two protocols, both stratified by label:

* ``random``: stratified k-fold over gaits (literature-comparable).
* ``subject``: stratified *group* k-fold where the group is the actor, so
  no actor appears in two subsets (subject-independent).

The actor is the key's prefix before its first underscore:
``001_Angry...`` -> ``001``, ``vas_walk_an_1_fin...`` -> ``vas``,
``02_01...`` -> ``02``, ``S11_1...`` -> ``S11``.
"""
from typing import Dict, List, Sequence

import numpy as np

__all__ = ['actor_of', 'stratified_group_kfold', 'make_split']


def actor_of(key: str) -> str:
    """The actor (subject) of a gait key: its prefix before the first ``_``.

    Args:
        key (str): The gait key.

    Returns:
        str: The actor id.
    """
    return key.split('_', 1)[0]


def stratified_group_kfold(labels: np.ndarray, groups: np.ndarray,
                           n_splits: int, seed: int) -> np.ndarray:
    """Assign every sample to one of ``n_splits`` folds.

    Groups never straddle folds; each fold's class distribution is kept as
    close as possible to the overall one. Greedy: groups are visited largest
    first (ties in a seeded random order) and each goes to the fold where
    it least worsens the spread of per-class fractions, preferring the
    smaller fold. With one sample per group this is a stratified k-fold.

    Args:
        labels (np.ndarray): ``(N,)`` integer labels.
        groups (np.ndarray): ``(N,)`` group ids.
        n_splits (int): Number of folds.
        seed (int): Seed of the tie-breaking order.

    Returns:
        np.ndarray: ``(N,)`` fold index of each sample.
    """
    labels = np.asarray(labels)
    uniq, g_idx = np.unique(np.asarray(groups), return_inverse=True)
    if n_splits < 2 or n_splits > len(uniq):
        raise ValueError(f'cannot make {n_splits} folds from {len(uniq)} '
                         'groups: need 2 <= num_folds <= number of groups')
    classes, y = np.unique(labels, return_inverse=True)
    counts = np.zeros((len(uniq), len(classes)))
    np.add.at(counts, (g_idx, y), 1)
    total = counts.sum(0)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    order = order[np.argsort(-counts[order].sum(1), kind='stable')]
    fold_counts = np.zeros((n_splits, len(classes)))
    group_fold = np.empty(len(uniq), dtype=np.int64)
    for g in order:
        trial = fold_counts[None] + np.eye(n_splits)[:, :, None] * counts[g]
        spread = (trial / total).std(1).sum(1)  # (n_splits,)
        size = fold_counts.sum(1)
        best = np.lexsort((size, np.round(spread, 12)))[0]
        group_fold[g] = best
        fold_counts[best] += counts[g]
    return group_fold[g_idx]


def make_split(keys: Sequence[str], labels: Sequence[int], protocol: str,
               num_folds: int, fold: int, seed: int,
               val_ratio: float) -> Dict[str, List[int]]:
    """Indices of the train/val/test subsets of one fold.

    The test subset is fold ``fold`` of a k-fold; ``val`` is a stratified
    (for ``subject``: actor-disjoint) part of the remaining folds, about
    ``val_ratio`` of them, for model selection; ``train`` is the rest.
    ``protocol='all'`` puts every gait in every subset.

    Args:
        keys (Sequence[str]): Gait keys.
        labels (Sequence[int]): Labels.
        protocol (str): ``'all'``, ``'random'`` or ``'subject'``.
        num_folds (int): Number of folds.
        fold (int): Test fold index in ``[0, num_folds)``.
        seed (int): Split seed.
        val_ratio (float): Fraction of the training folds used as ``val``;
            0 leaves ``val`` empty.

    Returns:
        dict[str, list[int]]: ``train``, ``val`` and ``test`` indices.
    """
    n = len(keys)
    if protocol == 'all':
        every = list(range(n))
        return dict(train=every, val=every, test=every)
    if protocol not in ('random', 'subject'):
        raise ValueError(f"protocol must be 'all', 'random' or 'subject', "
                         f'got {protocol!r}')
    if not 0 <= fold < num_folds:
        raise ValueError(f'fold must be in [0, {num_folds}), got {fold}')
    labels = np.asarray(labels)
    if protocol == 'subject':
        groups = np.array([actor_of(k) for k in keys])
    else:
        groups = np.arange(n)
    folds = stratified_group_kfold(labels, groups, num_folds, seed)
    test = np.flatnonzero(folds == fold)
    rest = np.flatnonzero(folds != fold)
    val = np.array([], dtype=np.int64)
    if val_ratio > 0:
        inner = max(2, int(round(1.0 / val_ratio)))
        inner = min(inner, len(np.unique(groups[rest])))
        inner_folds = stratified_group_kfold(labels[rest], groups[rest],
                                             inner, seed + 1)
        val = rest[inner_folds == 0]
        rest = rest[inner_folds != 0]
    return dict(train=rest.tolist(), val=val.tolist(), test=test.tolist())
