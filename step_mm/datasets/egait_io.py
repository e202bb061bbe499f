# Copyright (c) step_mm contributors. All rights reserved.
"""Reading gaits stored in the official E-Gait h5 layout, with clear errors.

The layout: ``features*.h5`` holds one dataset per gait, ``(T, 48)`` = 16
joints x (x, y, z) per frame; ``labels*.h5`` holds a scalar integer label
under the same key; ``affectiveFeatures*.h5`` optionally holds ``(29,)``
precomputed features under the same key. Keys are matched by name.
"""
import logging
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log

try:
    import h5py
except ImportError as e:  # pragma: no cover
    raise ImportError('step_mm needs h5py to read E-Gait: pip install h5py'
                      ) from e

from step_mm.skeleton import NUM_JOINTS

__all__ = ['GaitFileError', 'read_h5_arrays', 'load_gait_files',
           'write_gait_h5', 'label_from_key']


class GaitFileError(ValueError):
    """A gait file is missing, unreadable or holds invalid content."""


def read_h5_arrays(path: str) -> Dict[str, np.ndarray]:
    """Read every dataset of an h5 file into memory.

    Args:
        path (str): The h5 file.

    Returns:
        dict[str, np.ndarray]: Key to array.

    Raises:
        GaitFileError: If the file is missing, not h5, truncated or empty.
    """
    if not osp.isfile(path):
        raise GaitFileError(f'{path}: file not found')
    try:
        with h5py.File(path, 'r') as f:
            out = {}
            for key in f.keys():
                item = f[key]
                if not isinstance(item, h5py.Dataset):
                    raise GaitFileError(
                        f'{path}: key {key!r} is a group, expected a dataset'
                        ' (official E-Gait layout: one dataset per gait)')
                out[key] = item[()]
    except GaitFileError:
        raise
    except (OSError, KeyError, RuntimeError, ValueError) as e:
        raise GaitFileError(
            f'{path}: cannot read as HDF5 (not an h5 file, or truncated): '
            f'{e}') from e
    if not out:
        raise GaitFileError(f'{path}: the file holds no gaits')
    return out


def label_from_key(key: str, class_names: Sequence[str]) -> int:
    """Find the label of a synthetic gait in its key.

    Synthetic files (``featuresCVAEGCN_*.h5``, ``tools/generate_gaits.py``)
    name the emotion in the key, e.g. ``00012_Happy``; a purely numeric last
    token (``00012_2``) is read as the label index.

    Args:
        key (str): The gait's key.
        class_names (Sequence[str]): Class names, index = label.

    Returns:
        int: The label.

    Raises:
        GaitFileError: If no class name or index is found.
    """
    tokens = re.split(r'[_\-.\s]+', key.lower())
    names = [c.lower() for c in class_names]
    for tok in reversed(tokens):
        if tok in names:
            return names.index(tok)
    if tokens and tokens[-1].isdigit() and int(tokens[-1]) < len(names):
        return int(tokens[-1])
    raise GaitFileError(
        f'key {key!r}: no class name of {tuple(class_names)} in the key '
        '(needed when no labels file is given)')


def load_gait_files(features_path: str,
                    labels_path: Optional[str],
                    class_names: Sequence[str],
                    affective_path: Optional[str] = None,
                    min_frames: int = 1,
                    skip_invalid: bool = False) -> List[dict]:
    """Load gaits, labels and (optionally) official affective features.

    Args:
        features_path (str): ``features*.h5``.
        labels_path (str, optional): ``labels*.h5``; None reads the label
            from each key (synthetic sets).
        class_names (Sequence[str]): Class names; labels must lie in
            ``range(len(class_names))``.
        affective_path (str, optional): ``affectiveFeatures*.h5``.
        min_frames (int): Shortest accepted gait. Defaults to 1.
        skip_invalid (bool): Skip (and log) gaits with a per-gait problem
            (shape, too short, NaN/inf, bad label) instead of raising.
            File-level problems always raise. Defaults to False.

    Returns:
        list[dict]: Sorted by key, each with ``key``, ``joints``
        ``(T, 16, 3)`` float32, ``label`` and optionally
        ``official_affective`` ``(29,)`` float32.

    Raises:
        GaitFileError: On any inconsistency, naming the file, key and problem.
    """
    feats = read_h5_arrays(features_path)
    labels = read_h5_arrays(labels_path) if labels_path else None
    affective = read_h5_arrays(affective_path) if affective_path else None
    keys = sorted(feats)
    for other, path in ((labels, labels_path), (affective, affective_path)):
        if other is None:
            continue
        missing = [k for k in keys if k not in other]
        extra = [k for k in other if k not in feats]
        if missing or extra:
            raise GaitFileError(
                f'keys differ between {features_path} and {path}: '
                f'{len(missing)} missing from {osp.basename(path)} '
                f'(e.g. {missing[:3]}), {len(extra)} missing from '
                f'{osp.basename(features_path)} (e.g. {extra[:3]})')
    width = NUM_JOINTS * 3
    out = []
    for key in keys:
        try:
            out.append(
                _check_gait(key, feats[key], labels, affective, width,
                            features_path, labels_path, affective_path,
                            class_names, min_frames))
        except GaitFileError as e:
            if not skip_invalid:
                raise
            print_log(f'skipped an invalid gait: {e}', logger='current',
                      level=logging.WARNING)
    return out


