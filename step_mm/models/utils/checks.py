# Copyright (c) step_mm contributors. All rights reserved.
"""Argument checks shared by the models' constructors."""
from typing import Any, Optional, Sequence


def check_choice(name: str,
                 value: Any,
                 choices: Sequence[Any],
                 owner: Optional[str] = None) -> None:
    """Raise a ``ValueError`` unless ``value`` is one of ``choices``.

    The message reads ``"[owner: ]name must be 'a', 'b' or 'c', got 'x'"``.

    Args:
        name (str): The argument's name.
        value (Any): Its value.
        choices (Sequence): The allowed values, in the message's order.
        owner (str, optional): A prefix naming the class or function.
            Defaults to None.

    Examples:
        >>> check_choice('mode', 'mean', ('mean', 'sum'))
        >>> check_choice('mode', 'max', ('mean', 'sum'), 'MyLoss')
        Traceback (most recent call last):
        ...
        ValueError: MyLoss: mode must be 'mean' or 'sum', got 'max'
    """
    if value in choices:
        return
    *head, last = [repr(c) for c in choices]
    allowed = f"{', '.join(head)} or {last}" if head else last
    prefix = f'{owner}: ' if owner else ''
    raise ValueError(f'{prefix}{name} must be {allowed}, got {value!r}')
