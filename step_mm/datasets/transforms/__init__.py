# Copyright (c) step_mm contributors. All rights reserved.
from .converting import MediaPipeToEGait
from .formatting import PackGaitInputs
from .gait_transforms import (GaitAffectiveFeatures, GaitToBone, GaitToLength,
                              MirrorGait, NormalizeGait, RandomRotateGait,
                              RandomScaleGait, RandomSpeedGait,
                              resample_frames)

__all__ = [
    'PackGaitInputs', 'GaitAffectiveFeatures', 'GaitToBone', 'GaitToLength',
    'MirrorGait', 'NormalizeGait', 'RandomRotateGait', 'RandomScaleGait',
    'RandomSpeedGait', 'resample_frames', 'MediaPipeToEGait'
]
