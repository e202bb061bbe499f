# Copyright (c) step_mm contributors. All rights reserved.
"""Temporal smoothing and the perturbations of estimated poses.

Poses estimated from video jitter from frame to frame, come at low or
uneven frame rates, lose joints behind the body and have bone lengths of
another skeleton. :class:`SmoothGait` removes the jitter in training and
inference alike; the random transforms put the other effects into training
so a model does not read them as emotion. All act on
``results['keypoint']`` ``[M, T, V, C]``, draw from numpy's global random
state (reseeded per epoch by ``EpochSeedHook``, so a seed fixes them) and
build on :mod:`step_mm.skeleton.perturb`.
"""
from typing import Dict, Optional, Tuple

import numpy as np
from mmaction.registry import TRANSFORMS

from step_mm.skeleton.perturb import (adaptive_window_s, add_jitter,
                                      body_height, estimate_noise,
                                      kept_frames, occlude_joints,
                                      resample_time, scale_bones,
                                      smooth_joints)
from .base import BaseGaitTransform, RandomGaitTransform, gait_name


def _rng() -> np.random.Generator:
    """A generator drawn from numpy's global state (seeded per epoch)."""
    return np.random.default_rng(np.random.randint(2**31))


def _fps(results: Dict) -> float:
    fps = float(results.get('fps', 30.0))
    if not fps > 0:
        raise ValueError(f'gait {gait_name(results)}: fps must be positive, '
                         f'got {fps}')
    return fps


@TRANSFORMS.register_module()
class SmoothGait(BaseGaitTransform):
    """Savitzky-Golay smoothing of every joint trajectory, fps-aware.

    The window is given in seconds (``window_s * fps`` frames, odd, cut to
    the gait's length), so a 10 fps and a 60 fps recording of one walk are
    smoothed alike. Polynomials of order ``polyorder`` pass unchanged:
    constant-velocity motion is kept exactly, while frame-to-frame jitter
    (pose estimators, noisy capture) is averaged out. Put it before any
    feature that differentiates the motion (:class:`GaitAffectiveFeatures`)
    and use it in the test pipeline too.

    Required Keys:

        - keypoint
        - fps (optional, 30 if absent)

    Modified Keys:

        - keypoint

    With ``noise_ref`` set, the window adapts to each gait's jitter
    (:func:`step_mm.skeleton.perturb.estimate_noise`, a fraction of the
    body height): gaits up to ``noise_ref`` get ``window_s``, noisier ones a
    longer window, up to ``max_window_s``
    (:func:`step_mm.skeleton.perturb.adaptive_window_s`), so a noisy
    estimated pose reaches the model about as smooth as motion capture.
    Clean gaits are smoothed exactly as without it.

    Args:
        window_s (float): Window length in seconds. Defaults to 0.3.
        polyorder (int): Order of the local polynomial. Defaults to 2.
        noise_ref (float, optional): Jitter (fraction of the body height)
            up to which ``window_s`` is used. Defaults to None: always
            ``window_s``.
        max_window_s (float): Longest adaptive window. Defaults to 1.5.
    """

    repr_args = ('window_s', 'polyorder', 'noise_ref', 'max_window_s')

    def __init__(self,
                 window_s: float = 0.3,
                 polyorder: int = 2,
                 noise_ref: Optional[float] = None,
                 max_window_s: float = 1.5) -> None:
        if not window_s > 0:
            raise ValueError(f'window_s must be positive, got {window_s}')
        if polyorder < 1:
            raise ValueError(f'polyorder must be >= 1, got {polyorder}')
        if noise_ref is not None and not noise_ref > 0:
            raise ValueError(f'noise_ref must be positive, got {noise_ref}')
        if max_window_s < window_s:
            raise ValueError(f'max_window_s ({max_window_s}) must be >= '
                             f'window_s ({window_s})')
        self.window_s = window_s
        self.polyorder = polyorder
        self.noise_ref = noise_ref
        self.max_window_s = max_window_s

    def transform(self, results: Dict) -> Dict:
        kp = results['keypoint']
        window_s = self.window_s
        if self.noise_ref is not None:
            noise = max(estimate_noise(p) for p in kp)
            window_s = adaptive_window_s(noise, self.window_s, self.noise_ref,
                                         self.max_window_s)
        results['keypoint'] = smooth_joints(kp, _fps(results), window_s,
                                            self.polyorder)
        return results


@TRANSFORMS.register_module()
class RandomJitterGait(RandomGaitTransform):
    """Add Gaussian jitter per joint, axis and frame, scaled to the body.

    With probability ``prob`` a standard deviation is drawn uniformly from
    ``sigma_range`` (fractions of the body height:
    :func:`step_mm.skeleton.perturb.body_height`, the head above the lower
    foot, median over frames) and i.i.d. noise of that size is added.

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint

    Args:
        sigma_range (tuple[float, float]): Noise level as a fraction of the
            body height. Defaults to (0., 0.03).
        prob (float): Probability of adding noise. Defaults to 0.5.
    """

    repr_args = ('sigma_range', 'prob')

    def __init__(self,
                 sigma_range: Tuple[float, float] = (0., 0.03),
                 prob: float = 0.5) -> None:
        super().__init__(prob)
        self.sigma_range = tuple(sigma_range)

    def apply(self, results: Dict) -> Dict:
        kp = results['keypoint']
        sigma = np.random.uniform(*self.sigma_range) * body_height(kp[0])
        results['keypoint'] = add_jitter(kp, sigma, _rng())
        return results


