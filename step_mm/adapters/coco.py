# Copyright (c) step_mm contributors. All rights reserved.
"""COCO-17 keypoints: documented as unsupported input for STEP.

COCO-17 (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles)
is what 2D pose estimators output: pixel coordinates in one image, with a
confidence score, not 3D positions. STEP is a 3D model: its graph
convolutions and the 29 affective features (angles, areas, distances and
speeds in space, the vertical) need depth, which one 2D view cannot give.
Filling depth with zeros would feed the model gaits unlike any it was
trained on and produce confident nonsense, so this is refused.

What to do instead: lift the 2D keypoints to 3D with a pose lifter.
``projects/gait_from_video/demo_gait_video.py`` does the whole chain
(mmpose 2D pose -> ``convert_keypoint_definition`` COCO -> Human3.6M ->
VideoPose3D lifter -> :func:`step_mm.adapters.h36m_to_egait` -> STEP).
Gaits that already are 3D Human3.6M-17 joints (e.g. saved lifter output)
load with ``load_gait_file(path, fmt='h36m')``.
"""
import numpy as np

__all__ = ['UnsupportedSkeletonError', 'COCO_JOINT_NAMES', 'coco_to_egait']

COCO_JOINT_NAMES = ('nose', 'left_eye', 'right_eye', 'left_ear',
                    'right_ear', 'left_shoulder', 'right_shoulder',
                    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
                    'left_hip', 'right_hip', 'left_knee', 'right_knee',
                    'left_ankle', 'right_ankle')

COCO_UNSUPPORTED_MSG = (
    'COCO-17 keypoints are 2D image coordinates (x, y[, score]); STEP needs '
    '3D joints (its graph and affective features use depth, angles and the '
    'vertical), so 2D input is not accepted. Lift the 2D poses to 3D first: '
    'projects/gait_from_video/demo_gait_video.py runs mmpose 2D pose -> '
    'COCO->Human3.6M conversion -> VideoPose3D lifter -> E-Gait joints -> '
    "STEP. Saved 3D Human3.6M-17 joints load with fmt='h36m'.")


class UnsupportedSkeletonError(ValueError):
    """The input skeleton cannot be turned into E-Gait 3D joints."""


def coco_to_egait(keypoints: np.ndarray) -> np.ndarray:
    """Refuse COCO-17 2D keypoints with an explanation.

    Args:
        keypoints (np.ndarray): ``(..., 17, 2)`` or ``(..., 17, 3)``
            COCO keypoints (x, y[, score]).

    Raises:
        UnsupportedSkeletonError: Always; the message says why and how to
            lift the keypoints to 3D.
    """
    shape = np.shape(keypoints)
    raise UnsupportedSkeletonError(f'got COCO-17 keypoints of shape {shape}. '
                                   + COCO_UNSUPPORTED_MSG)
