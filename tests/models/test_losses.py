# Copyright (c) step_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS

from step_mm.models.losses import (GaitReconstructionLoss, KLDivergenceLoss,
                                   PushPullLoss, bone_length_variation,
                                   foot_contact_weights, foot_slide_sq)
from step_mm.skeleton import (REFERENCE_POSE, affective_features,
                              align_to_reference)
from step_mm.testing import make_fake_gait


def _walk(T=40, fps=30., slide=None, body_speed=0.0):
    """A hand-made gait: standing pose, feet alternately lifted.

    Each foot is on the ground for half of a 20-frame cycle. ``body_speed``
    (m/s) moves the planted foot backwards relative to the root (what a
    planted foot does in root-centred data); ``slide`` is the foot's
    horizontal offset (m) per frame while on the ground, e.g. a skate.
    """
    g = np.repeat(REFERENCE_POSE[None].astype(np.float64), T, 0)
    t = np.arange(T)
    for foot, phase in ((12, 0), (15, 10)):
        swing = ((t + phase) % 20) >= 10
        g[swing, foot, 1] += 0.2
        z = -body_speed / fps * ((t + phase) % 20)
        g[:, foot, 2] += np.where(swing, 0.0, z)
        if slide is not None:
            g[~swing, foot, 2] += slide[~swing]
    return torch.from_numpy(g)


# ------------------------------------------------------ reconstruction
def _loop_reference(a, b):
    """The reference's between-frame loss, written with loops."""
    mse = torch.nn.functional.mse_loss
    N, T = a.shape[:2]
    a = a.reshape(N, T, -1)
    b = b.reshape(N, T, -1)
    mid = T // 2 - 1
    loss = mse(a, b)
    for n in range(N):
        for t in range(T):
            for anchor in (0, mid, T - 1):
                loss = loss + mse(a[n, t] - a[n, anchor],
                                  b[n, t] - b[n, anchor])
            if t > 0:
                loss = loss + ((a[n, t] - a[n, t - 1] -
                                (b[n, t] - b[n, t - 1]))**2).sum()
            if t > 1:
                loss = loss + ((a[n, t] - 2 * a[n, t - 1] + a[n, t - 2] -
                                (b[n, t] - 2 * b[n, t - 1] + b[n, t - 2]))
                               **2).sum()
    return loss


def test_reconstruction_matches_reference_loops():
    torch.manual_seed(0)
    a = torch.randn(2, 7, 16, 3, dtype=torch.float64)
    b = a + 0.1 * torch.randn_like(a)
    loss = GaitReconstructionLoss(reduction='reference')
    assert torch.allclose(loss(b, a), _loop_reference(a, b))


def test_reconstruction_terms():
    torch.manual_seed(0)
    a = torch.randn(3, 20, 16, 3)
    loss = MODELS.build(dict(type='GaitReconstructionLoss'))
    assert float(loss(a, a)) == 0.0
    # a constant offset: only the position term; displacements unchanged
    t = loss.terms(a + 0.5, a)
    assert t['position'] == pytest.approx(0.25)
    for k in ('anchor', 'velocity', 'acceleration'):
        assert float(t[k]) == pytest.approx(0.0, abs=1e-10)
    # a jittered copy is penalised by the between-frame terms
    t = loss.terms(a + 0.1 * torch.randn_like(a), a)
    assert all(float(t[k]) > 0 for k in t)
    # 'mean' does not depend on the batch size
    b = a + 0.1
    assert torch.allclose(loss(b, a), loss(b.repeat(2, 1, 1, 1),
                                           a.repeat(2, 1, 1, 1)))
    with pytest.raises(ValueError, match='shapes differ'):
        loss(a, a[:, :10])
    with pytest.raises(ValueError, match='reduction'):
        GaitReconstructionLoss(reduction='sum')


