# Copyright (c) step_mm contributors. All rights reserved.
from .base import BaseGaitTransform, RandomGaitTransform, gait_name
from .converting import MediaPipeToEGait
from .formatting import PackGaitInputs
from .gait_transforms import (GaitAffectiveFeatures, GaitToBone, GaitToLength,
                              MirrorGait, NormalizeGait, RandomRotateGait,
                              RandomScaleGait, RandomSpeedGait,
                              joints_to_bones, resample_frames)
from .multi_input import GaitMultiInput
from .temporal_transforms import (RandomBoneScaleGait, RandomDropFrames,
                                  RandomFrameRateGait, RandomJitterGait,
                                  RandomOccludeJoints, SmoothGait)

__all__ = [
    'BaseGaitTransform', 'RandomGaitTransform', 'gait_name', 'joints_to_bones',
    'PackGaitInputs', 'GaitAffectiveFeatures', 'GaitToBone', 'GaitToLength',
    'MirrorGait', 'NormalizeGait', 'RandomRotateGait', 'RandomScaleGait',
    'RandomSpeedGait', 'resample_frames', 'SmoothGait', 'RandomJitterGait',
    'RandomFrameRateGait', 'RandomDropFrames', 'RandomOccludeJoints',
    'RandomBoneScaleGait', 'GaitMultiInput', 'MediaPipeToEGait'
]
