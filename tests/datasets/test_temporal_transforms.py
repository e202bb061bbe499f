# Copyright (c) step_mm contributors. All rights reserved.
"""Smoothing, estimated-pose augmentations and the multi-input transform."""
import numpy as np
import pytest
from mmengine.dataset import Compose

from step_mm.datasets.transforms import (GaitMultiInput, RandomBoneScaleGait,
                                         RandomDropFrames,
                                         RandomFrameRateGait,
                                         RandomJitterGait,
                                         RandomOccludeJoints, SmoothGait)
from step_mm.skeleton.perturb import smooth_joints
from step_mm.testing import make_fake_gait

RANDOM = [
    dict(type='RandomJitterGait', prob=1.),
    dict(type='RandomFrameRateGait', prob=1.),
    dict(type='RandomDropFrames', prob=1.),
    dict(type='RandomOccludeJoints', prob=1.),
    dict(type='RandomBoneScaleGait', prob=1.),
]


def _results(T=48, label=0, fps=30.):
    kp = make_fake_gait(T, label, np.random.default_rng(T)).astype(np.float32)
    return dict(keypoint=kp[None], total_frames=T, fps=fps, frame_dir='g')


@pytest.mark.parametrize('cfg', RANDOM, ids=lambda c: c['type'])
def test_augmentations_with_a_seed_are_deterministic(cfg):
    pipeline = Compose([cfg])
    outs = []
    for seed in (0, 0, 1):
        np.random.seed(seed)
        outs.append(pipeline(_results())['keypoint'])
    np.testing.assert_array_equal(outs[0], outs[1])
    assert outs[0].shape != outs[2].shape or not np.array_equal(
        outs[0], outs[2])
    assert np.isfinite(outs[0]).all() and outs[0].shape[0] == 1


def test_augmentations_change_what_they_say():
    np.random.seed(0)
    base = _results()
    kp = base['keypoint']
    jit = RandomJitterGait(sigma_range=(0.01, 0.01), prob=1.)(_results())
    assert 0 < np.std(jit['keypoint'] - kp) < 0.1
    low = RandomFrameRateGait(fps_range=(10., 10.), prob=1.)(_results())
    assert low['keypoint'].shape[1] == low['total_frames'] <= 48
    assert low['fps'] == 30.
    drop = RandomDropFrames(max_fraction=0.5, prob=1.)(_results())
    assert drop['keypoint'].shape[1] == drop['total_frames'] < 48
    occ = RandomOccludeJoints(num_joints=2, max_fraction=0.5, prob=1.)(
        _results())
    moved = np.abs(occ['keypoint'] - kp).max(axis=(0, 1, 3)) > 0
    assert moved.sum() <= 2
    bones = RandomBoneScaleGait(max_change=0.05, prob=1.)(_results())
    np.testing.assert_allclose(bones['keypoint'][..., 0, :], kp[..., 0, :])
    for t in (RandomJitterGait(prob=0.), RandomFrameRateGait(prob=0.),
              RandomDropFrames(prob=0.), RandomOccludeJoints(prob=0.),
              RandomBoneScaleGait(prob=0.)):
        np.testing.assert_array_equal(t(_results())['keypoint'], kp)
        assert 'prob=0.0' in repr(t)


@pytest.mark.parametrize('fps', (10., 30., 60.))
def test_smooth_gait_reads_the_frame_rate(fps):
    res = SmoothGait(window_s=0.5)(_results(fps=fps))
    expected = smooth_joints(_results()['keypoint'], fps, 0.5)
    np.testing.assert_allclose(res['keypoint'], expected)
    with pytest.raises(ValueError, match='fps must be positive'):
        SmoothGait()(_results(fps=0.))
    with pytest.raises(ValueError, match='window_s'):
        SmoothGait(window_s=0)


def test_multi_input_stacks_joint_bone_motion():
    res = _results(T=10)
    kp = res['keypoint']
    out = GaitMultiInput()(dict(res))['keypoint']
    assert out.shape == (1, 10, 16, 9)
    np.testing.assert_allclose(out[..., :3], kp)
    np.testing.assert_allclose(out[..., 3 + 0:3 + 3][..., 0, :], 0)  # root
    np.testing.assert_allclose(out[:, :, 1, 3:6],
                               kp[:, :, 1] - kp[:, :, 0], atol=1e-6)
    np.testing.assert_allclose(out[:, :-1, :, 6:], np.diff(kp, axis=1) * 30,
                               rtol=1e-5, atol=1e-5)
    only = GaitMultiInput(streams=('motion', ))(dict(_results(T=10)))
    assert only['keypoint'].shape[-1] == 3
    with pytest.raises(ValueError, match='streams'):
        GaitMultiInput(streams=('joints', ))


def test_noise_adaptive_smoothing():
    """With ``noise_ref`` a clean gait is smoothed as before and a noisy one
    with a longer window (less noise is left than with the fixed window)."""
    from step_mm.skeleton.perturb import add_jitter, body_height
    from scipy.signal import savgol_filter
    fixed = SmoothGait(window_s=0.5)
    adaptive = SmoothGait(window_s=0.5, noise_ref=0.005, max_window_s=1.5)
    # a walk without the fake gait's built-in jitter (a 1 s cubic fit)
    truth = savgol_filter(_results(T=75)['keypoint'], 31, 3, axis=1)

    def smoothed(t, kp):
        return t(dict(_results(T=75), keypoint=kp.copy()))['keypoint']

    np.testing.assert_array_equal(
        smoothed(adaptive, truth), smoothed(fixed, truth))
    noisy = add_jitter(truth, 0.03 * body_height(truth[0]),
                       np.random.default_rng(0))

    def left(t):  # velocity error left by the smoother
        return np.abs(np.diff(smoothed(t, noisy) - truth, axis=1)).mean()

    assert left(adaptive) < 0.75 * left(fixed)  # measured: 0.64
    assert 'noise_ref=0.005' in repr(adaptive)
    with pytest.raises(ValueError, match='noise_ref'):
        SmoothGait(noise_ref=0.)
    with pytest.raises(ValueError, match='max_window_s'):
        SmoothGait(window_s=1., max_window_s=0.5)
    with pytest.raises(ValueError, match='upsample'):
        RandomFrameRateGait(upsample='nearest')
