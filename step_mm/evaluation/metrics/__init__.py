# Copyright (c) step_mm contributors. All rights reserved.
from .gait_quality import (GaitRealismMetric, bone_length_drift,
                           foot_slide, frechet_distance, motion_amplitude)

__all__ = [
    'GaitRealismMetric', 'bone_length_drift', 'foot_slide',
    'frechet_distance', 'motion_amplitude'
]
