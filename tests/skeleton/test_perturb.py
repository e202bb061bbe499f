# Copyright (c) step_mm contributors. All rights reserved.
"""Smoothing and perturbations of gaits (step_mm.skeleton.perturb)."""
import numpy as np
import pytest
from scipy.signal import savgol_filter

from step_mm.skeleton import EGAIT_INWARD
from step_mm.skeleton.perturb import (add_jitter, body_height, drop_frames,
                                      occlude_joints, resample_time,
                                      savgol_window, scale_bones,
                                      smooth_joints)
from step_mm.testing import make_fake_gait

FPS = (8., 10., 15., 24., 30., 60., 120.)


def _linear_gait(T, fps, rng):
    """Every joint moves at its own constant velocity (metres / s)."""
    start = rng.normal(size=(16, 3))
    velocity = rng.normal(size=(16, 3))
    t = np.arange(T)[:, None, None] / fps
    return start[None] + velocity[None] * t


@pytest.mark.parametrize('fps', FPS)
def test_constant_velocity_passes_unchanged(fps):
    rng = np.random.default_rng(0)
    for T in list(range(4, 20)) + [31, 45, 75]:
        gait = _linear_gait(T, fps, rng)
        np.testing.assert_allclose(
            smooth_joints(gait, fps, 0.5), gait, atol=1e-5)


@pytest.mark.parametrize('fps', FPS)
def test_white_noise_loses_variance(fps):
    """Every length >= 4 works at any rate; at least a third of the
    variance of white noise is removed even in the shortest gaits, and at
    least 70 % once the gait holds the 0.5 s window at >= 24 fps."""
    rng = np.random.default_rng(1)
    for T in (4, 5, 6, 9, 20, 36, 75, 240):
        noise = rng.normal(size=(40, T, 16, 3))
        kept = smooth_joints(noise, fps, 0.5).var() / noise.var()
        assert kept < 2 / 3, (T, fps, kept)
        if fps >= 24 and T >= 0.5 * fps:
            assert kept < 0.3, (T, fps, kept)


def test_matches_scipy_savgol_interp():
    rng = np.random.default_rng(2)
    for T in (4, 7, 16, 50):
        x = rng.normal(size=(2, T, 16, 3))
        for fps in (10., 30., 60.):
            window, order = savgol_window(T, fps, 0.5, 2)
            ref = savgol_filter(x, window, order, axis=-3, mode='interp')
            np.testing.assert_allclose(
                smooth_joints(x, fps, 0.5), ref, atol=1e-5)


def test_window_is_in_seconds():
    assert savgol_window(300, 30., 0.5, 2) == (15, 2)
    assert savgol_window(300, 60., 0.5, 2) == (31, 2)
    assert savgol_window(300, 10., 0.5, 2) == (5, 2)
    assert savgol_window(8, 30., 0.5, 2) == (7, 2)  # cut to the gait
    assert savgol_window(4, 30., 0.5, 2) == (3, 1)  # order lowered
    assert savgol_window(2, 30., 0.5, 2) == (1, 0)  # nothing to smooth
    with pytest.raises(ValueError, match='fps must be positive'):
        smooth_joints(np.zeros((10, 16, 3)), 0, 0.5)


def test_body_height_and_jitter_scale():
    gait = make_fake_gait(60, 0, np.random.default_rng(3))
    h = body_height(gait)
    assert 0.5 < h < 2.5
    noisy = add_jitter(gait, 0.01 * h, np.random.default_rng(4))
    assert np.std(noisy - gait) == pytest.approx(0.01 * h, rel=0.05)


def test_resample_time_keeps_duration_and_values():
    gait = _linear_gait(31, 30., np.random.default_rng(5))  # 1 s
    low = resample_time(gait, 30., 10.)
    assert low.shape == (11, 16, 3)
    np.testing.assert_allclose(low, gait[::3], atol=1e-5)
    back = resample_time(low, 10., 30.)
    np.testing.assert_allclose(back, gait, atol=1e-5)  # linear motion


