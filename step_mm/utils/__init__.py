# Copyright (c) step_mm contributors. All rights reserved.
from .checkpoint import (CheckpointReadError, read_checkpoint,
                         register_safe_globals)
from .cli import (add_runner_args, find_data_root, parse_runner_args,
                  set_work_dir)
from .dist_utils import close_dist, init_cpu_dist
from .io import (atomic_path, dump_json, marked_block_span,
                 replace_marked_block, write_text)

__all__ = [
    'register_safe_globals', 'read_checkpoint', 'CheckpointReadError',
    'init_cpu_dist', 'close_dist', 'atomic_path', 'write_text', 'dump_json',
    'marked_block_span', 'replace_marked_block', 'add_runner_args',
    'parse_runner_args', 'set_work_dir', 'find_data_root'
]
