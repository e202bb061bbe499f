# Copyright (c) step_mm contributors. All rights reserved.
from .checkpoint import (CheckpointReadError, read_checkpoint,
                         register_safe_globals)
from .dist_utils import close_dist, init_cpu_dist

__all__ = [
    'register_safe_globals', 'read_checkpoint', 'CheckpointReadError',
    'init_cpu_dist', 'close_dist'
]