def test_drop_occlude_and_bones():
    rng = np.random.default_rng(6)
    gait = make_fake_gait(50, 1, rng).astype(np.float32)
    dropped = drop_frames(gait, 0.1, np.random.default_rng(0))
    assert dropped.shape == (45, 16, 3)
    assert all((gait == f).all(-1).all(-1).any() for f in dropped)

    occluded = occlude_joints(gait, 2, 0.2, np.random.default_rng(0))
    changed = np.flatnonzero(np.abs(occluded - gait).max(axis=(0, 2)) > 0)
    assert len(changed) == 2 and 0 not in changed
    for v in changed:  # a straight line over the hidden frames
        diff = np.abs(occluded[:, v] - gait[:, v]).max(-1) > 0
        hidden = np.flatnonzero(diff)
        seg = occluded[hidden[0] - 1:hidden[-1] + 2, v]
        np.testing.assert_allclose(
            np.diff(seg, 2, axis=0), 0, atol=1e-5)

    scaled = scale_bones(gait, 0.05, np.random.default_rng(0))
    for child, parent in EGAIT_INWARD:
        before = np.linalg.norm(gait[:, child] - gait[:, parent], axis=-1)
        after = np.linalg.norm(scaled[:, child] - scaled[:, parent], axis=-1)
        ratio = after / before
        assert np.ptp(ratio) < 1e-4  # one factor per bone
        assert 0.95 - 1e-6 <= ratio[0] <= 1.05 + 1e-6
    np.testing.assert_allclose(scaled[:, 0], gait[:, 0])


def test_noise_estimate_recovers_the_jitter():
    """The estimate reads added white noise within 10 % and a clean walk
    as (almost) none, at any frame rate and length >= 5."""
    from step_mm.skeleton.perturb import adaptive_window_s, estimate_noise
    rng = np.random.default_rng(3)
    for T, fps in ((36, 30.), (75, 60.), (20, 10.)):
        # the fake walk without its built-in jitter (a 1 s cubic fit)
        gait = savgol_filter(
            make_fake_gait(T, 0, rng, fps), min(T - 1 + T % 2, 31), 3, axis=0)
        assert estimate_noise(gait) < 0.001
        # its built-in jitter (0.005 units, twice over the root) is read
        assert estimate_noise(make_fake_gait(T, 0, rng, fps)) > 0.003
        for frac in (0.005, 0.01, 0.03):
            noisy = add_jitter(gait, frac * body_height(gait), rng)
            assert estimate_noise(noisy) == pytest.approx(frac, rel=0.1)
    assert estimate_noise(make_fake_gait(4, 0, rng)) == 0.
    # the window grows only above the reference noise, and stops at the cap
    assert adaptive_window_s(0.001, 0.5, 0.005, 1.5) == 0.5
    assert adaptive_window_s(0.04, 0.5, 0.005, 1.5) == 1.5
    assert adaptive_window_s(0.01, 0.5, 0.005, 1.5) == pytest.approx(
        0.5 * 2**(2 / 3))


def test_cubic_resampling_is_exact_on_cubic_motion():
    """Upsampling a 10 fps capture: a spline is exact on cubic motion where
    linear interpolation is not; downsampling and 'linear' are unchanged."""
    t10, t30 = np.arange(13) / 10., np.arange(37) / 30.
    coef = np.random.default_rng(4).normal(size=(4, 16, 3))

    def motion(t):
        return sum(c[None] * t[:, None, None]**k for k, c in enumerate(coef))

    cubic = resample_time(motion(t10), 10., 30., mode='cubic')
    np.testing.assert_allclose(cubic, motion(t30), atol=1e-4)
    linear = resample_time(motion(t10), 10., 30.)
    assert np.abs(linear - motion(t30)).max() > 1e-3
    np.testing.assert_array_equal(
        resample_time(motion(t30), 30., 10., mode='cubic'),
        resample_time(motion(t30), 30., 10.))
    with pytest.raises(ValueError, match="'linear' or 'cubic'"):
        resample_time(motion(t10), 10., 30., mode='nearest')
