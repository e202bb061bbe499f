# Copyright (c) step_mm contributors. All rights reserved.
from .egait_dataset import EGAIT_CLASSES, EGaitDataset
from .egait_io import (GaitFileError, label_from_key, load_gait_files,
                       read_h5_arrays, write_gait_h5)
from .env_path import resolve_env_path
from .splits import actor_of, make_split, stratified_group_kfold
from .transforms import *  # noqa: F401,F403

__all__ = [
    'EGAIT_CLASSES', 'EGaitDataset', 'GaitFileError', 'label_from_key',
    'load_gait_files', 'read_h5_arrays', 'write_gait_h5', 'actor_of',
    'make_split', 'stratified_group_kfold', 'resolve_env_path'
]
