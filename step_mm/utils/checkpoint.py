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
