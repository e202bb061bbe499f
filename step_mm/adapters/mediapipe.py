# Copyright (c) step_mm contributors. All rights reserved.
"""MediaPipe Pose's 33 landmarks to the 16 E-Gait joints.

MediaPipe Pose (``mediapipe.solutions.pose``, BlazePose GHUM) returns, for
one person, 33 *world landmarks*: metres, the origin between the hips, in
the camera's axes (x to the image right, y down the image, z away from the
camera). Their order (:data:`MEDIAPIPE_LANDMARK_NAMES`):

==  ================  ==  ================  ==  ==================
 0  nose              11  left_shoulder     22  right_thumb
 1  left_eye_inner    12  right_shoulder    23  left_hip
 2  left_eye          13  left_elbow        24  right_hip
 3  left_eye_outer    14  right_elbow       25  left_knee
 4  right_eye_inner   15  left_wrist        26  right_knee
 5  right_eye         16  right_wrist       27  left_ankle
 6  right_eye_outer   17  left_pinky        28  right_ankle
 7  left_ear          18  right_pinky       29  left_heel
 8  right_ear         19  left_index        30  right_heel
 9  mouth_left        20  right_index       31  left_foot_index
10  mouth_right       21  left_thumb        32  right_foot_index
==  ================  ==  ================  ==  ==================

"left" is the person's left, as in E-Gait. Each E-Gait joint is a fixed
combination of landmarks (:data:`MEDIAPIPE_TO_EGAIT`, one row of
:data:`MEDIAPIPE_TO_EGAIT_MATRIX` per joint):

- root: the midpoint of the hips (23, 24); spine: the midpoint of root and
  neck (as mmpose's COCO -> Human3.6M conversion places the spine; E-Gait's
  own spine sits at 0.48 of the way, median over the 342 gaits);
  neck: the midpoint of the shoulders (11, 12);
- head: the midpoint of the ears (7, 8). MediaPipe has no head-top
  landmark; on the people of ``vtest.avi`` the ear midpoint lies 0.59
  shoulder widths from the neck (eyes 0.80, nose 0.76), E-Gait's head joint
  0.65 (median of the 342 gaits);
- shoulders, elbows, wrists (the E-Gait "hands"), hips, knees, ankles (the
  E-Gait "feet", as Human3.6M's feet) one to one.

The axes are turned into E-Gait's Y-up, right-handed frame by a half turn
about x, ``(x, -y, -z)`` (``convention='camera'``; no mirroring: the
person's left stays on +X when they face +Z), and the joints are centred on
the root in every frame.
"""
from typing import Dict, Tuple

import numpy as np

from step_mm.skeleton import JOINT_NAMES, NUM_JOINTS
from .h36m import to_y_up

__all__ = [
    'MEDIAPIPE_LANDMARK_NAMES', 'MEDIAPIPE_NUM_LANDMARKS',
    'MEDIAPIPE_TO_EGAIT', 'MEDIAPIPE_TO_EGAIT_MATRIX', 'mediapipe_to_egait'
]

MEDIAPIPE_LANDMARK_NAMES = (
    'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer',
    'right_eye_inner', 'right_eye', 'right_eye_outer', 'left_ear',
    'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist',
    'right_wrist', 'left_pinky', 'right_pinky', 'left_index', 'right_index',
    'left_thumb', 'right_thumb', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle', 'left_heel', 'right_heel',
    'left_foot_index', 'right_foot_index')

MEDIAPIPE_NUM_LANDMARKS = len(MEDIAPIPE_LANDMARK_NAMES)

#: E-Gait joint -> {MediaPipe landmark: weight} (weights sum to 1).
MEDIAPIPE_TO_EGAIT: Tuple[Dict[int, float], ...] = (
    {23: 0.5, 24: 0.5},  # root: mid-hips
    {23: 0.25, 24: 0.25, 11: 0.25, 12: 0.25},  # spine: mid(root, neck)
    {11: 0.5, 12: 0.5},  # neck: mid-shoulders
    {7: 0.5, 8: 0.5},  # head: mid-ears
    {11: 1.},  # left_shoulder
    {13: 1.},  # left_elbow
    {15: 1.},  # left_hand <- left_wrist
    {12: 1.},  # right_shoulder
    {14: 1.},  # right_elbow
    {16: 1.},  # right_hand <- right_wrist
    {23: 1.},  # left_hip
    {25: 1.},  # left_knee
    {27: 1.},  # left_foot <- left_ankle
    {24: 1.},  # right_hip
    {26: 1.},  # right_knee
    {28: 1.},  # right_foot <- right_ankle
)


def _mapping_matrix() -> np.ndarray:
    mat = np.zeros((NUM_JOINTS, MEDIAPIPE_NUM_LANDMARKS), np.float32)
    for j, weights in enumerate(MEDIAPIPE_TO_EGAIT):
        for k, w in weights.items():
            mat[j, k] = w
    return mat


#: ``(16, 33)``: ``egait = MEDIAPIPE_TO_EGAIT_MATRIX @ landmarks``.
MEDIAPIPE_TO_EGAIT_MATRIX = _mapping_matrix()
assert len(MEDIAPIPE_TO_EGAIT) == len(JOINT_NAMES)
assert np.allclose(MEDIAPIPE_TO_EGAIT_MATRIX.sum(1), 1.)


def mediapipe_to_egait(landmarks: np.ndarray,
                       convention: str = 'camera',
                       center: bool = True) -> np.ndarray:
    """Map MediaPipe Pose world landmarks to the 16 E-Gait joints.

    Args:
        landmarks (np.ndarray): ``(..., 33, C)`` landmarks, ``C >= 3``: x, y,
            z first (further channels such as visibility are ignored).
        convention (str): Axes of the input, see
            :data:`step_mm.adapters.H36M_CONVENTIONS`; ``'camera'`` (x right,
            y down, z away from the camera) for MediaPipe's world
            landmarks. Defaults to ``'camera'``.
        center (bool): Subtract the root joint in every frame.
            Defaults to True.

    Returns:
        np.ndarray: ``(..., 16, 3)`` float32 E-Gait joints, Y up.

    Examples:
        >>> import numpy as np
        >>> mediapipe_to_egait(np.zeros((30, 33, 4))).shape
        (30, 16, 3)
    """
    x = np.asarray(landmarks)
    if (x.ndim < 2 or x.shape[-2] != MEDIAPIPE_NUM_LANDMARKS
            or x.shape[-1] < 3):
        raise ValueError('mediapipe_to_egait expects MediaPipe Pose '
                         f'landmarks of shape (..., {MEDIAPIPE_NUM_LANDMARKS}'
                         f', 3+), got {x.shape}')
    joints = np.einsum('jk,...kc->...jc', MEDIAPIPE_TO_EGAIT_MATRIX,
                       x[..., :3].astype(np.float32))
    joints = to_y_up(joints, convention)
    if center:
        joints = joints - joints[..., :1, :]
    return joints.astype(np.float32)
