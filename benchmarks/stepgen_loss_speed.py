# Copyright (c) step_mm contributors. All rights reserved.
"""Throughput of STEP-Gen's vectorised losses against Python loops.

The loop implementation below is written here to the reference's
definition: the reconstruction loss loops over batch elements, frames and
joint coordinates as the STEP reference code does (its
``between_frame_loss``), and the push-pull/realism loss loops over batch
elements, frames, joints, bones and classes the way the reference computes
affective features (frame by frame). Both run on the same batch in one
process; their values must agree (asserted), then each is timed::

    python benchmarks/stepgen_loss_speed.py [--batch-size 32] [--repeats 20]

Writes ``benchmarks/results/stepgen_loss_speed.json`` atomically.
"""
import argparse
import math
import os
import os.path as osp
import platform
import time

import numpy as np
import torch

import step_mm  # noqa: F401
from step_mm.models.losses import GaitReconstructionLoss, PushPullLoss
from step_mm.skeleton import EGAIT_INWARD, align_to_reference
from step_mm.testing import make_fake_gait
from step_mm.utils.io import dump_json

RESULT = osp.join(osp.dirname(osp.abspath(__file__)), 'results',
                  'stepgen_loss_speed.json')


# --------------------------------------------------------------- loops
def loop_reconstruction(g1: torch.Tensor, g2: torch.Tensor) -> torch.Tensor:
    """The reference's between-frame loss, loop for loop.

    ``g1``, ``g2``: ``(N, T, V, C)``; frames are flattened to ``V * C``.
    """
    mse = torch.nn.functional.mse_loss
    N, T = g1.shape[:2]
    a = g1.reshape(N, T, -1)
    b = g2.reshape(N, T, -1)
    mid = int(T / 2) - 1
    loss = mse(a, b)
    for n in range(N):
        for t in range(T):
            loss = loss + mse(a[n, t] - a[n, 0], b[n, t] - b[n, 0])
            loss = loss + mse(a[n, t] - a[n, mid], b[n, t] - b[n, mid])
            loss = loss + mse(a[n, t] - a[n, -1], b[n, t] - b[n, -1])
            for v in range(a.shape[2]):
                if t > 0:
                    loss = loss + mse(a[n, t, v] - a[n, t - 1, v],
                                      b[n, t, v] - b[n, t - 1, v])
                if t > 1:
                    loss = loss + mse(
                        a[n, t, v] - 2 * a[n, t - 1, v] + a[n, t - 2, v],
                        b[n, t, v] - 2 * b[n, t - 1, v] + b[n, t - 2, v])
    return loss


def _n(x):
    return torch.sqrt((x * x).sum() + 1e-8)


def _ang(u, v):
    return torch.atan2(torch.linalg.cross(u, v).norm(), (u * v).sum())


def loop_affective(g: torch.Tensor, fps: float) -> torch.Tensor:
    """28 affective features of one ``(T, 16, 3)`` gait, frame by frame."""
    T = g.shape[0]
    dt = 1.0 / fps
    up = g.new_tensor([0.0, 1.0, 0.0])
    posture = [g.new_zeros(()) for _ in range(12)]
    for t in range(T):
        j = g[t]
        ext = [j[:, c].max() - j[:, c].min() for c in range(3)]
        vals = [
            ext[0] * ext[1] * ext[2],
            _ang(j[4] - j[2], j[7] - j[2]),
            _ang(j[2] - j[7], j[4] - j[7]),
            _ang(j[2] - j[4], j[7] - j[4]),
            _ang(up, j[0] - j[2]),
            _ang(j[3] - j[2], j[1] - j[2]),
            _n(j[9] - j[0]),
            _n(j[6] - j[0]),
            _n(j[15] - j[0]),
            _n(j[12] - j[0]),
            0.5 * _n(torch.linalg.cross(j[2] - j[6], j[9] - j[6])),
            0.5 * _n(torch.linalg.cross(j[0] - j[12], j[15] - j[12])),
        ]
        for i, v in enumerate(vals):
            posture[i] = posture[i] + v / T
    speed, accel, jerk = [], [], []
    for joint in (9, 6, 3, 15, 12):
        vel = [(g[t + 1, joint] - g[t, joint]) / dt for t in range(T - 1)]
        acc = [(vel[t + 1] - vel[t]) / dt for t in range(T - 2)]
        jrk = [(acc[t + 1] - acc[t]) / dt for t in range(T - 3)]
        speed.append(sum(_n(v) for v in vel) / len(vel))
        accel.append(sum(_n(v) for v in acc) / len(acc))
        jerk.append(sum(_n(v) for v in jrk) / len(jrk))
    stride = g.new_tensor(-math.inf)
    for t in range(T):
        stride = torch.maximum(stride, _n(g[t, 12] - g[t, 15]))
    return torch.stack(posture + speed + accel + jerk + [stride])


