# Copyright (c) step_mm contributors. All rights reserved.
"""How command-line tools report a user's mistake."""
import sys

__all__ = ['fail']


def fail(tool: str, error: Exception, code: int = 2) -> None:
    """Print ``error`` as one line prefixed by ``tool`` and exit.

    Args:
        tool (str): The tool's name, e.g. ``'fuse_scores.py'``.
        error (Exception): The mistake (its message names the file).
        code (int): Exit status. Defaults to 2, as argparse's errors.
    """
    print(f'{tool}: {error}', file=sys.stderr)
    raise SystemExit(code)
