# Copyright (c) step_mm contributors. All rights reserved.
"""Let torch's safe checkpoint loader read mmengine checkpoints.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; torch >= 2.6
then defaults to ``weights_only=True`` and refuses mmengine's checkpoints
(``Weights only load failed ... HistoryBuffer``) on resume, test and
``load_from``. Instead of turning the safety off we:

* allow-list exactly the plain data classes those checkpoints contain
  (``HistoryBuffer`` and the numpy array/scalar/dtype reconstructors);
* stop ``HistoryBuffer`` from pickling its built-in statistics methods.
  mmengine stores them as ``getattr(HistoryBuffer, 'min')`` etc., and
  allow-listing the builtin ``getattr`` would let a checkpoint reach any
  attribute of any allowed object, i.e. disable the safety. The built-in
  methods are class attributes that every process re-creates, so dropping
  them from the pickle loses nothing; custom methods are still saved.

Checkpoints written by plain mmengine (without ``import step_mm``) still
hold ``getattr`` and are refused by the safe loader; re-save them from a
trusted process or load them with ``torch.load(..., weights_only=False)``.
"""
import os.path as osp
import re

import numpy as np
import torch

_BUILTIN_STATS = ('min', 'max', 'current', 'mean')


def _safe_globals() -> list:
    """The classes that mmengine checkpoints store besides tensors."""
    from mmengine.logging.history_buffer import HistoryBuffer
    items = [
        HistoryBuffer, np.dtype, np.ndarray, np.core.multiarray._reconstruct,
        np.core.multiarray.scalar
    ]
    # numpy 1.26 pickles dtypes as instances of these per-type classes.
    items += [
        type(np.dtype(t))
        for t in (np.float16, np.float32, np.float64, np.int8, np.int16,
                  np.int32, np.int64, np.uint8, np.bool_)
    ]
    return items


def _patch_history_buffer() -> None:
    """Pickle ``HistoryBuffer`` without its built-in statistics methods."""
    from mmengine.logging.history_buffer import HistoryBuffer
    if getattr(HistoryBuffer, '_step_mm_safe_pickle', False):
        return
    original_setstate = HistoryBuffer.__setstate__

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop('statistics_methods', None)
        custom = {
            k: v
            for k, v in self._statistics_methods.items()
            if k not in _BUILTIN_STATS
        }
        if custom:
            state['statistics_methods'] = custom
        return state

    def __setstate__(self, state: dict) -> None:
        for name in _BUILTIN_STATS:
            HistoryBuffer._statistics_methods.setdefault(
                name, getattr(HistoryBuffer, name))
        original_setstate(self, state)

    HistoryBuffer.__getstate__ = __getstate__
    HistoryBuffer.__setstate__ = __setstate__
    HistoryBuffer._step_mm_safe_pickle = True


def register_safe_globals() -> None:
    """Make mmengine checkpoints loadable by ``torch.load``'s safe mode.

    Idempotent; the allow-list part is a no-op on torch versions without
    ``torch.serialization.add_safe_globals``.
    """
    _patch_history_buffer()
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(_safe_globals())


class CheckpointReadError(ValueError):
    """A checkpoint file cannot be read: empty, cut short, not a checkpoint,
    or holding objects the safe loader refuses. The message is one line
    naming the file and the problem."""


def _read_problem(error: Exception, path: str) -> str:
    """What went wrong reading a checkpoint, without torch's advice."""
    text = str(error)
    found = re.search(r'unsupported (?:global: )?GLOBAL ([\w.]+)', text,
                      re.IGNORECASE)
    if found:
        name = found.group(1)
        advice = ('it was saved by mmengine without `import step_mm`; '
                  're-save it from a process you trust, or retrain with '
                  'step_mm' if name in ('getattr', 'builtins.getattr') else
                  'only plain weights are loaded; re-save its state_dict '
                  'from a process you trust')
        return (f'it holds {name}, which the safe loader refuses (a '
                f'checkpoint must not run code): {advice}')
    head = b''
    if osp.isfile(path):
        with open(path, 'rb') as f:
            head = f.read(4)
    # torch.save writes a zip archive; older torch a pickle (protocol 2)
    if head == b'PK\x03\x04' or head[:2] == b'\x80\x02' or isinstance(
            error, EOFError):
        return ('the file is cut short or is not a PyTorch checkpoint (a '
                'run killed while saving it leaves such a file): take the '
                'previous checkpoint')
    if head:
        return 'not a PyTorch checkpoint (unreadable content)'
    first = next((line for line in text.splitlines()
                  if line.strip() and 'weights_only' not in line), '')
    return f'{type(error).__name__}: {first}'.rstrip(': ')


def read_checkpoint(path: str, map_location: str = 'cpu') -> dict:
    """Read a checkpoint with torch's safe loader and clear errors.

    The one reader of checkpoints for ``tools/test.py``,
    :func:`step_mm.apis.init_gait_model` and ``step-mm predict``: a
    missing, empty, cut-short, random or unsafe file gives one line naming
    it and the problem (never torch's traceback, nor its advice to turn the
    safety off).

    Args:
        path (str): Local file, or an ``http(s)://`` URL (mmengine's loader).
        map_location (str): Defaults to ``'cpu'``.

    Returns:
        dict: The checkpoint (``state_dict``, ``meta``, ...).

    Raises:
        FileNotFoundError: If a local file does not exist.
        CheckpointReadError: If it cannot be read as a checkpoint dict.
    """
    from mmengine.runner import CheckpointLoader
    path = str(path)
    local = not re.match(r'^[a-z][a-z0-9+.-]*://', path)
    if local:
        if not osp.isfile(path):
            raise FileNotFoundError(f'checkpoint {path} not found')
        if osp.getsize(path) == 0:
            raise CheckpointReadError(
                f'cannot read checkpoint {path}: the file is empty (a run '
                'killed while saving it leaves such a file): take the '
                'previous checkpoint')
    register_safe_globals()
    try:
        ckpt = CheckpointLoader.load_checkpoint(
            path, map_location=map_location, logger='silent')
    except FileNotFoundError:
        raise
    except Exception as e:  # noqa: BLE001 - any unreadable content
        raise CheckpointReadError(
            f'cannot read checkpoint {path}: {_read_problem(e, path)}'
        ) from None
    if not isinstance(ckpt, dict):
        raise CheckpointReadError(
            f'cannot read checkpoint {path}: it holds a '
            f'{type(ckpt).__name__}, not a checkpoint dict')
    return ckpt
