# Copyright (c) step_mm contributors. All rights reserved.
"""Temporal smoothing and realistic perturbations of 3D gaits, in numpy.

One implementation serves the training augmentations
(:mod:`step_mm.datasets.transforms`), the robustness benchmark
(``benchmarks/egait_robustness.py``) and the inference API. Every function
takes joints ``(..., T, V, 3)`` with Y up (E-Gait's convention) and, where
random, a :class:`numpy.random.Generator`, so a seed fixes the result.
"""
from functools import lru_cache
from typing import Optional, Sequence, Tuple

import numpy as np

from .layout import EGAIT_INWARD

__all__ = [
    'body_height', 'estimate_noise', 'adaptive_window_s', 'savgol_window',
    'smooth_joints', 'add_jitter',
    'resample_time', 'kept_frames', 'drop_frames', 'occlude_joints', 'scale_bones'
]

_HEAD, _LEFT_FOOT, _RIGHT_FOOT = 3, 12, 15


def body_height(joints: np.ndarray) -> float:
    """Height of a person: the head above the lower foot, median over frames.

    Args:
        joints (np.ndarray): ``(T, 16, 3)`` E-Gait joints, Y up.

    Returns:
        float: The median over frames of ``y_head - min(y_left_foot,
        y_right_foot)``; E-Gait bodies are about 1.05 units tall.
    """
    x = np.asarray(joints, dtype=np.float64)
    feet = np.minimum(x[..., _LEFT_FOOT, 1], x[..., _RIGHT_FOOT, 1])
    return float(np.median(x[..., _HEAD, 1] - feet))


def estimate_noise(joints: np.ndarray) -> float:
    """Frame-to-frame jitter of a gait, as a fraction of its body height.

    White noise of standard deviation ``sigma`` on every coordinate gives
    third differences of standard deviation ``sigma * sqrt(20)``; walking
    motion sampled at video rates gives almost none. The median absolute
    deviation of the third differences over frames, per joint and axis,
    median over those, estimates ``sigma`` robustly (a few jumps or
    interpolation kinks do not move it). Clean motion capture reads about
    0.0003 (0.03 % of the body height); added jitter of 2 % reads 0.02.

    Args:
        joints (np.ndarray): ``(T, V, 3)``.

    Returns:
        float: The estimated jitter over the body height (0 below 5 frames).
    """
    x = np.asarray(joints, dtype=np.float64)
    if len(x) < 5:
        return 0.
    d = np.diff(x, n=3, axis=0)
    mad = np.median(np.abs(d - np.median(d, axis=0)), axis=0) / 0.6745
    height = body_height(x)
    return float(np.median(mad) / np.sqrt(20.) / height) if height > 0 else 0.


def adaptive_window_s(noise: float, window_s: float, noise_ref: float,
                      max_window_s: float) -> float:
    """Smoothing window for a gait of jitter ``noise`` (body heights).

    The velocity noise a Savitzky-Golay filter leaves falls with the cube
    of its window: ``window_s`` (the window for jitter up to ``noise_ref``)
    grows as ``(noise / noise_ref) ** (2 / 3)``, so a noisier gait is left
    with the velocity noise of a ``noise_ref`` one, up to ``max_window_s``.
    """
    if noise <= noise_ref:
        return window_s
    return float(min(max_window_s, window_s * (noise / noise_ref)**(2 / 3)))


def savgol_window(num_frames: int, fps: float, window_s: float,
                  polyorder: int) -> Tuple[int, int]:
    """Odd Savitzky-Golay window (frames) and order for a sequence.

    The window spans ``window_s`` seconds at ``fps``, rounded up to an odd
    number of frames and cut to the longest odd window the sequence holds;
    the order is lowered to ``window - 2`` (at least 1) where the window is
    too short for it, so the filter always smooths and always keeps
    constant-velocity motion. Fewer than 3 frames in the window means no
    smoothing (window 1).

    Args:
        num_frames (int): Sequence length.
        fps (float): Frame rate.
        window_s (float): Window length in seconds.
        polyorder (int): Polynomial order.

    Returns:
        tuple[int, int]: ``(window, polyorder)``.
    """
    window = int(round(window_s * fps))
    window += 1 - window % 2  # odd
    longest = num_frames if num_frames % 2 else num_frames - 1
    window = min(window, longest)
    if window < 3:
        return 1, 0
    return window, max(1, min(polyorder, window - 2))


