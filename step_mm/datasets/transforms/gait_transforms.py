# Copyright (c) step_mm contributors. All rights reserved.
"""Gait transforms: normalisation, temporal length, augmentation, features.

All operate on ``results['keypoint']`` of shape ``[M, T, V, C]`` and are
vectorised over persons, frames and joints.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmaction.registry import TRANSFORMS

from step_mm.skeleton import (EGAIT_BONE_PAIRS, FLIP_INDEX,
                              affective_features, align_to_reference,
                              motion_statistics)
from .base import BaseGaitTransform, RandomGaitTransform, gait_name


def _rotation_y(theta: float) -> np.ndarray:
    """Rotation matrix about the vertical (Y) axis."""
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, 0., s], [0., 1., 0.], [-s, 0., c]], np.float32)


@TRANSFORMS.register_module()
class NormalizeGait(BaseGaitTransform):
    """Root-centre a gait and align it to the fixed reference pose.

    The rotation (and with ``with_scale`` the uniform scale) mapping the
    time-averaged torso onto :data:`step_mm.skeleton.REFERENCE_POSE` is
    applied to every frame: the output does not depend on the input's
    orientation, units or (with scale) body size.

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint

    Args:
        with_scale (bool): Normalise body size. Defaults to True.
    """

    repr_args = ('with_scale', )

    def __init__(self, with_scale: bool = True) -> None:
        self.with_scale = with_scale

    def transform(self, results: Dict) -> Dict:
        kp = results['keypoint']
        if kp.ndim != 4 or kp.shape[-2:] != (16, 3):
            raise ValueError(
                f'NormalizeGait: gait {gait_name(results)} keypoint has '
                f'shape {kp.shape}, expected [M, T, 16, 3]')
        if not np.isfinite(kp).all():
            raise ValueError(
                f'NormalizeGait: gait {gait_name(results)} has NaN/inf joints')
        results['keypoint'] = align_to_reference(kp, self.with_scale)
        return results


@TRANSFORMS.register_module()
class GaitToLength(BaseGaitTransform):
    """Bring a gait to exactly ``clip_len`` frames.

    Shorter gaits are padded (``'loop'`` repeats the gait, ``'edge'``
    repeats the last frame, ``'zero'`` appends zeros); longer gaits are
    sampled uniformly over their whole length (``'uniform'``) or cropped
    (``'crop'``: the centre in test mode, a random window in training).

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint
        - total_frames

    Args:
        clip_len (int): Output length. Defaults to 75.
        pad_mode (str): ``'loop'``, ``'edge'`` or ``'zero'``.
            Defaults to ``'loop'``.
        long_mode (str): ``'uniform'`` or ``'crop'``. Defaults to
            ``'uniform'``.
        test_mode (bool): Deterministic cropping. Defaults to False.
    """

    repr_args = ('clip_len', 'pad_mode', 'long_mode', 'test_mode')

    def __init__(self,
                 clip_len: int = 75,
                 pad_mode: str = 'loop',
                 long_mode: str = 'uniform',
                 test_mode: bool = False) -> None:
        assert pad_mode in ('loop', 'edge', 'zero'), pad_mode
        assert long_mode in ('uniform', 'crop'), long_mode
        self.clip_len = clip_len
        self.pad_mode = pad_mode
        self.long_mode = long_mode
        self.test_mode = test_mode

    def _indices(self, T: int) -> np.ndarray:
        L = self.clip_len
        if T <= L:
            idx = np.arange(L)
            if self.pad_mode == 'loop':
                return idx % T
            return np.minimum(idx, T - 1)
        if self.long_mode == 'uniform':
            return np.floor((np.arange(L) + 0.5) * T / L).astype(np.int64)
        start = (T - L) // 2 if self.test_mode else np.random.randint(
            0, T - L + 1)
        return start + np.arange(L)

    def transform(self, results: Dict) -> Dict:
        kp = results['keypoint']
        T = kp.shape[1]
        if T < 1:
            raise ValueError(f'GaitToLength: gait {gait_name(results)} has no '
                             'frames')
        out = kp[:, self._indices(T)]
        if self.pad_mode == 'zero' and T < self.clip_len:
            out = out.copy()
            out[:, T:] = 0
        results['keypoint'] = np.ascontiguousarray(out)
        results['total_frames'] = self.clip_len
        return results


@TRANSFORMS.register_module()
class GaitAffectiveFeatures(BaseGaitTransform):
    """Compute the 29 gait-level affective features from the joints.

    Uses :func:`step_mm.skeleton.affective_features` on the first person's
    real frames, so it belongs before any temporal padding. Scaling is not
    done here: it is fitted on the training subset by
    ``FitAffectiveStatsHook`` and stored in the model.

    Required Keys:

        - keypoint
        - fps (optional)

    Added Keys:

        - affective_feats

    With ``with_motion_stats`` the 165 per-joint posture and movement
    statistics of :func:`step_mm.skeleton.motion_stats.motion_statistics`
    are appended (194 values in all; set the head's ``num_affective`` to
    match).

    Args:
        fps (float, optional): Frame rate; None reads ``results['fps']``
            (30 if absent). Defaults to None.
        with_motion_stats (bool): Append the per-joint statistics.
            Defaults to False.
    """

    repr_args = ('fps', 'with_motion_stats')

    def __init__(self,
                 fps: Optional[float] = None,
                 with_motion_stats: bool = False) -> None:
        self.fps = fps
        self.with_motion_stats = with_motion_stats

    def transform(self, results: Dict) -> Dict:
        kp = results['keypoint']
        if kp.shape[1] < 4:
            raise ValueError(
                f'GaitAffectiveFeatures: gait {gait_name(results)} has '
                f'{kp.shape[1]} frames; the features need at least 4')
        fps = self.fps or results.get('fps', 30.0)
        joints = kp[0].astype(np.float64)
        feats = affective_features(joints, fps=fps)
        if self.with_motion_stats:
            feats = np.concatenate(
                [feats, motion_statistics(joints, fps=fps)])
        if not np.isfinite(feats).all():
            raise ValueError(
                f'GaitAffectiveFeatures: gait {gait_name(results)} gives '
                'non-finite features')
        results['affective_feats'] = feats.astype(np.float32)
        return results


@TRANSFORMS.register_module()
class RandomRotateGait(RandomGaitTransform):
    """Rotate a gait about the vertical (Y) axis by a random angle.

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint

    Args:
        max_angle (float): Largest rotation in degrees. Defaults to 180.
        prob (float): Probability of rotating. Defaults to 1.
    """

    repr_args = ('max_angle', 'prob')

    def __init__(self, max_angle: float = 180., prob: float = 1.) -> None:
        super().__init__(prob)
        self.max_angle = max_angle

    def apply(self, results: Dict) -> Dict:
        theta = np.deg2rad(np.random.uniform(-self.max_angle, self.max_angle))
        rot = _rotation_y(theta)
        results['keypoint'] = (results['keypoint'] @ rot.T).astype(np.float32)
        return results


@TRANSFORMS.register_module()
class RandomScaleGait(BaseGaitTransform):
    """Scale a gait uniformly by a random factor.

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint

    Args:
        scale_range (tuple[float, float]): Defaults to (0.9, 1.1).
    """

    repr_args = ('scale_range', )

    def __init__(self, scale_range: Tuple[float, float] = (0.9, 1.1)) -> None:
        self.scale_range = tuple(scale_range)

    def transform(self, results: Dict) -> Dict:
        s = np.random.uniform(*self.scale_range)
        results['keypoint'] = (results['keypoint'] * s).astype(np.float32)
        return results


@TRANSFORMS.register_module()
class MirrorGait(RandomGaitTransform):
    """Mirror a gait left/right: negate X and swap left and right joints.

    Meant after :class:`NormalizeGait`, whose reference pose has the
    person's left on +X.

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint

    Args:
        prob (float): Probability of mirroring. Defaults to 0.5.
        flip_index (Sequence[int]): Joint permutation.
            Defaults to the E-Gait one.
    """

    repr_args = ('prob', )

    def __init__(self,
                 prob: float = 0.5,
                 flip_index: Sequence[int] = tuple(FLIP_INDEX)) -> None:
        super().__init__(prob)
        self.flip_index = list(flip_index)

    def apply(self, results: Dict) -> Dict:
        kp = results['keypoint'][:, :, self.flip_index].copy()
        kp[..., 0] *= -1
        results['keypoint'] = kp
        return results


@TRANSFORMS.register_module()
class RandomSpeedGait(BaseGaitTransform):
    """Resample a gait in time by a random speed factor (linear interp.).

    A factor above 1 plays the gait faster (fewer frames). Optionally also
    crops a random window of at least ``min_crop`` of the frames first.

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint
        - total_frames

    Args:
        speed_range (tuple[float, float]): Defaults to (0.9, 1.1).
        min_crop (float): Smallest kept fraction; 1 disables cropping.
            Defaults to 1.
        min_frames (int): Never return fewer frames. Defaults to 4.
    """

    repr_args = ('speed_range', 'min_crop', 'min_frames')

    def __init__(self,
                 speed_range: Tuple[float, float] = (0.9, 1.1),
                 min_crop: float = 1.,
                 min_frames: int = 4) -> None:
        self.speed_range = tuple(speed_range)
        self.min_crop = min_crop
        self.min_frames = min_frames

    def transform(self, results: Dict) -> Dict:
        kp = results['keypoint']
        T = kp.shape[1]
        if self.min_crop < 1:
            keep = max(self.min_frames,
                       int(round(T * np.random.uniform(self.min_crop, 1.))))
            keep = min(keep, T)
            start = np.random.randint(0, T - keep + 1)
            kp = kp[:, start:start + keep]
            T = keep
        speed = np.random.uniform(*self.speed_range)
        new_T = max(self.min_frames, int(round(T / speed)))
        results['keypoint'] = resample_frames(kp, new_T)
        results['total_frames'] = new_T
        return results


def resample_frames(kp: np.ndarray,
                    new_T: int,
                    mode: str = 'linear') -> np.ndarray:
    """Resample ``[M, T, V, C]`` joints to ``new_T`` frames.

    Args:
        kp (np.ndarray): ``[M, T, V, C]``.
        new_T (int): Output length.
        mode (str): ``'linear'`` interpolation, or ``'cubic'``: a cubic
            spline through the frames when upsampling a sequence of at
            least 4 frames (a low-frame-rate capture brought to the model's
            rate keeps smooth velocities instead of a kink at every input
            frame); linear otherwise. Defaults to ``'linear'``.

    Returns:
        np.ndarray: ``[M, new_T, V, C]`` float32.
    """
    if mode not in ('linear', 'cubic'):
        raise ValueError(f"mode must be 'linear' or 'cubic', got {mode!r}")
    T = kp.shape[1]
    if T == 1:
        return np.repeat(kp, new_T, axis=1).astype(np.float32)
    pos = np.linspace(0, T - 1, new_T)
    if mode == 'cubic' and new_T > T and T >= 4:
        from scipy.interpolate import CubicSpline
        spline = CubicSpline(np.arange(T), kp.astype(np.float64), axis=1)
        return spline(pos).astype(np.float32)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, T - 1)
    w = (pos - lo)[None, :, None, None]
    return (kp[:, lo] * (1 - w) + kp[:, hi] * w).astype(np.float32)


@TRANSFORMS.register_module()
class GaitToBone(BaseGaitTransform):
    """Turn joint positions into bone vectors (joint minus its parent).

    mmaction2's ``JointToBone`` only knows its own three layouts; this one
    takes any ``(child, parent)`` pairs, the E-Gait ones by default. The
    root's bone is zero, so all nodes are kept.

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint

    Args:
        pairs (Sequence[tuple[int, int]]): Defaults to the E-Gait bones.
    """

    repr_args = ('pairs', )

    def __init__(self, pairs: Sequence[Tuple[int, int]] = EGAIT_BONE_PAIRS
                 ) -> None:
        self.pairs = tuple(tuple(p) for p in pairs)

    def transform(self, results: Dict) -> Dict:
        results['keypoint'] = joints_to_bones(results['keypoint'],
                                              self.pairs)
        return results


def joints_to_bones(kp: np.ndarray,
                    pairs: Sequence[Tuple[int, int]]) -> np.ndarray:
    """Bone vectors: every child joint minus its parent.

    Args:
        kp (np.ndarray): ``[..., V, C]`` joint positions.
        pairs (Sequence[tuple[int, int]]): ``(child, parent)`` pairs.

    Returns:
        np.ndarray: ``[..., V, C]``, same dtype; joints that are no child
        (or their own parent, as a root) get zero.
    """
    child = np.array([p[0] for p in pairs])
    parent = np.array([p[1] for p in pairs])
    bone = np.zeros_like(kp)
    bone[..., child, :] = kp[..., child, :] - kp[..., parent, :]
    return bone
