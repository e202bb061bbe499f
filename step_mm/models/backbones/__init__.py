# Copyright (c) step_mm contributors. All rights reserved.
from .step_gcn import STEPGCN, STEPGCNBlock

__all__ = ['STEPGCN', 'STEPGCNBlock']