@TRANSFORMS.register_module()
class RandomFrameRateGait(RandomGaitTransform):
    """Simulate a lower-frame-rate capture brought back to the gait's rate.

    With probability ``prob`` a capture rate is drawn uniformly from
    ``fps_range``; the gait is sampled at that rate and linearly
    interpolated back to its own ``fps`` (what inference does with a
    low-frame-rate video: :func:`step_mm.apis.inference_gait` resamples
    every input to the model's rate). ``fps`` itself is unchanged.

    Required Keys:

        - keypoint
        - fps (optional, 30 if absent)

    Modified Keys:

        - keypoint
        - total_frames

    Args:
        fps_range (tuple[float, float]): Capture rates. Defaults to
            (8., 30.).
        prob (float): Probability of resampling. Defaults to 0.5.
        min_frames (int): Skip when the low-rate capture would keep fewer
            frames. Defaults to 4.
        upsample (str): How the capture is brought back to ``fps``:
            ``'linear'`` or ``'cubic'`` (a spline, as ``inference_gait``
            upsamples low-rate inputs). Defaults to ``'linear'``.
    """

    repr_args = ('fps_range', 'prob', 'min_frames', 'upsample')

    def __init__(self,
                 fps_range: Tuple[float, float] = (8., 30.),
                 prob: float = 0.5,
                 min_frames: int = 4,
                 upsample: str = 'linear') -> None:
        if upsample not in ('linear', 'cubic'):
            raise ValueError("upsample must be 'linear' or 'cubic', got "
                             f'{upsample!r}')
        super().__init__(prob)
        self.fps_range = tuple(fps_range)
        self.min_frames = min_frames
        self.upsample = upsample

    def apply(self, results: Dict) -> Dict:
        fps = _fps(results)
        low = np.random.uniform(*self.fps_range)
        kp = results['keypoint']
        captured = [resample_time(p, fps, low) for p in kp]
        if len(captured[0]) < self.min_frames:
            return results
        back = np.stack(
            [resample_time(p, low, fps, self.upsample) for p in captured])
        results['keypoint'] = back
        results['total_frames'] = back.shape[1]
        return results


@TRANSFORMS.register_module()
class RandomDropFrames(RandomGaitTransform):
    """Remove a random share of the frames (an estimator that skips some).

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint
        - total_frames

    Args:
        max_fraction (float): The share removed is drawn from
            ``[0, max_fraction]``. Defaults to 0.1.
        prob (float): Probability of dropping. Defaults to 0.5.
        min_frames (int): Never keep fewer frames. Defaults to 4.
    """

    repr_args = ('max_fraction', 'prob', 'min_frames')

    def __init__(self,
                 max_fraction: float = 0.1,
                 prob: float = 0.5,
                 min_frames: int = 4) -> None:
        super().__init__(prob)
        self.max_fraction = max_fraction
        self.min_frames = min_frames

    def apply(self, results: Dict) -> Dict:
        fraction = np.random.uniform(0, self.max_fraction)
        kp = results['keypoint']
        keep = kept_frames(kp.shape[1], fraction, _rng(), self.min_frames)
        results['keypoint'] = np.ascontiguousarray(kp[:, keep])
        results['total_frames'] = len(keep)
        return results


@TRANSFORMS.register_module()
class RandomOccludeJoints(RandomGaitTransform):
    """Hide a few joints for a contiguous share of the frames and fill them
    by interpolation, as a pose estimator's post-processing would.

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint

    Args:
        num_joints (int): Joints occluded. Defaults to 2.
        max_fraction (float): Each is hidden for a share of the frames drawn
            from ``[0, max_fraction]``. Defaults to 0.2.
        prob (float): Probability of occluding. Defaults to 0.5.
    """

    repr_args = ('num_joints', 'max_fraction', 'prob')

    def __init__(self,
                 num_joints: int = 2,
                 max_fraction: float = 0.2,
                 prob: float = 0.5) -> None:
        super().__init__(prob)
        self.num_joints = num_joints
        self.max_fraction = max_fraction

    def apply(self, results: Dict) -> Dict:
        fraction = np.random.uniform(0, self.max_fraction)
        rng = _rng()
        results['keypoint'] = np.stack([
            occlude_joints(p, self.num_joints, fraction, rng)
            for p in results['keypoint']
        ])
        return results


@TRANSFORMS.register_module()
class RandomBoneScaleGait(RandomGaitTransform):
    """Scale every bone by its own random factor, keeping the joint angles
    (another skeleton's proportions).

    Required Keys:

        - keypoint

    Modified Keys:

        - keypoint

    Args:
        max_change (float): Largest relative change of a bone length.
            Defaults to 0.05.
        prob (float): Probability of scaling. Defaults to 0.5.
    """

    repr_args = ('max_change', 'prob')

    def __init__(self, max_change: float = 0.05, prob: float = 0.5) -> None:
        super().__init__(prob)
        self.max_change = max_change

    def apply(self, results: Dict) -> Dict:
        results['keypoint'] = scale_bones(results['keypoint'],
                                          self.max_change, _rng())
        return results
