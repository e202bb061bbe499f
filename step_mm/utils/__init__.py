# Copyright (c) step_mm contributors. All rights reserved.
from .checkpoint import register_safe_globals

__all__ = ['register_safe_globals']
