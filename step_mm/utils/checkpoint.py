# Copyright (c) step_mm contributors. All rights reserved.
"""Let torch's safe checkpoint loader read mmengine's own checkpoints.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; torch >= 2.6
then defaults to ``weights_only=True`` and refuses checkpoints that hold
mmengine's ``HistoryBuffer`` and numpy scalars in their ``message_hub``
(``Weights only load failed``). Instead of turning the safety off, we
allow-list exactly the plain data classes those checkpoints contain.
"""
import numpy as np
import torch


def _safe_globals() -> list:
    """The classes that mmengine checkpoints store besides tensors."""
    from mmengine.logging.history_buffer import HistoryBuffer
    items = [HistoryBuffer, np.dtype, np.ndarray, np.core.multiarray._reconstruct,
             np.core.multiarray.scalar]
    # numpy 1.26 pickles dtypes as instances of these per-type classes.
    items += [type(np.dtype(t)) for t in (np.float16, np.float32, np.float64,
                                         np.int8, np.int16, np.int32,
                                         np.int64, np.uint8, np.bool_)]
    return items


def register_safe_globals() -> None:
    """Allow-list mmengine's checkpoint contents for ``torch.load``.

    Idempotent; a no-op on torch versions without
    ``torch.serialization.add_safe_globals``.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(_safe_globals())
