# Copyright (c) step_mm contributors. All rights reserved.
"""Perturbations of test gaits that mimic poses estimated from video.

Each perturbation maps one gait ``(T, 16, 3)`` recorded at ``fps`` to a
perturbed gait and the frame rate it is to be read at; the random ones draw
from a generator seeded per (perturbation, gait), so every model of a
benchmark sees exactly the same perturbed gaits. Used by
``benchmarks/egait_robustness.py``; the geometry is
:mod:`step_mm.skeleton.perturb`.
"""
import zlib
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

from step_mm.skeleton.perturb import (add_jitter, body_height, drop_frames,
                                      occlude_joints, resample_time,
                                      scale_bones)

__all__ = ['PERTURBATIONS', 'perturb_gait', 'perturb_gaits']

Perturbation = Callable[[np.ndarray, float, np.random.Generator],
                        Tuple[np.ndarray, float]]


def _jitter(fraction: float) -> Perturbation:

    def apply(joints, fps, rng):
        return add_jitter(joints, fraction * body_height(joints), rng), fps

    return apply


def _frame_rate(target: float) -> Perturbation:

    def apply(joints, fps, rng):
        return resample_time(joints, fps, target), target

    return apply


#: Name -> perturbation ``(joints, fps, rng) -> (joints, fps)``.
PERTURBATIONS: Dict[str, Perturbation] = {
    'clean': lambda joints, fps, rng: (np.asarray(joints, np.float32), fps),
    **{
        f'jitter_{p:g}%': _jitter(p / 100)
        for p in (0.5, 1, 2, 3)
    },
    **{f'fps_{f}': _frame_rate(float(f))
       for f in (10, 15, 24, 60)},
    'drop_10%': lambda joints, fps, rng: (drop_frames(joints, 0.1, rng), fps),
    'occlude_2x20%':
    lambda joints, fps, rng: (occlude_joints(joints, 2, 0.2, rng), fps),
    'bones_5%': lambda joints, fps, rng: (scale_bones(joints, 0.05, rng), fps),
}


def perturb_gait(joints: np.ndarray, fps: float, name: str,
                 key: str) -> Tuple[np.ndarray, float]:
    """Apply perturbation ``name`` to one gait, seeded by ``(name, key)``.

    Args:
        joints (np.ndarray): ``(T, 16, 3)``.
        fps (float): Frame rate of the gait.
        name (str): A key of :data:`PERTURBATIONS`.
        key (str): The gait's key; with ``name`` it seeds the generator.

    Returns:
        tuple[np.ndarray, float]: The perturbed joints and their frame rate.
    """
    if name not in PERTURBATIONS:
        raise KeyError(f'unknown perturbation {name!r}; known: '
                       f'{", ".join(PERTURBATIONS)}')
    rng = np.random.default_rng(zlib.crc32(f'{name}/{key}'.encode()))
    return PERTURBATIONS[name](joints, fps, rng)


def perturb_gaits(gaits: Sequence[np.ndarray], fps: float, name: str,
                  keys: Sequence[str]
                  ) -> Tuple[List[np.ndarray], List[float]]:
    """:func:`perturb_gait` over a list of gaits.

    Returns:
        tuple[list[np.ndarray], list[float]]: Perturbed gaits and their
        frame rates.
    """
    out = [perturb_gait(g, fps, name, k) for g, k in zip(gaits, keys)]
    return [g for g, _ in out], [f for _, f in out]
