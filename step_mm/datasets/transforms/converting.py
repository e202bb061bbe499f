# Copyright (c) step_mm contributors. All rights reserved.
"""Skeleton converters as transforms: other pose estimators' keypoints to
the E-Gait 16 joints, for pipelines that read estimator output directly."""
from typing import Dict

from mmaction.registry import TRANSFORMS

from step_mm.adapters.h36m import check_convention
from step_mm.adapters.mediapipe import (MEDIAPIPE_NUM_LANDMARKS,
                                        mediapipe_to_egait)
from .base import BaseGaitTransform, gait_name


@TRANSFORMS.register_module()
class MediaPipeToEGait(BaseGaitTransform):
    """Map MediaPipe Pose's 33 world landmarks to the 16 E-Gait joints.

    See :func:`step_mm.adapters.mediapipe_to_egait` for the joint mapping and
    the axes: the output is Y up and root-centred in every frame.

    Required Keys:

        - keypoint (``[M, T, 33, C]``, ``C >= 3``)

    Modified Keys:

        - keypoint (``[M, T, 16, 3]``)

    Args:
        convention (str): Axes of the input landmarks. Defaults to
            ``'camera'`` (MediaPipe's world landmarks: x right, y down, z away
            from the camera).
    """

    repr_args = ('convention', )

    def __init__(self, convention: str = 'camera') -> None:
        check_convention(convention)
        self.convention = convention

    def transform(self, results: Dict) -> Dict:
        kp = results['keypoint']
        if kp.ndim != 4 or kp.shape[-2] != MEDIAPIPE_NUM_LANDMARKS:
            raise ValueError(
                f'MediaPipeToEGait: keypoint of {gait_name(results)} has '
                f'shape {kp.shape}, expected '
                f'[M, T, {MEDIAPIPE_NUM_LANDMARKS}, 3+]')
        results['keypoint'] = mediapipe_to_egait(kp, self.convention)
        return results