# ------------------------------------------------------------------ KL
def test_kl_value_and_warmup():
    kl = MODELS.build(dict(type='KLDivergenceLoss', loss_weight=2.0,
                           warmup_iters=4))
    mu, logvar = torch.zeros(5, 8), torch.zeros(5, 8)
    assert float(kl.divergence(mu, logvar).sum()) == 0.0
    mu = torch.ones(5, 8)  # KL = 0.5 * 8 per sample
    kl.train()
    weights = []
    for _ in range(6):
        weights.append(kl.current_weight)
        out = kl(mu, logvar)
    assert weights == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]
    assert float(out) == pytest.approx(2.0 * 4.0)
    kl.eval()
    kl(mu, logvar)
    assert int(kl.num_iters) == 6  # eval calls do not advance
    assert 'num_iters' in kl.state_dict()
    no_warmup = KLDivergenceLoss(loss_weight=1.0)
    assert float(no_warmup(mu, logvar)) == pytest.approx(4.0)


# ------------------------------------------------------------ geometry
def test_geometry_reexported_from_skeleton():
    """``step_mm.models.losses`` re-exports the one skeleton implementation."""
    import step_mm.models.losses as losses
    import step_mm.skeleton.geometry as geometry
    for name in ('FOOT_JOINTS', 'HORIZONTAL_AXES', 'UP_AXIS', 'bone_lengths',
                 'bone_length_variation', 'foot_contact_weights',
                 'foot_slide_sq'):
        assert name in losses.__all__
        assert getattr(losses, name) is getattr(geometry, name)


def _turning(T=40):
    """The reference pose turning about the vertical: rigid bones."""
    th = torch.linspace(0, 3, T, dtype=torch.float64)
    c, s = torch.cos(th), torch.sin(th)
    rot = torch.stack([
        torch.stack([c, 0 * c, s], -1),
        torch.tensor([0., 1., 0.], dtype=torch.float64).expand(T, 3),
        torch.stack([-s, 0 * c, c], -1)
    ], 1)  # (T, 3, 3)
    pose = torch.from_numpy(REFERENCE_POSE).double()
    return torch.einsum('tij,vj->tvi', rot, pose)


def test_bone_variation_rigid_vs_stretching():
    rigid = _turning()
    assert float(bone_length_variation(rigid).max()) < 1e-10
    stretch = rigid.clone()
    scale = 1 + 0.1 * torch.sin(torch.arange(40.) / 3)
    stretch[:, 12] = stretch[:, 11] + (stretch[:, 12] -
                                       stretch[:, 11]) * scale[:, None]
    var = bone_length_variation(stretch)
    assert float(var.max()) > 1e-3
    # only the shin (bone 12 -> 11, index 11 of EGAIT_INWARD) changed
    assert int(var.argmax()) == 11


def test_foot_contact_and_slide():
    planted = _walk(body_speed=1.2)
    w = foot_contact_weights(planted)
    # each foot on the ground half of the time
    assert float(w.mean()) == pytest.approx(0.5, abs=0.05)
    # a planted foot in root-centred data (constant body speed): no slide
    assert float(foot_slide_sq(planted)) < 1e-4
    # the same foot skating back and forth while on the ground slides
    skate = _walk(body_speed=1.2,
                  slide=0.03 * np.sin(np.arange(40) * 1.3))
    assert float(foot_slide_sq(skate)) > 100 * float(
        foot_slide_sq(planted)) + 0.1
    # without body-velocity removal a stationary foot beats a moving one
    still = _walk(body_speed=0.0)
    moving = _walk(body_speed=1.2)
    raw = dict(remove_body_velocity=False)
    assert float(foot_slide_sq(still, **raw)) < 1e-8
    assert float(foot_slide_sq(moving, **raw)) > 1.0
    with pytest.raises(ValueError, match='2 frames'):
        foot_slide_sq(planted[:1])


# ---------------------------------------------------------- push-pull
def _fake_batch(labels, T=40, seed=0):
    rng = np.random.default_rng(seed)
    g = np.stack([make_fake_gait(T, int(k), rng) for k in labels])
    return torch.from_numpy(align_to_reference(g)).float()


