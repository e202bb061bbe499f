# Copyright (c) step_mm contributors. All rights reserved.
"""Geometric normalisation of gaits: root-centring and similarity alignment.

All functions take joint arrays ``(..., T, V, 3)`` and are vectorised over
the leading axes.
"""
from typing import Tuple

import numpy as np

from .layout import REFERENCE_POSE, TORSO_JOINTS


def root_center(joints: np.ndarray, root: int = 0) -> np.ndarray:
    """Subtract the root joint from every joint in every frame.

    Args:
        joints (np.ndarray): ``(..., T, V, 3)``.
        root (int): Index of the root joint. Defaults to 0.

    Returns:
        np.ndarray: Root-centred joints of the same shape.
    """
    return joints - joints[..., root:root + 1, :]


def similarity_transform(source: np.ndarray,
                         target: np.ndarray,
                         with_scale: bool = True
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """Rotation and scale that best map ``source`` points onto ``target``.

    Umeyama's least-squares solution without translation (both point sets
    are root-centred), with the reflection removed so the result is a proper
    rotation.

    Args:
        source (np.ndarray): ``(..., K, 3)`` points.
        target (np.ndarray): ``(K, 3)`` points.
        with_scale (bool): Also estimate a uniform scale. Defaults to True.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``R (..., 3, 3)`` and ``s (...)`` such
        that ``s * source @ R.T`` approximates ``target``.
    """
    cov = np.einsum('kc,...kd->...cd', target, source)
    u, d, vt = np.linalg.svd(cov)
    sign = np.sign(np.linalg.det(u @ vt))
    sign = np.where(sign == 0, 1.0, sign)
    fix = np.ones(d.shape)
    fix[..., -1] = sign
    rot = (u * fix[..., None, :]) @ vt
    if with_scale:
        var = (source**2).sum((-1, -2))
        scale = (d * fix).sum(-1) / np.maximum(var, 1e-12)
    else:
        scale = np.ones(cov.shape[:-2])
    return rot, scale


def align_to_reference(joints: np.ndarray,
                       with_scale: bool = True,
                       reference: np.ndarray = REFERENCE_POSE,
                       torso: Tuple[int, ...] = TORSO_JOINTS) -> np.ndarray:
    """Root-centre gaits and align them to the fixed reference pose.

    The rotation (and optionally the scale) is estimated once per gait from
    the time-averaged torso joints and applied to every frame, so the motion
    itself is unchanged. The result is invariant to the input's orientation,
    units and (with ``with_scale``) body size.

    Args:
        joints (np.ndarray): ``(..., T, 16, 3)``.
        with_scale (bool): Normalise body size to the reference's.
            Defaults to True.
        reference (np.ndarray): ``(16, 3)`` reference pose.
            Defaults to :data:`REFERENCE_POSE`.
        torso (tuple[int]): Joints used to estimate the transform.

    Returns:
        np.ndarray: Aligned joints, same shape, float32.
    """
    x = root_center(np.asarray(joints, dtype=np.float64))
    torso = list(torso)
    mean_torso = x[..., torso, :].mean(-3)  # (..., K, 3)
    ref = np.asarray(reference, dtype=np.float64)[torso]
    rot, scale = similarity_transform(mean_torso, ref, with_scale)
    out = np.einsum('...tvc,...dc->...tvd', x, rot)
    out = out * scale[..., None, None, None]
    return out.astype(np.float32)
