# Copyright (c) step_mm contributors. All rights reserved.
from .gait_quality import (GaitRealismMetric, aligned_distances,
                           bone_length_drift, coverage, foot_slide,
                           frechet_distance, motion_amplitude,
                           within_class_diversity)

__all__ = [
    'GaitRealismMetric', 'aligned_distances', 'bone_length_drift',
    'coverage', 'foot_slide', 'frechet_distance', 'motion_amplitude',
    'within_class_diversity'
]