def loop_pushpull(loss: PushPullLoss, gen: torch.Tensor,
                  labels: torch.Tensor) -> torch.Tensor:
    """The push-pull and realism terms of :class:`PushPullLoss`, with
    loops over batch elements, frames, joints, bones, feet and classes."""
    N, T = gen.shape[:2]
    K = loss.num_classes
    mean, std = loss.feat_mean, loss.feat_std
    cent = loss.class_centroid
    margin = loss.contact_cfg.get('height_margin', 0.04)
    soft = loss.contact_cfg.get('softness', 0.01)
    hinge = loss.realism_reference == 'real' and float(loss.feat_count) > 0
    real_bone, real_foot = (float(v) for v in loss.real_realism)
    pull = push = bone = foot = gen.new_zeros(())
    for n in range(N):
        g = gen[n]
        y = int(labels[n])
        f = loop_affective(g, loss.fps)
        dists = []
        for k in range(K):
            acc = g.new_zeros(())
            for d in range(f.shape[0]):
                z = (f[d] - mean[d]) / std[d]
                c = (cent[k, d] - mean[d]) / std[d]
                acc = acc + (z - c)**2
            dists.append(torch.sqrt(acc / f.shape[0] + 1e-6))
        pull = pull + torch.relu(dists[y] - loss.pull_radius) / N
        others = [k for k in range(K) if k != y]
        push = push + sum(
            torch.relu(loss.margin - dists[k]) for k in others) / len(
                others) / N
        # bones: relative variance of each bone's length over frames
        rel = g.new_zeros(())
        for c, p in EGAIT_INWARD:
            lens = [_n(g[t, c] - g[t, p]) for t in range(T)]
            m = sum(lens) / T
            var = sum((ln - m)**2 for ln in lens) / T
            rel = rel + var / (m**2 + 1e-8)
        rel = rel / len(EGAIT_INWARD)
        if hinge:
            rel = torch.relu(rel - real_bone)
        bone = bone + rel / N
        # feet: contact weights, body velocity, sliding
        w_all, v_all = [], []
        for joint in (12, 15):
            h = g[:, joint, 1].detach()
            low = h[0]
            for t in range(1, T):
                low = torch.minimum(low, h[t])
            w = [torch.sigmoid((low + margin - h[t]) / soft)
                 for t in range(T)]
            for t in range(T - 1):
                w_all.append(w[t + 1] * w[t])
                v_all.append((g[t + 1, joint, [0, 2]] - g[t, joint, [0, 2]])
                             * loss.fps)
        w_sum = torch.clamp(sum(w_all), min=1e-8)
        body = sum(w * v for w, v in zip(w_all, v_all)) / w_sum
        slide = sum(w * ((v - body)**2).sum()
                    for w, v in zip(w_all, v_all)) / w_sum
        if hinge:
            slide = torch.relu(slide - real_foot)
        foot = foot + slide / N
    return loss.loss_weight * (
        loss.pull_weight * pull + loss.push_weight * push +
        loss.bone_weight * bone + loss.foot_weight * foot)


