# Copyright (c) step_mm contributors. All rights reserved.
from .step_head import STEPHead

__all__ = ['STEPHead']
