# Copyright (c) step_mm contributors. All rights reserved.
"""Atomic file writes: a result file is either the old one or the new one.

Every writer goes through a temporary file beside the target and
``os.replace`` (atomic on POSIX), so a run killed mid-write never leaves a
half-written JSON, table, HDF5 or video behind.
"""
import json
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Iterator

__all__ = [
    'atomic_path', 'write_text', 'dump_json', 'marked_block_span',
    'replace_marked_block'
]


@contextmanager
def atomic_path(path: str, suffix: str = '') -> Iterator[str]:
    """A temporary path to write to; renamed to ``path`` on success.

    The parent folder is created. On an exception the temporary file is
    removed and ``path`` is left as it was.

    Args:
        path (str): The final file.
        suffix (str): Ending of the temporary name, for writers that choose
            the format by extension (e.g. ``'.mp4'``). Defaults to ''.

    Yields:
        str: The temporary file's path (it does not exist yet).

    Example:
        >>> with atomic_path('out/gaits.h5') as tmp:  # doctest: +SKIP
        ...     write_h5(tmp)
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(path)}.', suffix=f'.tmp{suffix}')
    os.close(fd)
    os.remove(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.lexists(tmp):
            os.remove(tmp)


def write_text(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)


def dump_json(obj, path: str, indent: int = 1) -> None:
    """Write ``obj`` as JSON (with a final newline) to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=indent) + '\n')


def _markers(name: str):
    return f'<!-- {name}:start -->', f'<!-- {name}:end -->'


def marked_block_span(text: str, name: str):
    """Where the ``<!-- NAME:start -->`` ... ``<!-- NAME:end -->`` block is.

    Returns:
        tuple[int, int] | None: The offsets of the start marker and the end
        marker in ``text``, or None when either is missing or they are out
        of order.
    """
    start, end = _markers(name)
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        return None
    return i, j


def replace_marked_block(path: str,
                         name: str,
                         text: str,
                         append: bool = False) -> None:
    """Replace what stands between a file's ``NAME`` markers, atomically.

    The markers are the Markdown comments ``<!-- NAME:start -->`` and
    ``<!-- NAME:end -->`` (results tables in READMEs). The block becomes
    ``start``, ``text`` (one final newline) and ``end``; the rest of the
    file is kept byte for byte, so a second call with the same text changes
    nothing.

    Args:
        path (str): The file (e.g. a README).
        name (str): The marker name, e.g. ``'egait_random'``.
        text (str): The new block content.
        append (bool): Where the markers are missing, append the block to
            the file (created if absent) instead of raising. Defaults to
            False.

    Raises:
        ValueError: If the markers are missing and ``append`` is False.
    """
    start, end = _markers(name)
    old = ''
    if osp.isfile(path):
        with open(path, encoding='utf-8') as f:
            old = f.read()
    block = f"{start}\n{text.rstrip(chr(10))}\n{end}"
    span = marked_block_span(old, name)
    if span is not None:
        new = old[:span[0]] + block + old[span[1] + len(end):]
    elif append:
        new = (old.rstrip('\n') + '\n\n' if old else '') + block + '\n'
    else:
        raise ValueError(f'{path}: markers {start} ... {end} not found; add '
                         'them where the table goes')
    write_text(path, new)