def test_pushpull_stats_are_running_means():
    pp = PushPullLoss(num_classes=4, momentum=0.0)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    a, b = _fake_batch(labels[:4], seed=1), _fake_batch(labels[4:], seed=2)
    pp.update_real_stats(a, labels[:4])
    pp.update_real_stats(b, labels[4:])
    feats = affective_features(torch.cat([a, b]).double())[:, :28]
    assert torch.allclose(pp.feat_mean.double(), feats.mean(0), rtol=1e-4)
    assert torch.allclose(pp.feat_std.double(), feats.std(0, unbiased=False),
                          rtol=1e-3)
    for k in range(4):
        assert torch.allclose(pp.class_centroid[k].double(),
                              feats[labels == k].mean(0), rtol=1e-4)
    assert pp.class_count.tolist() == [2, 2, 2, 2]


def test_pushpull_lower_at_own_centroid():
    pp = MODELS.build(dict(type='PushPullLoss', num_classes=4, margin=3.0,
                           pull_radius=0.0))
    # class 0 and class 2 of make_fake_gait differ in cadence and swing
    labels = torch.tensor([0, 2] * 6)
    real = _fake_batch(labels)
    pp.update_real_stats(real, labels)
    gen = real[labels == 0]  # gaits with class-0 features
    own = pp.feature_terms(gen, torch.zeros(len(gen), dtype=torch.long))
    other = pp.feature_terms(gen, torch.full((len(gen), ), 2))
    assert float(own['pull'] + own['push']) < float(other['pull'] +
                                                    other['push'])
    assert float(own['pull']) < float(other['pull'])
    assert float(own['push']) < float(other['push'])


def test_pushpull_forward_and_gradients():
    pp = PushPullLoss(num_classes=4, loss_weight=2.0)
    labels = torch.arange(8) % 4
    real = _fake_batch(labels)
    gen = (real + 0.01 * torch.randn_like(real)).requires_grad_()
    pp.eval()
    out = pp(gen, labels, real, labels)  # eval: stats are not updated
    assert float(pp.feat_count) == 0
    assert out['loss_pull'].item() == 0 and out['loss_push'].item() == 0
    pp.train()
    out = pp(gen, labels, real, labels)
    assert float(pp.feat_count) == 8
    assert sorted(out) == ['loss_bone', 'loss_foot', 'loss_pull',
                           'loss_push']
    total = sum(out.values())
    total.backward()
    assert torch.isfinite(gen.grad).all() and gen.grad.abs().sum() > 0
    off = PushPullLoss(num_classes=4, loss_weight=0.0)
    off.train()
    assert all(v.item() == 0 for v in off(gen, labels, real, labels).values())
    with pytest.raises(ValueError, match='labels'):
        pp.update_real_stats(real, torch.full((8, ), 7))
    with pytest.raises(ValueError, match='feature_index'):
        PushPullLoss(feature_index=(0, 29))


def test_pushpull_realism_hinges_at_real_level():
    labels = torch.arange(8) % 4
    real = _fake_batch(labels)
    pp = PushPullLoss(num_classes=4)
    pp.update_real_stats(real, labels)
    # only real gaits above the real mean count, by how much they exceed it
    level = pp.realism_terms(real)
    assert float(level['bone']) < 0.5 * float(pp.real_realism[0])
    assert float(level['foot']) < 0.5 * float(pp.real_realism[1])
    noisy = real + 0.02 * torch.randn_like(real)
    worse = pp.realism_terms(noisy)
    assert float(worse['bone']) > 5 * float(level['bone'])
    assert float(worse['foot']) > 5 * float(level['foot'])
    raw = PushPullLoss(num_classes=4, realism_reference='zero')
    raw.update_real_stats(real, labels)
    assert float(raw.realism_terms(real)['bone']) > 0
    with pytest.raises(ValueError, match='realism_reference'):
        PushPullLoss(realism_reference='none')
