# Copyright (c) step_mm contributors. All rights reserved.
"""One entry point for gait files: :func:`load_gait_file`.

Formats (``fmt=``):

- ``'npy'``: ``.npy``/``.npz`` arrays in the E-Gait layout, ``(T, 16, 3)``
  or ``(T, 48)`` (16 joints x (x, y, z) per row, the order of
  ``docs/egait.md``); a leading person axis of size 1 is dropped.
- ``'h36m'``: ``.npy``/``.npz`` arrays of Human3.6M-17 3D joints,
  ``(T, 17, 3)`` or ``(T, 51)``, mapped by
  :func:`step_mm.adapters.h36m_to_egait` (with ``convention=``).
- ``'bvh'``: BVH motion capture, see :mod:`step_mm.adapters.bvh`.
- ``'h5'``: one gait (``key=``) of an h5 file in the official E-Gait layout.
- ``'coco'``: refused with an explanation (2D keypoints, see
  :mod:`step_mm.adapters.coco`).
- ``'auto'`` (default): by extension (``.bvh``, ``.npy``/``.npz``, ``.h5``);
  arrays with 17 joints are refused unless ``fmt='h36m'`` says they are
  3D Human3.6M joints, because they may equally be COCO-17 2D keypoints
  with scores.

In a ``.npz`` the array is ``key`` if given, else the first of ``joints``,
``keypoints``, ``keypoints_3d``, ``gait``, ``positions``, ``poses`` present,
else the only array; an ``fps`` entry gives the frame rate.
"""
import os.path as osp
from typing import Mapping, Optional, Tuple, Union

import numpy as np

from step_mm.skeleton import NUM_JOINTS
from .bvh import bvh_to_egait
from .coco import COCO_UNSUPPORTED_MSG, UnsupportedSkeletonError
from .h36m import h36m_to_egait
from .validation import check_fps, check_real

__all__ = ['GAIT_FORMATS', 'DEFAULT_FPS', 'load_gait_file', 'load_array']

GAIT_FORMATS = ('auto', 'npy', 'h36m', 'bvh', 'h5', 'coco')

#: Frame rate assumed for arrays that do not store one (E-Gait's rate).
DEFAULT_FPS = 30.0

_NPZ_KEYS = ('joints', 'keypoints', 'keypoints_3d', 'gait', 'positions',
             'poses')