@lru_cache(maxsize=512)
def _savgol_matrix(num_frames: int, window: int, polyorder: int) -> np.ndarray:
    """``(T, T)`` matrix of Savitzky-Golay smoothing with polynomial edges.

    Interior rows hold the filter's coefficients; the first and last
    ``window // 2`` rows evaluate the order-``polyorder`` least-squares
    polynomial of the first / last ``window`` frames, which is what
    ``scipy.signal.savgol_filter(..., mode='interp')`` does. Built once per
    ``(T, window, polyorder)``; smoothing is then one matrix product.
    """
    half = window // 2
    mat = np.zeros((num_frames, num_frames))
    # least-squares polynomial over a window, evaluated at its frames; its
    # middle row is ``scipy.signal.savgol_coeffs(window, polyorder,
    # use='dot')`` (tested), without importing scipy.signal (~0.4 s)
    u = np.vander(np.arange(window, dtype=np.float64), polyorder + 1)
    proj = u @ np.linalg.pinv(u)  # (window, window)
    rows = np.arange(half, num_frames - half)
    cols = rows[:, None] + np.arange(-half, half + 1)
    mat[rows[:, None], cols] = proj[half]
    mat[:half, :window] = proj[:half]
    mat[num_frames - half:, num_frames - window:] = proj[window - half:]
    return mat


def smooth_joints(joints: np.ndarray,
                  fps: float,
                  window_s: float = 0.3,
                  polyorder: int = 2) -> np.ndarray:
    """Savitzky-Golay smoothing of every joint trajectory over time.

    A local polynomial fit of order ``polyorder`` over ``window_s`` seconds:
    polynomials up to that order (constant velocity, constant acceleration)
    pass unchanged, frame-to-frame jitter is averaged out. The window is in
    seconds, so the filter does the same at every frame rate; sequences
    shorter than the window use the longest odd window they hold
    (:func:`savgol_window`). The first and last half-windows take the
    least-squares polynomial of the first / last window, as
    ``scipy.signal.savgol_filter(..., mode='interp')`` does.

    Args:
        joints (np.ndarray): ``(..., T, V, 3)``; ``T >= 1``.
        fps (float): Frame rate of the joints.
        window_s (float): Window length in seconds. Defaults to 0.3.
        polyorder (int): Order of the local polynomial. Defaults to 2.

    Returns:
        np.ndarray: Smoothed joints, same shape, float32.
    """
    x = np.asarray(joints)
    if not fps > 0:
        raise ValueError(f'smooth_joints: fps must be positive, got {fps}')
    window, order = savgol_window(x.shape[-3], fps, window_s, polyorder)
    if window == 1:
        return x.astype(np.float32)
    mat = _savgol_matrix(x.shape[-3], window, order)
    out = np.einsum('st,...tvc->...svc', mat, x.astype(np.float64))
    return out.astype(np.float32)


def add_jitter(joints: np.ndarray, sigma: float,
               rng: np.random.Generator) -> np.ndarray:
    """Add i.i.d. Gaussian noise per joint, axis and frame.

    Args:
        joints (np.ndarray): ``(..., T, V, 3)``.
        sigma (float): Standard deviation, in the joints' units.
        rng (np.random.Generator): Random generator.

    Returns:
        np.ndarray: Noisy joints, float32.
    """
    x = np.asarray(joints, dtype=np.float32)
    return (x + rng.normal(0.0, sigma, x.shape)).astype(np.float32)


def resample_time(joints: np.ndarray,
                  fps_in: float,
                  fps_out: float,
                  mode: str = 'linear') -> np.ndarray:
    """Resample ``(T, V, 3)`` joints from ``fps_in`` to ``fps_out``.

    Frames of the output sit at ``k / fps_out`` seconds for every ``k`` with
    ``k / fps_out <= (T - 1) / fps_in``; joints between input frames are
    interpolated linearly (what a camera at ``fps_out`` followed by a
    linear upsampler would give) or, with ``mode='cubic'`` and at least 4
    input frames, by a cubic spline (what ``inference_gait`` does when it
    upsamples a low-frame-rate input).

    Args:
        joints (np.ndarray): ``(T, V, 3)``.
        fps_in (float): Frame rate of the input.
        fps_out (float): Frame rate of the output.
        mode (str): ``'linear'`` or ``'cubic'``. Defaults to ``'linear'``.

    Returns:
        np.ndarray: ``(T_out, V, 3)`` float32, ``T_out >= 1``.
    """
    if mode not in ('linear', 'cubic'):
        raise ValueError(f"mode must be 'linear' or 'cubic', got {mode!r}")
    x = np.asarray(joints, dtype=np.float64)
    T = len(x)
    duration = (T - 1) / fps_in
    t_out = np.arange(int(np.floor(duration * fps_out + 1e-9)) + 1) / fps_out
    pos = np.clip(t_out * fps_in, 0, T - 1)
    if mode == 'cubic' and T >= 4:
        from scipy.interpolate import CubicSpline
        return CubicSpline(np.arange(T), x, axis=0)(pos).astype(np.float32)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, T - 1)
    w = (pos - lo)[:, None, None]
    return (x[lo] * (1 - w) + x[hi] * w).astype(np.float32)


