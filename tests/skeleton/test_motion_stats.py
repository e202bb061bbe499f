# Copyright (c) step_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch

from step_mm.datasets.transforms import GaitAffectiveFeatures
from step_mm.skeleton.motion_stats import (MOTION_STATISTIC_NAMES,
                                           NUM_MOTION_STATISTICS,
                                           motion_statistics)


def _gait(T=20, fps=30.0):
    """Root at the origin, every other joint still except the right hand
    (joint 9), which moves along +x at 0.6 m/s."""
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(16, 3))
    pose[0] = 0
    joints = np.repeat(pose[None], T, 0)
    joints[:, 9, 0] += 0.6 * np.arange(T) / fps
    return joints


def test_shape_and_names():
    out = motion_statistics(np.zeros((3, 40, 16, 3)))
    assert out.shape == (3, NUM_MOTION_STATISTICS) == (3, 165)
    assert len(MOTION_STATISTIC_NAMES) == 165
    assert len(set(MOTION_STATISTIC_NAMES)) == 165


def test_values_on_hand_made_gait():
    joints = _gait(T=21)
    out = dict(zip(MOTION_STATISTIC_NAMES, motion_statistics(joints)))
    # The moving hand: constant speed 0.6 m/s along x.
    assert out['speed_mean_right_hand'] == pytest.approx(0.6)
    assert out['speed_std_right_hand'] == pytest.approx(0.0, abs=1e-9)
    assert out['abs_velocity_right_hand_x'] == pytest.approx(0.6)
    assert out['abs_velocity_right_hand_y'] == pytest.approx(0.0)
    # Its x position is uniform over 20 / 30 s of travel: mean and std.
    x = joints[:, 9, 0]
    assert out['pos_mean_right_hand_x'] == pytest.approx(x.mean())
    assert out['pos_std_right_hand_x'] == pytest.approx(x.std())
    # A still joint has zero speed and spread, and its position as mean.
    assert out['speed_mean_left_hand'] == 0
    assert out['pos_std_head_y'] == 0
    assert out['pos_mean_head_y'] == pytest.approx(joints[0, 3, 1])


def test_torch_matches_numpy_and_is_differentiable():
    joints = _gait() + np.random.default_rng(1).normal(
        scale=0.01, size=(20, 16, 3))
    t = torch.tensor(joints, requires_grad=True)
    out = motion_statistics(t)
    np.testing.assert_allclose(out.detach().numpy(),
                               motion_statistics(joints), rtol=1e-12)
    out.sum().backward()
    assert torch.isfinite(t.grad).all()


def test_bad_input():
    with pytest.raises(ValueError, match='16, 3'):
        motion_statistics(np.zeros((10, 15, 3)))
    with pytest.raises(ValueError, match='2 frames'):
        motion_statistics(np.zeros((1, 16, 3)))


def test_transform_appends_statistics():
    kp = _gait(T=30)[None].astype(np.float32)
    base = GaitAffectiveFeatures()(dict(keypoint=kp.copy()))
    full = GaitAffectiveFeatures(with_motion_stats=True)(
        dict(keypoint=kp.copy()))
    assert base['affective_feats'].shape == (29, )
    assert full['affective_feats'].shape == (194, )
    np.testing.assert_array_equal(full['affective_feats'][:29],
                                  base['affective_feats'])
    np.testing.assert_allclose(full['affective_feats'][29:],
                               motion_statistics(kp[0].astype(np.float64)),
                               rtol=1e-6)