# ----------------------------------------------------------- benchmark
def make_batch(n: int, T: int = 75, seed: int = 0):
    """Real-like gaits (generated, not E-Gait) and a noisy 'output'."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 4
    real = np.stack([make_fake_gait(T, int(k), rng) for k in labels])
    real = align_to_reference(real)
    gen = real + rng.normal(0, 0.02, real.shape).astype(np.float32)
    return (torch.from_numpy(real).double(), torch.from_numpy(gen).double(),
            torch.from_numpy(labels))


def timed(fn, repeats: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--frames', type=int, default=75)
    parser.add_argument('--repeats', type=int, default=20,
                        help='timed calls of the vectorised losses')
    parser.add_argument('--loop-repeats', type=int, default=1,
                        help='timed calls of the loop losses')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', default=RESULT)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    real, gen, labels = make_batch(args.batch_size, args.frames)
    recon = GaitReconstructionLoss(reduction='reference')
    pp = PushPullLoss(num_classes=4)
    pp.update_real_stats(real, labels)
    pp.eval()

    def vec_recon():
        with torch.no_grad():
            return recon(gen, real)

    def vec_pp():
        with torch.no_grad():
            return sum(pp(gen, labels).values())

    def loop_recon():
        with torch.no_grad():
            return loop_reconstruction(real, gen)

    def loop_pp():
        with torch.no_grad():
            return loop_pushpull(pp, gen, labels)

    values = dict(
        recon_vectorised=float(vec_recon()),
        recon_loop=float(loop_recon()),
        pushpull_vectorised=float(vec_pp()),
        pushpull_loop=float(loop_pp()))
    for name in ('recon', 'pushpull'):
        v, lp = values[f'{name}_vectorised'], values[f'{name}_loop']
        assert math.isclose(v, lp, rel_tol=1e-6, abs_tol=1e-9), (
            f'{name}: vectorised {v!r} != loop {lp!r}')

    t_vec_recon = timed(vec_recon, args.repeats)
    t_vec_pp = timed(vec_pp, args.repeats)
    t_loop_recon = timed(loop_recon, args.loop_repeats)
    t_loop_pp = timed(loop_pp, args.loop_repeats)

    gen_grad = gen.clone().float().requires_grad_()

    def vec_both_backward():
        out = recon(gen_grad, real.float()) + sum(
            pp(gen_grad, labels).values())
        out.backward()

    t_vec_bwd = timed(vec_both_backward, args.repeats)
    t_vec = t_vec_recon + t_vec_pp
    t_loop = t_loop_recon + t_loop_pp
    result = dict(
        batch=dict(batch_size=args.batch_size, frames=args.frames,
                   joints=16, dtype='float64'),
        seconds=dict(
            recon_vectorised=t_vec_recon,
            recon_loop=t_loop_recon,
            pushpull_vectorised=t_vec_pp,
            pushpull_loop=t_loop_pp,
            total_vectorised=t_vec,
            total_loop=t_loop,
            vectorised_forward_backward_float32=t_vec_bwd),
        speedup=dict(
            recon=t_loop_recon / t_vec_recon,
            pushpull=t_loop_pp / t_vec_pp,
            total=t_loop / t_vec),
        values=values,
        gaits_per_second=dict(
            vectorised=args.batch_size / t_vec,
            loop=args.batch_size / t_loop),
        env=dict(
            torch=torch.__version__, threads=torch.get_num_threads(),
            cpu_count=os.cpu_count(), load_average=os.getloadavg(),
            machine=platform.machine()),
        command='python benchmarks/stepgen_loss_speed.py '
        f'--batch-size {args.batch_size} --repeats {args.repeats}')
    dump_json(result, args.out, indent=2)
    print(f'batch {args.batch_size} x {args.frames} frames: '
          f'reconstruction {t_loop_recon * 1e3:.0f} ms (loops) vs '
          f'{t_vec_recon * 1e3:.2f} ms (vectorised), push-pull '
          f'{t_loop_pp * 1e3:.0f} ms vs {t_vec_pp * 1e3:.2f} ms; '
          f'total speed-up {t_loop / t_vec:.0f}x (values agree: recon '
          f'{values["recon_vectorised"]:.6g}, push-pull '
          f'{values["pushpull_vectorised"]:.6g})')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
