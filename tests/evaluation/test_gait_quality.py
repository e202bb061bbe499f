# Copyright (c) step_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmaction.registry import METRICS

from step_mm.evaluation.metrics import (aligned_distances, bone_length_drift,
                                        coverage, foot_slide,
                                        frechet_distance, motion_amplitude,
                                        within_class_diversity)
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


def _rotate_y(gaits, angle):
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return gaits @ rot.T


def test_aligned_distances_known_answers():
    gaits = _gaits(n=5, T=40)
    d = aligned_distances(gaits)
    assert d.shape == (5, 5)
    np.testing.assert_allclose(np.diag(d), 0, atol=1e-6)
    np.testing.assert_allclose(d, d.T, atol=1e-9)
    assert (d[~np.eye(5, dtype=bool)] > 1e-3).all()
    # turned about the vertical and moved elsewhere: the same gait
    moved = _rotate_y(gaits, 1.1) + np.array([0.7, 0.2, -2.0])
    np.testing.assert_allclose(
        np.diag(aligned_distances(gaits, moved)), 0, atol=1e-6)
    # turned about a horizontal axis is a different pose
    tilted = gaits[:, :, :, [1, 0, 2]]
    assert (np.diag(aligned_distances(gaits, tilted)) > 0.05).all()
    # two joints along X against two along Y: sqrt(2) per point
    a = np.zeros((1, 4, 2, 3))
    a[..., 0] = [-1., 1.]
    b = np.zeros((1, 4, 2, 3))
    b[..., 1] = [-1., 1.]
    assert aligned_distances(a, b)[0, 0] == pytest.approx(np.sqrt(2))
    # the closed form is the minimum over a fine search of angles
    ga, gb = gaits[0:1], gaits[3:4]
    resampled = [np.stack([g[int(round(t))] for t in np.linspace(0, 39, 40)])
                 for g in (ga[0], gb[0])]
    pa, pb = (x - x.mean((0, 1)) for x in resampled)
    brute = min(
        np.sqrt(((_rotate_y(pa, t) - pb)**2).sum(-1).mean())
        for t in np.linspace(-np.pi, np.pi, 20001))
    assert aligned_distances(ga, gb, num_frames=40)[0, 0] == pytest.approx(
        brute, rel=1e-4)
    # variable lengths: a gait and its time-stretched copy are close
    stretched = np.repeat(gaits[0], 2, axis=0)
    assert aligned_distances([gaits[0]], [stretched])[0, 0] < 0.1 * d[0, 1]
    with pytest.raises(ValueError, match='gait 0'):
        aligned_distances([np.zeros((5, 16))])
    with pytest.raises(ValueError, match='NaN'):
        aligned_distances(np.full((1, 5, 16, 3), np.nan))


def test_within_class_diversity_and_coverage():
    gaits = _gaits(n=24, T=40, seed=1)
    labels = np.arange(24) % 4
    div = within_class_diversity(gaits, labels)
    assert sorted(div) == [0, 1, 2, 3]
    assert all(v > 0 for v in div.values())
    # a copy of the set is as diverse as the set
    copy = within_class_diversity(gaits.copy(), labels)
    for c in div:
        assert copy[c] == pytest.approx(div[c])
    # identical gaits have no diversity
    same = within_class_diversity(np.repeat(gaits[:1], 6, 0), [2] * 6)
    assert same == {2: pytest.approx(0, abs=1e-6)}
    # one gait of a class is left out
    assert within_class_diversity(gaits[:5], [0, 0, 1, 1, 3]).keys() == {0, 1}
    with pytest.raises(ValueError, match='labels'):
        within_class_diversity(gaits, labels[:3])


def test_coverage():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 6))
    # a copy covers all, so does a larger sample of the same distribution
    assert coverage(real, real.copy()) == 1.0
    assert coverage(real, rng.normal(size=(2000, 6))) > 0.9
    # a collapse onto one mode covers little, far-away samples nothing
    assert coverage(real, np.repeat(real[:1], 500, 0)) < 0.1
    assert coverage(real, rng.normal(size=(500, 6)) * 0.1 + 5) == 0.0
    # half the modes: about half covered
    two = np.concatenate([rng.normal(size=(100, 6)) - 4,
                          rng.normal(size=(100, 6)) + 4])
    half = coverage(two, rng.normal(size=(300, 6)) + 4)
    assert 0.4 <= half <= 0.55
    with pytest.raises(ValueError, match='more than k'):
        coverage(real[:5], real, k=5)
    with pytest.raises(ValueError, match='same D'):
        coverage(real, real[:, :3])
