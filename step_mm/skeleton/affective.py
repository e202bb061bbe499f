# Copyright (c) step_mm contributors. All rights reserved.
"""The 29 gait-level affective features of STEP, vectorised in torch.

One implementation serves the numpy data transform (through
``torch.from_numpy``) and the differentiable push-pull loss of STEP-Gen.

Features, in order (E-Gait joint indices in brackets):

Posture (12), each the mean over frames:
    0 volume of the axis-aligned bounding box of all joints
    1 angle at the neck between the shoulders (4-2-7)
    2 angle at the right shoulder between neck and left shoulder (2-7-4)
    3 angle at the left shoulder between neck and right shoulder (2-4-7)
    4 angle at the neck between the vertical and the back (up, 2->0)
    5 angle at the neck between head and back (3-2-1)
    6 distance right hand - root (9-0)
    7 distance left hand - root (6-0)
    8 distance right foot - root (15-0)
    9 distance left foot - root (12-0)
    10 area of the triangle hands - neck (6-2-9)
    11 area of the triangle feet - root (12-0-15)
Movement (15), the mean magnitude over frames of the finite differences:
    12-16 speed of right hand, left hand, head, right foot, left foot
    17-21 acceleration of the same joints
    22-26 jerk of the same joints
Stride (2):
    27 stride length: the largest distance between the feet
    28 gait cycle time in seconds: twice the mean interval between
       successive maxima of the feet distance (one maximum per step)

Speeds use ``dt = 1 / fps``. Positions are used as given (metres in E-Gait).
"""
from typing import Union

import numpy as np
import torch

NUM_AFFECTIVE_FEATURES = 29

AFFECTIVE_FEATURE_NAMES = (
    'volume', 'angle_shoulders_at_neck', 'angle_at_right_shoulder',
    'angle_at_left_shoulder', 'angle_vertical_back_at_neck',
    'angle_head_back_at_neck', 'dist_right_hand_root', 'dist_left_hand_root',
    'dist_right_foot_root', 'dist_left_foot_root', 'area_hands_neck',
    'area_feet_root') + tuple(
        f'{q}_{j}' for q in ('speed', 'acceleration', 'jerk')
        for j in ('right_hand', 'left_hand', 'head', 'right_foot',
                  'left_foot')) + ('stride_length', 'cycle_time')

_MOVING_JOINTS = (9, 6, 3, 15, 12)
_EPS = 1e-8


def _angle(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Angle at ``b`` between ``a - b`` and ``c - b`` in radians."""
    return _angle_vec(a - b, c - b)


def _angle_vec(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Angle between two vectors along the last axis, stable at 0 and pi."""
    cross = torch.linalg.cross(u, v, dim=-1).norm(dim=-1)
    dot = (u * v).sum(-1)
    return torch.atan2(cross, dot)


def _norm(x: torch.Tensor) -> torch.Tensor:
    """Euclidean norm along the last axis with a finite gradient at zero."""
    return torch.sqrt((x * x).sum(-1) + _EPS)


def _area(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Area of the triangle ``abc``."""
    return 0.5 * _norm(torch.linalg.cross(b - a, c - a, dim=-1))


def _cycle_time(feet: torch.Tensor, fps: float) -> torch.Tensor:
    """Gait cycle time from the feet-distance signal ``(..., T)``.

    A step is a local maximum of the distance between the feet; a cycle is
    two steps. With fewer than two maxima the cycle is taken as twice the
    sequence duration (at most one step observed).
    """
    T = feet.shape[-1]
    if T < 3:
        return feet.new_full(feet.shape[:-1], 2.0 * T / fps)
    mid = feet[..., 1:-1]
    peaks = (mid > feet[..., :-2]) & (mid >= feet[..., 2:])
    idx = torch.arange(1, T - 1, device=feet.device, dtype=feet.dtype)
    count = peaks.sum(-1)
    big = torch.full_like(mid, float(T))
    first = torch.where(peaks, idx.expand_as(mid), big).amin(-1)
    last = torch.where(peaks, idx.expand_as(mid), -big).amax(-1)
    step = (last - first) / (count - 1).clamp(min=1)
    step = torch.where(count >= 2, step, feet.new_tensor(float(T)))
    return 2.0 * step / fps


def affective_features(joints: Union[torch.Tensor, np.ndarray],
                       fps: float = 30.0) -> Union[torch.Tensor, np.ndarray]:
    """Compute the 29 affective features of gaits.

    Args:
        joints (Tensor | ndarray): Joint positions ``(..., T, 16, 3)`` with
            Y up. ``T >= 4`` is needed for the jerk.
        fps (float): Frame rate. Defaults to 30.

    Returns:
        Tensor | ndarray: Features ``(..., 29)``, same type as the input
        (differentiable for tensors, except the cycle time).
    """
    is_numpy = isinstance(joints, np.ndarray)
    x = torch.from_numpy(joints) if is_numpy else joints
    if x.ndim < 3 or x.shape[-2:] != (16, 3):
        raise ValueError('affective_features expects joints of shape '
                         f'(..., T, 16, 3), got {tuple(x.shape)}')
    if x.shape[-3] < 4:
        raise ValueError('affective_features needs at least 4 frames for '
                         f'the jerk, got T={x.shape[-3]}')
    dt = 1.0 / fps
    j = [x[..., i, :] for i in range(16)]  # each (..., T, 3)
    up = x.new_tensor([0.0, 1.0, 0.0])
    extent = x.amax(-2) - x.amin(-2)  # (..., T, 3)
    posture = torch.stack([
        extent.prod(-1),
        _angle(j[4], j[2], j[7]),
        _angle(j[2], j[7], j[4]),
        _angle(j[2], j[4], j[7]),
        _angle_vec(up.expand_as(j[2]), j[0] - j[2]),
        _angle(j[3], j[2], j[1]),
        _norm(j[9] - j[0]),
        _norm(j[6] - j[0]),
        _norm(j[15] - j[0]),
        _norm(j[12] - j[0]),
        _area(j[6], j[2], j[9]),
        _area(j[12], j[0], j[15]),
    ], -1).mean(-2)  # (..., 12)

    moving = x[..., list(_MOVING_JOINTS), :]  # (..., T, 5, 3)
    vel = torch.diff(moving, dim=-3) / dt
    acc = torch.diff(vel, dim=-3) / dt
    jerk = torch.diff(acc, dim=-3) / dt
    movement = torch.cat(
        [_norm(d).mean(-2) for d in (vel, acc, jerk)], -1)  # (..., 15)

    feet = _norm(j[12] - j[15])  # (..., T)
    stride = torch.stack(
        [feet.amax(-1), _cycle_time(feet.detach(), fps)], -1)
    out = torch.cat([posture, movement, stride], -1)
    return out.numpy() if is_numpy else out
