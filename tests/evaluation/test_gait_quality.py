# Copyright (c) step_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmaction.registry import METRICS

from step_mm.evaluation.metrics import (bone_length_drift, foot_slide,
                                        frechet_distance, motion_amplitude)
from step_mm.skeleton import REFERENCE_POSE, align_to_reference
from step_mm.testing import make_fake_gait


def _gaits(n=6, T=40, seed=0):
    rng = np.random.default_rng(seed)
    return align_to_reference(
        np.stack([make_fake_gait(T, k % 4, rng) for k in range(n)]))


def test_frechet_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 5))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    # a pure shift by 1 in each of 5 dims: |mu_a - mu_b|^2 = 5
    assert frechet_distance(a, a + 1.0) == pytest.approx(5.0, rel=1e-6)
    b = rng.normal(size=(300, 5)) * 2.0
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a),
                                                   rel=1e-6)
    # N(0, I) vs N(0, 4I): 5 * (1 + 4 - 2 * 2) = 5
    assert frechet_distance(a, b) == pytest.approx(5.0, rel=0.25)
    # fewer samples than dimensions (rank-deficient covariances) is fine
    assert np.isfinite(frechet_distance(a[:3], b[:4]))
    with pytest.raises(ValueError, match='same D'):
        frechet_distance(a, b[:, :3])
    with pytest.raises(ValueError, match='at least 2'):
        frechet_distance(a[:1], b)


def test_bone_drift_and_foot_slide():
    gaits = _gaits()
    drift = bone_length_drift(gaits)
    assert drift.shape == (6, )
    rigid = np.repeat(REFERENCE_POSE[None, None], 10, 1)
    assert float(bone_length_drift(rigid)[0]) < 1e-6
    stretched = gaits.copy()
    stretched[:, :, 12] = stretched[:, :, 11] + (
        stretched[:, :, 12] - stretched[:, :, 11]) * (
            1 + 0.2 * np.sin(np.arange(40) / 2))[None, :, None]
    assert (bone_length_drift(stretched) > drift + 0.003).all()
    # variable-length lists give the per-gait values of the arrays
    as_list = [gaits[0], gaits[1][:25], gaits[2]]
    np.testing.assert_allclose(
        bone_length_drift(as_list)[[0, 2]], drift[[0, 2]], rtol=1e-6)
    np.testing.assert_allclose(
        foot_slide(as_list)[[0, 2]], foot_slide(gaits)[[0, 2]], rtol=1e-6)
    # a skating foot slides more than the original walk
    skate = gaits.copy()
    skate[:, :, [12, 15], 0] += 0.03 * np.sin(np.arange(40) * 1.3)[None, :,
                                                                   None]
    assert (foot_slide(skate) > foot_slide(gaits)).all()
    assert foot_slide(torch.from_numpy(gaits)).shape == (6, )
    # motion: a still pose has none, half the motion has half the amplitude
    mean = gaits.mean(1, keepdims=True)
    assert float(motion_amplitude(np.repeat(mean, 40, 1)).max()) < 1e-6
    np.testing.assert_allclose(
        motion_amplitude(mean + 0.5 * (gaits - mean)),
        0.5 * motion_amplitude(gaits), rtol=1e-5)


def test_gait_realism_metric():
    metric = METRICS.build(dict(type='GaitRealismMetric'))
    gaits = torch.from_numpy(_gaits(4))
    samples = [
        dict(generated_gait=g, real_gait=g + 0.0) for g in gaits[:2]
    ]
    metric.process({}, samples)
    metric.process({}, [dict(generated_gait=g) for g in gaits[2:]])
    res = metric.evaluate(4)
    expected = bone_length_drift(gaits).mean()
    assert res['realism/generated_bone_drift'] == pytest.approx(expected)
    assert res['realism/real_bone_drift'] == pytest.approx(
        bone_length_drift(gaits[:2]).mean())
    assert res['realism/generated_foot_slide'] == pytest.approx(
        foot_slide(gaits).mean())
    assert res['realism/generated_motion'] == pytest.approx(
        motion_amplitude(gaits).mean())
    with pytest.raises(KeyError, match='generated_gait'):
        metric.process({}, [dict(real_gait=gaits[0])])