def _is_real(arr: np.ndarray) -> bool:
    """Whether ``arr`` holds real numbers (not strings, complex, objects).
    """
    return (np.issubdtype(arr.dtype, np.integer)
            or np.issubdtype(arr.dtype, np.floating))


def _check_gait(key, arr, labels, affective, width, features_path,
                labels_path, affective_path, class_names, min_frames):
    """Validate one gait and build its record (see load_gait_files)."""
    arr = np.asarray(arr)
    if not _is_real(arr):
        raise GaitFileError(
            f'{features_path}: key {key!r} holds {arr.dtype} values, '
            'expected real numbers (joint coordinates)')
    if arr.ndim != 2 or arr.shape[1] != width:
        raise GaitFileError(
            f'{features_path}: key {key!r} has shape {arr.shape}, '
            f'expected (T, {width}) = 16 joints x (x, y, z) per row')
    if arr.shape[0] < max(min_frames, 1):
        raise GaitFileError(
            f'{features_path}: key {key!r} has {arr.shape[0]} frames, '
            f'at least {max(min_frames, 1)} needed')
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise GaitFileError(
            f'{features_path}: key {key!r} holds NaN/inf joints '
            f'(first at frame {bad[0]}, column {bad[1]})')
    if labels is not None:
        lab = np.asarray(labels[key]).reshape(-1)
        if not _is_real(lab):
            raise GaitFileError(
                f'{labels_path}: key {key!r} label {lab.tolist()!r} is of '
                f'type {lab.dtype}, expected an integer class index 0..'
                f'{len(class_names) - 1} for classes {tuple(class_names)}')
        if lab.size != 1 or not np.isfinite(lab).all() \
                or float(lab[0]) != int(lab[0]):
            raise GaitFileError(
                f'{labels_path}: key {key!r} label {lab!r} is not one '
                'integer')
        label = int(lab[0])
    else:
        label = label_from_key(key, class_names)
    if not 0 <= label < len(class_names):
        raise GaitFileError(
            f'{labels_path or features_path}: key {key!r} has label '
            f'{label}, outside 0..{len(class_names) - 1} for classes '
            f'{tuple(class_names)}')
    item = dict(
        key=key,
        joints=arr.reshape(-1, NUM_JOINTS, 3).astype(np.float32),
        label=label)
    if affective is not None:
        aff = np.asarray(affective[key])
        if not _is_real(aff):
            raise GaitFileError(
                f'{affective_path}: key {key!r} holds {aff.dtype} values, '
                'expected real numbers')
        aff = aff.astype(np.float32).reshape(-1)
        if not np.isfinite(aff).all():
            raise GaitFileError(
                f'{affective_path}: key {key!r} holds NaN/inf features')
        item['official_affective'] = aff
    return item


def write_gait_h5(path: str, gaits: Dict[str, np.ndarray]) -> None:
    """Write arrays atomically in the official layout, one dataset per key.

    ``(T, 16, 3)`` gaits are stored as ``(T, 48)``; labels and features as
    given.

    The file is written to a temporary name beside ``path`` and renamed,
    so an interrupted write never leaves a corrupt file.

    Args:
        path (str): Output file.
        gaits (dict[str, np.ndarray]): Key to array.
    """
    from step_mm.utils.io import atomic_path
    with atomic_path(path) as tmp:
        with h5py.File(tmp, 'w') as f:
            for key, arr in gaits.items():
                arr = np.asarray(arr)
                if arr.ndim == 3:  # (T, 16, 3) gait -> official (T, 48)
                    arr = arr.reshape(arr.shape[0], -1)
                f.create_dataset(key, data=arr)
