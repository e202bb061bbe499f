# Copyright (c) step_mm contributors. All rights reserved.
from .ctrgcn import CTRGC, CTRGCN, CTRGCNBlock, MultiScaleTCN
from .step_gcn import STEPGCN, STEPGCNBlock

__all__ = [
    'CTRGC', 'CTRGCN', 'CTRGCNBlock', 'MultiScaleTCN', 'STEPGCN',
    'STEPGCNBlock'
]
