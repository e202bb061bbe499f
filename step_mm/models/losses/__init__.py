# Copyright (c) step_mm contributors. All rights reserved.
from step_mm.skeleton.geometry import (FOOT_JOINTS, HORIZONTAL_AXES, UP_AXIS,
                                       bone_length_variation, bone_lengths,
                                       foot_contact_weights, foot_slide_sq)
from .kl_loss import KLDivergenceLoss
from .push_pull_loss import DIFFERENTIABLE_AFFECTIVE, PushPullLoss
from .reconstruction_loss import GaitReconstructionLoss

__all__ = [
    'FOOT_JOINTS', 'HORIZONTAL_AXES', 'UP_AXIS', 'bone_lengths',
    'bone_length_variation', 'foot_contact_weights', 'foot_slide_sq',
    'KLDivergenceLoss', 'DIFFERENTIABLE_AFFECTIVE', 'PushPullLoss',
    'GaitReconstructionLoss'
]