def kept_frames(num_frames: int, fraction: float, rng: np.random.Generator,
                min_frames: int = 4) -> np.ndarray:
    """Sorted indices of the frames left after removing a random
    ``fraction`` of them (never fewer than ``min_frames``)."""
    keep = max(min(min_frames, num_frames),
               num_frames - int(round(fraction * num_frames)))
    return np.sort(rng.choice(num_frames, size=keep, replace=False))


def drop_frames(joints: np.ndarray, fraction: float,
                rng: np.random.Generator,
                min_frames: int = 4) -> np.ndarray:
    """Remove a random ``fraction`` of the frames (an estimator that skips
    frames); the rest keep their order and the stated frame rate.

    Args:
        joints (np.ndarray): ``(T, V, 3)``.
        fraction (float): Share of frames removed, in ``[0, 1)``.
        rng (np.random.Generator): Random generator.
        min_frames (int): Never keep fewer frames. Defaults to 4.

    Returns:
        np.ndarray: ``(T_kept, V, 3)`` float32.
    """
    x = np.asarray(joints, dtype=np.float32)
    return x[kept_frames(len(x), fraction, rng, min_frames)]


def _interpolate_missing(x: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Fill ``missing`` frames of one trajectory ``(T, 3)`` linearly from the
    nearest observed frames (held constant beyond the observed ends)."""
    t = np.arange(len(x))
    seen = ~missing
    if not seen.any():
        return x
    out = x.copy()
    for c in range(x.shape[1]):
        out[missing, c] = np.interp(t[missing], t[seen], x[seen, c])
    return out


def occlude_joints(joints: np.ndarray,
                   num_joints: int,
                   fraction: float,
                   rng: np.random.Generator,
                   candidates: Optional[Sequence[int]] = None) -> np.ndarray:
    """Hide joints for a contiguous share of the frames, then fill them as a
    pose estimator's post-processing would: linear interpolation between
    the last and next observed positions (held at the sequence ends).

    Args:
        joints (np.ndarray): ``(T, V, 3)``.
        num_joints (int): Number of occluded joints (distinct).
        fraction (float): Share of frames each one is hidden for.
        rng (np.random.Generator): Random generator.
        candidates (Sequence[int], optional): Joints that may be occluded.
            Defaults to every joint but the root.

    Returns:
        np.ndarray: ``(T, V, 3)`` float32.
    """
    x = np.array(joints, dtype=np.float32)
    T, V = x.shape[:2]
    pool = np.asarray(candidates if candidates is not None else range(1, V))
    length = int(round(fraction * T))
    if length < 1:
        return x
    for v in rng.choice(pool, size=num_joints, replace=False):
        start = int(rng.integers(0, T - length + 1))
        missing = np.zeros(T, dtype=bool)
        missing[start:start + length] = True
        x[:, v] = _interpolate_missing(x[:, v], missing)
    return x


def scale_bones(joints: np.ndarray, max_change: float,
                rng: np.random.Generator,
                inward: Sequence[Tuple[int, int]] = EGAIT_INWARD
                ) -> np.ndarray:
    """Scale every bone by its own factor in ``[1 - max_change,
    1 + max_change]`` (another body's proportions, a skeleton fitted with
    other bone lengths), keeping the joint angles: joints are rebuilt from
    the root outwards along the scaled bone vectors.

    Args:
        joints (np.ndarray): ``(..., T, V, 3)``.
        max_change (float): Largest relative change of a bone length.
        rng (np.random.Generator): Random generator.
        inward (Sequence[tuple[int, int]]): ``(child, parent)`` pairs,
            parents before children. Defaults to the E-Gait bones.

    Returns:
        np.ndarray: Joints with scaled bones, float32.
    """
    x = np.asarray(joints, dtype=np.float64)
    out = x.copy()
    factors = rng.uniform(1 - max_change, 1 + max_change, len(inward))
    for (child, parent), f in zip(inward, factors):
        bone = x[..., child, :] - x[..., parent, :]
        out[..., child, :] = out[..., parent, :] + f * bone
    return out.astype(np.float32)
