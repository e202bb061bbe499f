# Copyright (c) step_mm contributors. All rights reserved.
"""Data folders named by an environment variable, resolved at build time.

Configs write ``data_root = '${EGAIT_ROOT:-../shared/data/egait}'``: a plain
string that :func:`resolve_env_path` turns into ``$EGAIT_ROOT`` when it is
set and not empty, else into the default after ``:-``. The value of the
variable only ever becomes a path: unlike mmengine's ``{{$VAR:default}}``,
which pastes it into the config's Python source before running it (an
apostrophe in the path is a ``SyntaxError``, a crafted value runs code).
"""
import os
import re
from typing import Optional

from .egait_io import GaitFileError

__all__ = ['resolve_env_path']

_PLACEHOLDER = re.compile(r'\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?\}')


def resolve_env_path(value: Optional[str]) -> Optional[str]:
    """Resolve a ``'${NAME}'`` / ``'${NAME:-default}'`` placeholder.

    Only a value that is exactly one placeholder is resolved; any other
    value (a path, None) is returned unchanged.

    Args:
        value (str, optional): A path or a placeholder.

    Returns:
        str | None: ``$NAME`` if set and not empty, else the default.

    Raises:
        GaitFileError: If ``$NAME`` is unset or empty and there is no
            default.

    Examples:
        >>> # with EGAIT_ROOT="/data/it's here":
        >>> resolve_env_path(
        ...     '${EGAIT_ROOT:-../shared/data/egait}')  # doctest: +SKIP
        "/data/it's here"
        >>> resolve_env_path('/data/egait')
        '/data/egait'
    """
    if not isinstance(value, str):
        return value
    match = _PLACEHOLDER.fullmatch(value.strip())
    if match is None:
        return value
    name, default = match.groups()
    found = os.environ.get(name)
    if found:
        return found
    if default is None:
        raise GaitFileError(f'data_root {value!r}: the environment variable '
                            f'{name} is not set; set it or pass '
                            'data_root=DIR')
    return default
