# Copyright (c) step_mm contributors. All rights reserved.
"""Quality metrics of generated gaits: Fréchet distance, bone-length drift,
foot sliding, and :class:`GaitRealismMetric` for STEP-Gen's val/test loops.

Bone lengths and foot contact come from :mod:`step_mm.skeleton.geometry`,
the same code the push-pull loss trains with.
"""
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric

from step_mm.skeleton.geometry import (bone_length_variation,
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
