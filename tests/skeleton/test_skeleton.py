# Copyright (c) step_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from step_mm.skeleton import (AFFECTIVE_FEATURE_NAMES, EGAIT_BONE_PAIRS,
                              EGAIT_INWARD, EGAIT_LAYOUT, FLIP_INDEX,
                              NUM_AFFECTIVE_FEATURES, REFERENCE_POSE,
                              affective_features, align_to_reference)
from step_mm.testing import make_fake_gait


def test_layout_is_a_tree_usable_by_mmaction_graph():
    from mmaction.models.utils import Graph
    assert len(EGAIT_INWARD) == 15
    children = {c for c, _ in EGAIT_INWARD}
    assert children == set(range(1, 16))
    g = Graph(layout=EGAIT_LAYOUT, mode='stgcn_spatial')
    assert g.A.shape == (3, 16, 16)
    assert len(EGAIT_BONE_PAIRS) == 16
    assert sorted(FLIP_INDEX[FLIP_INDEX]) == list(range(16))
    assert REFERENCE_POSE.shape == (16, 3)


def test_alignment_invariant_to_rotation_scale():
    g = make_fake_gait(40, 1, np.random.default_rng(1))
    a = align_to_reference(g)
    rot = Rotation.random(random_state=3).as_matrix()
    b = align_to_reference(37.0 * g @ rot.T + 5.0)
    np.testing.assert_allclose(a, b, atol=1e-4)
    # the torso is brought onto the reference's orientation (facing +Z)
    assert a[..., 4, 0].mean() > 0 > a[..., 7, 0].mean()
    # batched call equals per-gait calls
    both = align_to_reference(np.stack([g, 2 * g]))
    np.testing.assert_allclose(both[0], a, atol=1e-5)


def test_affective_features_shapes_and_values():
    g = make_fake_gait(30, 0, np.random.default_rng(0))
    f = affective_features(g)
    assert f.shape == (NUM_AFFECTIVE_FEATURES, ) == (
        len(AFFECTIVE_FEATURE_NAMES), )
    assert np.isfinite(f).all()
    # a gait standing still has zero speed, acceleration and jerk
    still = np.repeat(REFERENCE_POSE[None].astype(np.float64), 20, 0)
    fs = affective_features(still)
    np.testing.assert_allclose(fs[12:27], 0, atol=1e-3)
    # shoulders-at-neck angle of the reference: known geometry
    expected = np.arccos(np.dot(
        (REFERENCE_POSE[4] - REFERENCE_POSE[2]) /
        np.linalg.norm(REFERENCE_POSE[4] - REFERENCE_POSE[2]),
        (REFERENCE_POSE[7] - REFERENCE_POSE[2]) /
        np.linalg.norm(REFERENCE_POSE[7] - REFERENCE_POSE[2])))
    assert fs[1] == pytest.approx(expected, abs=1e-5)
    # speeds scale with fps
    f60 = affective_features(g, fps=60.)
    np.testing.assert_allclose(f60[12:17], 2 * f[12:17], rtol=1e-6)


def test_affective_features_batched_and_differentiable():
    rng = np.random.default_rng(0)
    g = np.stack([make_fake_gait(32, k, rng) for k in range(4)])
    x = torch.tensor(g, requires_grad=True)
    f = affective_features(x)
    assert f.shape == (4, 29)
    np.testing.assert_allclose(f[2].detach().numpy(), affective_features(g[2]),
                               rtol=1e-6)
    f[:, :27].sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_affective_features_rejects_bad_shapes():
    with pytest.raises(ValueError, match='16, 3'):
        affective_features(np.zeros((10, 15, 3)))
    with pytest.raises(ValueError, match='4 frames'):
        affective_features(np.zeros((3, 16, 3)))


# The official file's column order is undocumented; these correspondences
# (our index -> official column) were found by correlation on E-Gait.
OFFICIAL_MATCH = {1: 1, 2: 3, 3: 2, 5: 21, 6: 6, 7: 5, 12: 12, 13: 11, 14: 13}


def test_affective_features_match_official_file(egait_root):
    from step_mm.datasets import load_gait_files
    gaits = load_gait_files(f'{egait_root}/features.h5',
                            f'{egait_root}/labels.h5',
                            ('a', 'b', 'c', 'd'),
                            f'{egait_root}/affectiveFeatures.h5')
    assert len(gaits) == 342
    ours = np.stack([
        affective_features(align_to_reference(g['joints']).astype(
            np.float64)) for g in gaits
    ])
    official = np.stack([g['official_affective'] for g in gaits])
    corr = np.corrcoef(ours.T, official.T)[:29, 29:]
    best = np.abs(corr).max(1)
    print('\nper-feature |r| with the best-matching official column:')
    for i, name in enumerate(AFFECTIVE_FEATURE_NAMES):
        print(f'  {i:2d} {name:28s} {best[i]:.2f} (col '
              f'{np.abs(corr[i]).argmax()})')
    for ours_i, off_j in OFFICIAL_MATCH.items():
        assert abs(corr[ours_i, off_j]) > 0.7, (ours_i, corr[ours_i, off_j])
    assert np.median(best) > 0.6
