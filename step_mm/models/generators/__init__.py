# Copyright (c) step_mm contributors. All rights reserved.
from .stepgen import REFERENCE_PRIOR, STEPGen
from .stepgen_modules import STEPGenDecoder, STEPGenEncoder

__all__ = ['REFERENCE_PRIOR', 'STEPGen', 'STEPGenDecoder', 'STEPGenEncoder']
