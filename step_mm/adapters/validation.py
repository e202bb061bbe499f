# Copyright (c) step_mm contributors. All rights reserved.
"""Checks of gait inputs: frame rate, window step, value type, and whether
the joints look like a person walking (:func:`walk_warnings`)."""
import numbers
from typing import List

import numpy as np

__all__ = [
    'check_fps', 'check_stride', 'check_real', 'walk_warnings',
    'MIN_LEG_EXTENSION', 'MIN_FOOT_TRAVEL'
]

#: A walk straightens at least one leg: the median over frames of the
#: straighter leg's hip-to-foot distance over its thigh + shin length is
#: at least this (E-Gait: 0.91 at the lowest of its 342 gaits, 0.94 at the
#: 5th percentile; a deep crouch is about 0.5).
MIN_LEG_EXTENSION = 0.85
#: In a walk the feet pass each other: the left-minus-right foot vector,
#: along its main direction, ranges over at least this many leg lengths
#: (E-Gait: 0.47 at the lowest, 0.90 at the 5th percentile; standing or
#: crouching in place: about 0).
MIN_FOOT_TRAVEL = 0.2

_LEGS = ((10, 11, 12), (13, 14, 15))  # hip, knee, foot of each leg


def check_fps(fps, what: str = 'fps') -> float:
    """A frame rate as a positive finite float.

    Args:
        fps (float): The frame rate.
        what (str): How to name it in the error. Defaults to ``'fps'``.

    Returns:
        float: ``fps``.

    Raises:
        ValueError: If it is not a positive finite real number.
    """
    value = np.asarray(fps)
    if value.ndim != 0:
        raise ValueError(f'{what} is an array of shape {value.shape}, not '
                         'one frame rate: give a positive number of frames '
                         'per second')
    if not (np.issubdtype(value.dtype, np.integer)
            or np.issubdtype(value.dtype, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f'{what} {fps!r} is not a frame rate: give a '
                         'positive number of frames per second')
    return float(value)


def check_stride(stride) -> None:
    """Refuse a window step that is not a positive whole number of frames.

    Args:
        stride (int, optional): The step; None means the default.

    Raises:
        ValueError: If ``stride`` is given and not a positive integer.
    """
    if stride is None:
        return
    if isinstance(stride, bool) or not isinstance(stride, numbers.Integral) \
            or stride < 1:
        raise ValueError(f'stride {stride!r} is not a window step: give a '
                         'positive number of frames, or None for half the '
                         'clip length')


def check_real(arr: np.ndarray, what: str) -> None:
    """Refuse arrays of strings, booleans, objects or complex numbers.

    Args:
        arr (np.ndarray): Joint coordinates.
        what (str): How to name the array in the error (e.g. its file).

    Raises:
        ValueError: Unless ``arr`` holds integers or floats.
    """
    dtype = np.asarray(arr).dtype
    if not (np.issubdtype(dtype, np.integer)
            or np.issubdtype(dtype, np.floating)):
        raise ValueError(f'{what}: {dtype} values; joint coordinates must be '
                         'real numbers (integers or floats)')


def walk_warnings(joints: np.ndarray) -> List[str]:
    """Say why a gait does not look like a person walking, if it does not.

    STEP gives a confident emotion for any input, so a prediction for
    something that is not a walk must come with a warning. Three cheap,
    unit- and orientation-free tests on ``(T, 16, 3)`` E-Gait joints:

    - the joints span some space (an all-zero array does not);
    - at least one leg is nearly straight in most frames (median over frames
      of the straighter leg's hip-foot distance / (thigh + shin) is at least
      :data:`MIN_LEG_EXTENSION`): fails for a crouch or a sitting pose;
    - the feet pass each other (the left-minus-right foot vector, along its
      main direction, ranges over at least :data:`MIN_FOOT_TRAVEL` leg
      lengths): fails for standing or crouching in place.

    None of the 342 E-Gait gaits gets a warning.

    Args:
        joints (np.ndarray): ``(T, 16, 3)`` joints.

    Returns:
        list[str]: Warnings, empty when the gait looks like a walk.
    """
    x = np.asarray(joints, dtype=np.float64)
    spread = np.sqrt(((x - x.mean(1, keepdims=True))**2).sum(-1).mean())
    if not spread > 1e-6 * max(float(np.abs(x).max()), 1e-30):
        return ['all joints are at one point in every frame (e.g. an '
                'all-zero array): this is no skeleton, the emotion is '
                'meaningless']
    out = []
    extension, legs = [], []
    for hip, knee, foot in _LEGS:
        length = (np.linalg.norm(x[:, knee] - x[:, hip], axis=-1) +
                  np.linalg.norm(x[:, foot] - x[:, knee], axis=-1))
        reach = np.linalg.norm(x[:, foot] - x[:, hip], axis=-1)
        extension.append(reach / np.maximum(length, 1e-30))
        legs.append(np.median(length))
    leg = float(np.mean(legs))
    if not leg > 1e-3 * spread:
        return ['the legs have no length (hips, knees and feet at one '
                'point): this is not an E-Gait skeleton']
    straight = float(np.median(np.maximum(*extension)))
    if straight < MIN_LEG_EXTENSION:
        out.append(f'both knees stay bent (the straighter leg reaches '
                   f'{straight:.0%} of its length; walking straightens it to '
                   f'{MIN_LEG_EXTENSION:.0%} or more): a crouch or a seated '
                   'pose, not a walk; the emotion is unreliable')
    feet = x[:, 12] - x[:, 15]
    feet = feet - feet.mean(0)
    axis = np.linalg.svd(feet, full_matrices=False)[2][0]
    travel = float(np.ptp(feet @ axis)) / leg
    if travel < MIN_FOOT_TRAVEL:
        out.append(f'the feet do not pass each other (they move by '
                   f'{travel:.2f} leg lengths; walking needs '
                   f'{MIN_FOOT_TRAVEL:g} or more): standing or moving in '
                   'place, not a walk; the emotion is unreliable')
    return out
