# Copyright (c) step_mm contributors. All rights reserved.
"""Read ``tools/test.py --dump`` score files without running their code.

``--dump`` writes mmengine's ``DumpResults`` pickle: a list with one dict of
data-sample fields per gait (``frame_dir``, ``gt_labels``/``pred_scores``
as ``{'item': tensor}``, numbers, strings). A pickle may name any Python
callable, and ``pickle.load`` calls it: a crafted ``.pkl`` runs code the
moment it is opened. :func:`load_dump` unpickles with an allow-list of the
few types such dumps hold (containers, numbers, strings, numpy arrays,
torch tensors) and refuses anything else before calling it.

Tensors pickled outside ``torch.save`` store their data through
``torch.storage._load_from_bytes``, which calls ``torch.load`` with
``weights_only=False``; here that bytes payload is read by ``torch.load``'s
safe mode instead.
"""
import _compat_pickle
import io
import os.path as osp
import pickle
import warnings
from typing import Callable, Dict, List, Tuple

__all__ = ['load_dump']


class _Refused(pickle.UnpicklingError):
    """The pickle refers to something a dump never holds."""


def _latin1_encode(text: str, encoding: str = 'utf-8',
                   errors: str = 'strict') -> bytes:
    """``_codecs.encode`` as pickle protocol 2 uses it for bytes objects."""
    if not isinstance(text, str) or encoding.replace(
            '-', '').lower() not in ('latin1', 'iso88591'):
        raise _Refused(f'_codecs.encode with encoding {encoding!r} (only '
                       'latin1 is used by pickled bytes)')
    return text.encode('latin1', errors)


def _storage_from_bytes(data: bytes):
    """A tensor storage pickled by ``Tensor.__reduce_ex__``, read safely."""
    import torch
    try:
        with warnings.catch_warnings():  # on the protocol of the payload
            warnings.simplefilter('ignore')
            return torch.load(
                io.BytesIO(data), map_location='cpu', weights_only=True)
    except Exception:  # noqa: BLE001 - torch's message advises the unsafe
        raise _Refused('torch.storage._load_from_bytes with a payload that '
                       'is not plain tensor data') from None


def _allowed() -> Dict[Tuple[str, str], Callable]:
    """(module, name) -> object an unpickled dump may refer to."""
    import builtins
    import collections

    import numpy as np
    allowed = {('builtins', n): getattr(builtins, n)
               for n in ('set', 'frozenset', 'complex', 'bytearray',
                         'slice', 'range')}
    allowed[('collections', 'OrderedDict')] = collections.OrderedDict
    allowed[('_codecs', 'encode')] = _latin1_encode
    allowed[('torch.storage', '_load_from_bytes')] = _storage_from_bytes
    for mod in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(mod, '_reconstruct')] = np.core.multiarray._reconstruct
        allowed[(mod, 'scalar')] = np.core.multiarray.scalar
    for mod in ('numpy.core.numeric', 'numpy._core.numeric'):
        # pickle protocol 5: an array from its raw bytes (never objects)
        allowed[(mod, '_frombuffer')] = np.core.numeric._frombuffer
    allowed[('numpy', 'ndarray')] = np.ndarray
    allowed[('numpy', 'dtype')] = np.dtype
    # numpy >= 1.25 pickles dtypes as instances of per-type classes
    for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
              np.uint16, np.uint32, np.uint64, np.float16, np.float32,
              np.float64, np.complex64, np.complex128, np.str_):
        cls = type(np.dtype(t))
        allowed[('numpy.dtypes', cls.__name__)] = cls
    try:
        import torch
        import torch._utils as tu
    except ImportError:  # pragma: no cover - a dump without tensors
        return allowed
    for name in ('_rebuild_tensor', '_rebuild_tensor_v2',
                 '_rebuild_parameter'):
        allowed[('torch._utils', name)] = getattr(tu, name)
    allowed[('torch', 'Size')] = torch.Size
    for name in ('float16', 'bfloat16', 'float32', 'float64', 'int8',
                 'int16', 'int32', 'int64', 'uint8', 'bool'):
        allowed[('torch', name)] = getattr(torch, name)
    return allowed


class _DumpUnpickler(pickle.Unpickler):
    """Resolves only the allow-listed globals; anything else is refused."""

    _allowed = None

    def find_class(self, module: str, name: str):
        if _DumpUnpickler._allowed is None:
            _DumpUnpickler._allowed = _allowed()
        # protocol 2 (mmengine's default) stores Python 2 names
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        try:
            return _DumpUnpickler._allowed[(module, name)]
        except KeyError:
            raise _Refused(f'{module}.{name}') from None


def load_dump(path: str) -> List[dict]:
    """Read a ``tools/test.py --dump`` pickle without running its code.

    Args:
        path (str): The ``.pkl`` file (mmengine ``DumpResults``).

    Returns:
        list[dict]: One dict of data-sample fields per gait.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: Naming the file, if it is empty or cut short, refers to
            anything but plain data (it would run code), or is not a
            non-empty list of dicts.
    """
    path = str(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such dump file')
    with open(path, 'rb') as f:
        try:
            results = _DumpUnpickler(f).load()
        except _Refused as e:
            raise ValueError(
                f'{path}: not loaded: the pickle calls {e}, which a '
                'tools/test.py --dump never holds (only lists, dicts, '
                'numbers, strings, arrays and tensors); it may run code: do '
                'not open it with pickle') from None
        except Exception as e:  # noqa: BLE001 - any corrupt content
            reason = str(e).splitlines()[0] if str(e) else ''
            if isinstance(e, EOFError) or 'truncated' in reason:
                raise ValueError(
                    f'{path}: the dump ends early (empty or cut short); '
                    'write it again with tools/test.py --dump') from None
            raise ValueError(
                f'{path}: not a readable dump pickle ({type(e).__name__}: '
                f'{reason})') from None
    if not isinstance(results, (list, tuple)) or not results:
        raise ValueError(
            f'{path}: expected a non-empty list of per-gait dicts '
            f'(tools/test.py --dump), got {type(results).__name__}'
            + (' (empty)' if isinstance(results, (list, tuple)) else ''))
    for i, r in enumerate(results):
        if not isinstance(r, dict):
            raise ValueError(f'{path}: result {i} is a {type(r).__name__}, '
                             'not a dict of data-sample fields')
    return list(results)
