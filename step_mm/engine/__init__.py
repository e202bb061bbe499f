# Copyright (c) step_mm contributors. All rights reserved.
from .errors import RunConfigError
from .hooks import *  # noqa: F401,F403