def load_array(path: str, key: Optional[str] = None
               ) -> Tuple[np.ndarray, Optional[float]]:
    """Read the gait array (and a stored frame rate) of a ``.npy``/``.npz``.

    Args:
        path (str): The file.
        key (str, optional): Array name in a ``.npz``. Defaults to None.

    Returns:
        tuple[np.ndarray, float | np.ndarray | None]: The array and the
        stored fps (the stored array itself when it is not one real
        number; :func:`load_gait_file` refuses it unless ``fps`` is given).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: file not found')
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ValueError(f'{path}: cannot read as .npy/.npz: {e}') from e
    if isinstance(data, np.ndarray):
        return data, None
    with data:
        names = list(data.keys())
        fps = np.asarray(data['fps']) if 'fps' in names else None
        if fps is not None and fps.size == 1 and check_real_dtype(fps):
            fps = float(fps.reshape(()))
        arrays = [n for n in names if n != 'fps']
        if key is None:
            known = [n for n in _NPZ_KEYS if n in names]
            if known:
                key = known[0]
            elif len(arrays) == 1:
                key = arrays[0]
            else:
                raise ValueError(
                    f'{path}: holds arrays {arrays}; pass key=... to choose '
                    f'one (looked for {_NPZ_KEYS})')
        if key not in names:
            raise ValueError(f'{path}: no array {key!r}; it holds {names}')
        return data[key], fps


def check_real_dtype(arr: np.ndarray) -> bool:
    """Whether ``arr`` holds integers or floats."""
    return (np.issubdtype(arr.dtype, np.integer)
            or np.issubdtype(arr.dtype, np.floating))


def _as_joints(arr: np.ndarray, num_joints: int, path: str) -> np.ndarray:
    """Bring ``(T, V*3)``, ``(T, V, 3)`` or ``(1, T, V, 3)`` to ``(T, V, 3)``.
    """
    x = np.asarray(arr)
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    if x.ndim == 2 and x.shape[1] == num_joints * 3:
        x = x.reshape(x.shape[0], num_joints, 3)
    if x.ndim != 3 or x.shape[1:] != (num_joints, 3):
        raise ValueError(
            f'{path}: array of shape {np.shape(arr)} is not {num_joints} '
            f'3D joints per frame; expected (T, {num_joints}, 3) or '
            f'(T, {num_joints * 3})')
    check_real(x, path)
    return x.astype(np.float32)


def _detect_array(arr: np.ndarray, path: str) -> str:
    """Name the layout of an array for ``fmt='auto'`` (or raise)."""
    shape = np.shape(arr)
    if len(shape) == 4 and shape[0] == 1:
        shape = shape[1:]
    if shape[-2:] == (NUM_JOINTS, 3) or (len(shape) == 2
                                         and shape[1] == NUM_JOINTS * 3):
        return 'npy'
    is_17 = (len(shape) == 3 and shape[1] == 17 and shape[2] in (2, 3)) or (
        len(shape) == 2 and shape[1] in (34, 51))
    if is_17:
        if shape[-1] in (2, 34):
            raise UnsupportedSkeletonError(
                f'{path}: shape {shape} looks like COCO-17 2D keypoints. '
                + COCO_UNSUPPORTED_MSG)
        raise ValueError(
            f'{path}: shape {shape} has 17 joints: if these are 3D '
            "Human3.6M-17 joints (mmpose lifter output) pass fmt='h36m' "
            '(CLI: --format h36m); COCO-17 2D keypoints with scores are not '
            'supported. ' + COCO_UNSUPPORTED_MSG)
    raise ValueError(
        f'{path}: array of shape {shape} is not a gait; expected E-Gait '
        f'(T, 16, 3) / (T, 48), or Human3.6M-17 (T, 17, 3) with '
        "fmt='h36m'")


def load_gait_file(path: str,
                   fmt: str = 'auto',
                   fps: Optional[float] = None,
                   key: Optional[str] = None,
                   convention: str = 'y_up',
                   joint_map: Optional[Mapping[Union[str, int], str]] = None,
                   up_axis: str = 'y') -> Tuple[np.ndarray, float]:
    """Load a gait file of any supported format as E-Gait joints.

    Args:
        path (str): The file.
        fmt (str): One of :data:`GAIT_FORMATS`. Defaults to ``'auto'``.
        fps (float, optional): Frame rate; overrides one stored in the file.
            Defaults to None: the file's (BVH frame time, npz ``fps``), else
            :data:`DEFAULT_FPS`. A frame rate (given or stored) that is not
            positive is an error, never replaced by the default.
        key (str, optional): Array name in a ``.npz``, gait key in an h5.
        convention (str): Axis convention of ``'h36m'`` arrays
            (see :mod:`step_mm.adapters.h36m`). Defaults to ``'y_up'``.
        joint_map (Mapping, optional): BVH joint-name overrides
            (see :func:`step_mm.adapters.bvh_to_egait`).
        up_axis (str): Up axis of a BVH file. Defaults to ``'y'``.

    Returns:
        tuple[np.ndarray, float]: Joints ``(T, 16, 3)`` float32 and fps.

    Examples:
        >>> joints, fps = load_gait_file('walk.bvh')  # doctest: +SKIP
        >>> joints.shape, fps  # doctest: +SKIP
        ((240, 16, 3), 120.0)
    """
    if fmt not in GAIT_FORMATS:
        raise ValueError(f'unknown gait format {fmt!r}; choose one of '
                         f'{GAIT_FORMATS}')
    if fmt == 'coco':
        raise UnsupportedSkeletonError(f'{path}: ' + COCO_UNSUPPORTED_MSG)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: file not found')
    ext = osp.splitext(path)[1].lower()
    arr = stored = None
    if fmt == 'auto':
        if ext == '.bvh':
            fmt = 'bvh'
        elif ext in ('.h5', '.hdf5'):
            fmt = 'h5'
        elif ext in ('.npy', '.npz'):
            arr, stored = load_array(path, key)
            fmt = _detect_array(arr, path)
        else:
            raise ValueError(
                f'{path}: cannot tell the format from the extension '
                f"{ext!r}; pass fmt= one of {GAIT_FORMATS[1:]}")
    if fmt == 'bvh':
        joints, stored = bvh_to_egait(path, joint_map, up_axis)
    elif fmt == 'h5':
        from step_mm.datasets import read_h5_arrays
        arrays = read_h5_arrays(path)
        if key is None:
            if len(arrays) != 1:
                raise ValueError(
                    f'{path}: holds {len(arrays)} gaits; pass key=... (e.g. '
                    f'{sorted(arrays)[:3]})')
            key = next(iter(arrays))
        if key not in arrays:
            raise ValueError(f'{path}: no gait {key!r} (e.g. '
                             f'{sorted(arrays)[:3]})')
        joints = _as_joints(arrays[key], NUM_JOINTS, f'{path}[{key!r}]')
    else:
        if arr is None:
            arr, stored = load_array(path, key)
        if fmt == 'h36m':
            joints = h36m_to_egait(_as_joints(arr, 17, path), convention)
        else:
            joints = _as_joints(arr, NUM_JOINTS, path)
    if not np.isfinite(joints).all():
        bad = np.argwhere(~np.isfinite(joints))[0]
        raise ValueError(f'{path}: NaN/inf joints (first at frame {bad[0]}, '
                         f'joint {bad[1]})')
    if fps is not None:
        fps = check_fps(fps, 'fps')
    elif stored is not None:
        fps = check_fps(stored, f'{path}: the stored fps')
    else:
        fps = DEFAULT_FPS
    return joints.astype(np.float32), fps
