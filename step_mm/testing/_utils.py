# Copyright (c) step_mm contributors. All rights reserved.
"""Tiny generated gaits in the official E-Gait layout, for tests and
benchmarks. Nothing here derives from the E-Gait data."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from step_mm.skeleton import REFERENCE_POSE


def make_fake_gait(T: int,
                   label: int = 0,
                   rng: Optional[np.random.Generator] = None,
                   fps: float = 30.) -> np.ndarray:
    """A synthetic walking-like gait, root-centred, Y up.

    Limbs swing sinusoidally; the label changes the cadence, the swing
    amplitude and the head/torso lean, so classes are learnable.

    Args:
        T (int): Number of frames.
        label (int): Class 0..3. Defaults to 0.
        rng (np.random.Generator, optional): Randomness source.
        fps (float): Frame rate. Defaults to 30.

    Returns:
        np.ndarray: ``(T, 16, 3)`` float64.
    """
    rng = rng or np.random.default_rng(0)
    freq = (1.0, 1.3, 0.7, 0.9)[label % 4] * rng.uniform(0.9, 1.1)
    amp = (0.25, 0.35, 0.12, 0.2)[label % 4] * rng.uniform(0.9, 1.1)
    lean = (0.0, 0.05, 0.15, 0.02)[label % 4]
    t = np.arange(T) / fps
    phase = 2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi)
    g = np.repeat(REFERENCE_POSE[None].astype(np.float64), T, 0)
    swing = amp * np.sin(phase)
    # legs: knees and feet swing forward/back in antiphase
    for knee, foot, sgn in ((11, 12, 1.), (14, 15, -1.)):
        g[:, knee, 2] += sgn * swing * 0.5
        g[:, foot, 2] += sgn * swing
        g[:, foot, 1] += 0.05 * np.maximum(0, sgn * np.cos(phase))
    # arms swing opposite to the legs
    for elbow, hand, sgn in ((5, 6, -1.), (8, 9, 1.)):
        g[:, elbow, 2] += sgn * swing * 0.4
        g[:, hand, 2] += sgn * swing * 0.8
    g[:, [1, 2, 3, 4, 7], 2] += lean * np.array([0.3, 0.7, 1.0, 0.7, 0.7])
    g += rng.normal(0, 0.005, g.shape)
    g -= g[:, :1]
    # a random heading, as captures come in any orientation
    th = rng.uniform(-np.pi, np.pi)
    rot = np.array([[np.cos(th), 0, np.sin(th)], [0, 1, 0],
                    [-np.sin(th), 0, np.cos(th)]])
    return g @ rot.T


def write_fake_egait(root: str,
                     num_actors: int = 10,
                     per_actor: int = 4,
                     lengths: Sequence[int] = (18, 75),
                     with_affective: bool = True,
                     seed: int = 0) -> str:
    """Write a tiny data set in the official E-Gait layout.

    Keys follow E-Gait's naming (``NNN_<Emotion>_positions.csv``, actor =
    prefix), labels cycle over 0..3 within each actor.

    Args:
        root (str): Output folder.
        num_actors (int): Defaults to 10.
        per_actor (int): Gaits per actor. Defaults to 4.
        lengths (Sequence[int]): Min and max length. Defaults to (18, 75).
        with_affective (bool): Also write ``affectiveFeatures.h5``
            (random stand-ins in [-1, 1]). Defaults to True.
        seed (int): Defaults to 0.

    Returns:
        str: ``root``.
    """
    from step_mm.datasets.egait_io import write_gait_h5
    rng = np.random.default_rng(seed)
    names = ('Happy', 'Angry', 'Sad', 'Neutral')
    feats, labels, aff = {}, {}, {}
    for a in range(num_actors):
        for i in range(per_actor):
            label = (a + i) % 4
            key = f'{a + 1:03d}_{names[i % 4]}{i // 4 or ""}_positions.csv'
            T = int(rng.integers(lengths[0], lengths[1] + 1))
            feats[key] = make_fake_gait(T, label, rng)
            labels[key] = np.int32(label)
            aff[key] = rng.uniform(-1, 1, 29)
    write_gait_h5(osp.join(root, 'features.h5'), feats)
    write_gait_h5(osp.join(root, 'labels.h5'), labels)
    if with_affective:
        write_gait_h5(osp.join(root, 'affectiveFeatures.h5'), aff)
    return root
