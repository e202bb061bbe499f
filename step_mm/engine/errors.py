# Copyright (c) step_mm contributors. All rights reserved.
"""Errors of a run's set-up that the user fixes in the config or command."""

__all__ = ['RunConfigError']


class RunConfigError(ValueError):
    """A run cannot go on as configured (e.g. train and test share gaits).

    The message is one line naming the option(s) and what to do;
    ``tools/train.py`` prints it without a traceback and exits with 1.
    """
