# Copyright (c) step_mm contributors. All rights reserved.
"""Quality metrics of generated gaits: Fréchet distance, bone-length drift,
foot sliding, motion amplitude, within-class diversity and coverage (mode
collapse), and :class:`GaitRealismMetric` for STEP-Gen's val/test loops.

Bone lengths and foot contact come from :mod:`step_mm.skeleton.geometry`,
the same code the push-pull loss trains with.
"""
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric

from step_mm.datasets.transforms.gait_transforms import resample_frames
from step_mm.skeleton.geometry import (HORIZONTAL_AXES, UP_AXIS,
                                       bone_length_variation,
                                       foot_contact_weights, foot_slide_sq)

GaitsLike = Union[np.ndarray, torch.Tensor, Sequence[np.ndarray]]


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets.

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, with the trace
    of the matrix square root computed from the eigenvalues of the
    symmetric ``S_a^(1/2) S_b S_a^(1/2)`` (stable, no complex parts).

    Args:
        feats_a (np.ndarray): ``(N_a, D)`` features, ``N_a >= 2``.
        feats_b (np.ndarray): ``(N_b, D)`` features, ``N_b >= 2``.

    Returns:
        float: The distance (0 for identical sets).
    """
    a = np.asarray(feats_a, dtype=np.float64)
    b = np.asarray(feats_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError('frechet_distance expects (N, D) feature sets with '
                         f'the same D, got {a.shape} and {b.shape}')
    if len(a) < 2 or len(b) < 2:
        raise ValueError('frechet_distance needs at least 2 samples per set,'
                         f' got {len(a)} and {len(b)}')
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError('frechet_distance: features hold NaN/inf')
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    w, v = np.linalg.eigh(cov_a)
    half_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = half_a @ cov_b @ half_a
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0,
                              None)).sum()
    fd = ((mu_a - mu_b)**2).sum() + np.trace(cov_a) + np.trace(
        cov_b) - 2 * tr_sqrt
    return float(max(fd, 0.0))


def _as_batches(gaits: GaitsLike) -> List[torch.Tensor]:
    """Group gaits into float64 tensors ``(n, T, V, 3)`` of equal length."""
    if isinstance(gaits, (np.ndarray, torch.Tensor)):
        t = torch.as_tensor(gaits).detach().cpu().double()
        if t.ndim == 3:
            t = t[None]
        if t.ndim != 4 or t.shape[-1] != 3:
            raise ValueError('expected gaits (N, T, V, 3) or a list of '
                             f'(T, V, 3), got {tuple(t.shape)}')
        return [t]
    by_len: Dict[int, List[torch.Tensor]] = {}
    for i, g in enumerate(gaits):
        t = torch.as_tensor(np.asarray(g)).double()
        if t.ndim != 3 or t.shape[-1] != 3:
            raise ValueError(f'gait {i}: expected (T, V, 3), got '
                             f'{tuple(t.shape)}')
        by_len.setdefault(t.shape[0], []).append(t)
    return [torch.stack(v) for v in by_len.values()]


def _per_gait(gaits: GaitsLike, fn) -> np.ndarray:
    """Apply ``fn`` to equal-length groups; values in the input order."""
    if isinstance(gaits, (np.ndarray, torch.Tensor)):
        return fn(_as_batches(gaits)[0]).numpy()
    gaits = list(gaits)
    lengths = [np.asarray(g).shape[0] for g in gaits]
    out = np.empty(len(gaits))
    for T, batch in zip(dict.fromkeys(lengths), _as_batches(gaits)):
        idx = [i for i, n in enumerate(lengths) if n == T]
        out[idx] = fn(batch).numpy()
    return out


def bone_length_drift(gaits: GaitsLike) -> np.ndarray:
    """Per gait, the mean over bones of ``std_t(length) / mean_t(length)``.

    0 for a rigid skeleton; 0.05 when bones change length by 5 % (one
    standard deviation) over the sequence.

    Args:
        gaits (np.ndarray | torch.Tensor | Sequence[np.ndarray]):
            ``(N, T, 16, 3)`` or a list of ``(T_i, 16, 3)``.

    Returns:
        np.ndarray: ``(N,)``.
    """
    return _per_gait(gaits,
                     lambda g: bone_length_variation(g).sqrt().mean(-1))


def foot_slide(gaits: GaitsLike,
               fps: float = 30.0,
               remove_body_velocity: bool = True,
               **contact_kwargs) -> np.ndarray:
    """Per gait, the RMS horizontal speed of the feet while in contact.

    Contact is soft (:func:`foot_contact_weights`: near the foot's lowest
    height); with ``remove_body_velocity`` the gait's body velocity is
    removed first, as root-centred data need (see
    :mod:`step_mm.skeleton.geometry`).

    Args:
        gaits (np.ndarray | torch.Tensor | Sequence[np.ndarray]):
            ``(N, T, 16, 3)`` or a list of ``(T_i, 16, 3)``, metres.
        fps (float): Frame rate. Defaults to 30.
        remove_body_velocity (bool): Defaults to True.
        **contact_kwargs: ``height_margin``, ``softness`` of the contact.

    Returns:
        np.ndarray: ``(N,)`` in metres per second.
    """

    def fn(g):
        contact = foot_contact_weights(g, **contact_kwargs)
        return foot_slide_sq(
            g, fps, contact=contact,
            remove_body_velocity=remove_body_velocity).sqrt()

    return _per_gait(gaits, fn)


def motion_amplitude(gaits: GaitsLike) -> np.ndarray:
    """Per gait, the mean over joints and axes of the standard deviation of
    the joint positions over time (metres).

    A generated set that is realistic in every frame but moves less than
    the real one (legs that drag) shows up here.

    Args:
        gaits (np.ndarray | torch.Tensor | Sequence[np.ndarray]):
            ``(N, T, V, 3)`` or a list of ``(T_i, V, 3)``.

    Returns:
        np.ndarray: ``(N,)``.
    """
    return _per_gait(gaits, lambda g: g.std(-3, unbiased=False).mean((-2,
                                                                      -1)))


def _resampled(gaits: GaitsLike, num_frames: int) -> np.ndarray:
    """Gaits as ``(N, num_frames, V, 3)``, linearly resampled in time and
    centred on their mean over frames and joints."""
    if isinstance(gaits, (np.ndarray, torch.Tensor)):
        arr = torch.as_tensor(gaits).detach().cpu().double().numpy()
        gaits = list(arr[None] if arr.ndim == 3 else arr)
    out = []
    for i, g in enumerate(gaits):
        g = np.asarray(g, dtype=np.float64)
        if g.ndim != 3 or g.shape[-1] != 3 or len(g) < 1:
            raise ValueError(f'gait {i}: expected (T, V, 3), got {g.shape}')
        if not np.isfinite(g).all():
            raise ValueError(f'gait {i}: holds NaN/inf')
        out.append(resample_frames(g[None], num_frames)[0].astype(np.float64))
    if len({g.shape[1] for g in out}) > 1:
        raise ValueError('gaits have different numbers of joints')
    x = np.stack(out)
    return x - x.mean((1, 2), keepdims=True)


def aligned_distances(gaits_a: GaitsLike,
                      gaits_b: Optional[GaitsLike] = None,
                      num_frames: int = 32) -> np.ndarray:
    """RMS joint distance between gaits after aligning each pair.

    Each gait is resampled to ``num_frames`` frames and centred on its mean
    position; for each pair the rotation about the vertical axis that best
    maps one onto the other (least squares, in closed form) is applied
    before the root-mean-square distance over frames and joints is taken.
    So a gait walking in another direction or elsewhere in the room is
    still the same gait (distance 0), while a different pose or motion is
    not.

    Args:
        gaits_a (np.ndarray | torch.Tensor | Sequence[np.ndarray]):
            ``(N, T, V, 3)`` or a list of ``(T_i, V, 3)``, Y up.
        gaits_b (optional): Likewise ``M`` gaits; defaults to ``gaits_a``.
        num_frames (int): Common length. Defaults to 32.

    Returns:
        np.ndarray: ``(N, M)`` distances in the gaits' units.

    Examples:
        >>> a = np.zeros((1, 4, 2, 3)); a[..., 0] = [-1., 1.]
        >>> b = np.zeros((1, 4, 2, 3)); b[..., 1] = [-1., 1.]
        >>> round(float(aligned_distances(a, b)[0, 0]) ** 2, 6)
        2.0
    """
    a = _resampled(gaits_a, num_frames)
    b = a if gaits_b is None else _resampled(gaits_b, num_frames)
    if a.shape[2] != b.shape[2]:
        raise ValueError('aligned_distances: the two sets have different '
                         f'numbers of joints ({a.shape[2]} and {b.shape[2]})')
    points = a.shape[1] * a.shape[2]
    ha, hb = (x[..., list(HORIZONTAL_AXES)].reshape(len(x), -1, 2)
              for x in (a, b))
    ya, yb = (x[..., UP_AXIS].reshape(len(x), -1) for x in (a, b))
    dot = ha[..., 0] @ hb[..., 0].T + ha[..., 1] @ hb[..., 1].T
    cross = ha[..., 0] @ hb[..., 1].T - ha[..., 1] @ hb[..., 0].T
    sq_a = (ha**2).sum((1, 2)) + (ya**2).sum(1)
    sq_b = (hb**2).sum((1, 2)) + (yb**2).sum(1)
    # min over the angle of |R(theta) p - q|^2 = |p|^2 + |q|^2 -
    # 2 sqrt(dot^2 + cross^2) for the horizontal part; Y is not rotated.
    sq = (sq_a[:, None] + sq_b[None] - 2 * np.hypot(dot, cross) -
          2 * ya @ yb.T)
    return np.sqrt(np.clip(sq, 0, None) / points)


def within_class_diversity(gaits: GaitsLike,
                           labels: Sequence[int],
                           num_frames: int = 32) -> Dict[int, float]:
    """Mean pairwise :func:`aligned_distances` within each class.

    A set of identical gaits scores 0; a copy of a set scores what the set
    does. Classes with fewer than two gaits are left out.

    Args:
        gaits (np.ndarray | torch.Tensor | Sequence[np.ndarray]): ``N``
            gaits.
        labels (Sequence[int]): ``N`` class indices.
        num_frames (int): Common length. Defaults to 32.

    Returns:
        dict: Class index to its diversity.
    """
    labels = np.asarray(labels)
    dist = aligned_distances(gaits, num_frames=num_frames)
    if len(labels) != len(dist):
        raise ValueError(f'within_class_diversity: {len(dist)} gaits but '
                         f'{len(labels)} labels')
    out = {}
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if len(idx) < 2:
            continue
        sub = dist[np.ix_(idx, idx)]
        out[int(c)] = float(sub[np.triu_indices(len(idx), 1)].mean())
    return out


def coverage(real_feats: np.ndarray,
             gen_feats: np.ndarray,
             k: int = 5) -> float:
    """Share of real samples with a generated one in their neighbourhood.

    The coverage of Naeem et al. (ICML 2020, "Reliable fidelity and
    diversity metrics for generative models"): a real sample is covered
    when some generated sample is closer to it (Euclidean, in a feature
    space, e.g. the one :func:`frechet_distance` is computed in) than its
    ``k``-th nearest real neighbour. A generator that collapses onto a few
    modes covers little of the real set, however realistic each of its
    samples is; a copy of the real set covers all of it (1.0).

    Args:
        real_feats (np.ndarray): ``(N, D)`` with ``N > k``.
        gen_feats (np.ndarray): ``(M, D)``.
        k (int): Neighbourhood size. Defaults to 5.

    Returns:
        float: In ``[0, 1]``.
    """
    a = np.asarray(real_feats, dtype=np.float64)
    b = np.asarray(gen_feats, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError('coverage expects (N, D) feature sets with the '
                         f'same D, got {a.shape} and {b.shape}')
    if len(a) <= k:
        raise ValueError(f'coverage: needs more than k={k} real samples, '
                         f'got {len(a)}')
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError('coverage: features hold NaN/inf')

    from scipy.spatial.distance import cdist  # lazy: not on import

    # the k-th nearest neighbour, the sample itself (distance 0) excluded
    radius = np.sort(cdist(a, a), axis=1)[:, k]
    return float((cdist(a, b).min(1) <= radius).mean())


@METRICS.register_module()
class GaitRealismMetric(BaseMetric):
    """Bone-length drift and foot sliding of STEP-Gen's generated gaits.

    Reads ``generated_gait`` (and, if present, ``real_gait``) from the data
    samples that ``STEPGen.predict`` returns, and reports the means of
    :func:`bone_length_drift`, :func:`foot_slide` and
    :func:`motion_amplitude` for both, so that the generated values can be
    read next to the real ones.

    Args:
        fps (float): Frame rate. Defaults to 30.
        contact_cfg (dict, optional): ``height_margin`` / ``softness`` of
            the foot contact.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'realism'``.

    Examples:
        >>> val_evaluator = dict(type='GaitRealismMetric')
    """
    default_prefix = 'realism'

    def __init__(self,
                 fps: float = 30.0,
                 contact_cfg: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.fps = fps
        self.contact_cfg = dict(contact_cfg or {})

    def _scores(self, gaits: torch.Tensor) -> Dict[str, np.ndarray]:
        return dict(
            bone_drift=bone_length_drift(gaits),
            foot_slide=foot_slide(gaits, self.fps, **self.contact_cfg),
            motion=motion_amplitude(gaits))

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Score one batch of predictions."""
        if not all('generated_gait' in ds for ds in data_samples):
            raise KeyError("GaitRealismMetric: data samples lack "
                           "'generated_gait'; use it with STEPGen's predict")
        batch = [dict() for _ in data_samples]
        for src in ('generated', 'real'):
            key = f'{src}_gait'
            if not all(key in ds for ds in data_samples):
                continue
            gaits = torch.stack([
                torch.as_tensor(ds[key]).detach().cpu()
                for ds in data_samples
            ])
            for name, vals in self._scores(gaits).items():
                for res, v in zip(batch, vals):
                    res[f'{src}_{name}'] = float(v)
        self.results.extend(batch)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Means over every scored gait."""
        keys = sorted({k for r in results for k in r})
        return {
            k: float(np.mean([r[k] for r in results if k in r]))
            for k in keys
        }
