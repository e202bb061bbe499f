# Copyright (c) step_mm contributors. All rights reserved.
"""Gait geometry shared by datasets, transforms, models and losses."""
from .affective import (AFFECTIVE_FEATURE_NAMES, NUM_AFFECTIVE_FEATURES,
                        affective_features)
from .geometry import (FOOT_JOINTS, HORIZONTAL_AXES, UP_AXIS,
                       bone_length_variation, bone_lengths,
                       foot_contact_weights, foot_slide_sq)
from .layout import (EGAIT_BONE_PAIRS, EGAIT_FLIP_PAIRS, EGAIT_INWARD,
                     EGAIT_LAYOUT, FLIP_INDEX, JOINT_NAMES, NUM_JOINTS,
                     REFERENCE_POSE, TORSO_JOINTS)
from .motion_stats import (MOTION_STATISTIC_NAMES, NUM_MOTION_STATISTICS,
                           motion_statistics)
from .normalize import align_to_reference, root_center, similarity_transform

__all__ = [
    'AFFECTIVE_FEATURE_NAMES', 'NUM_AFFECTIVE_FEATURES', 'affective_features',
    'EGAIT_BONE_PAIRS', 'EGAIT_FLIP_PAIRS', 'EGAIT_INWARD', 'EGAIT_LAYOUT',
    'FLIP_INDEX', 'JOINT_NAMES', 'NUM_JOINTS', 'REFERENCE_POSE',
    'TORSO_JOINTS', 'align_to_reference', 'root_center',
    'similarity_transform', 'FOOT_JOINTS', 'HORIZONTAL_AXES', 'UP_AXIS',
    'bone_lengths', 'bone_length_variation', 'foot_contact_weights',
    'foot_slide_sq', 'MOTION_STATISTIC_NAMES', 'NUM_MOTION_STATISTICS',
    'motion_statistics'
]
