# Copyright (c) step_mm contributors. All rights reserved.
"""The E-Gait 16-joint skeleton: joints, graph layout, bones and mirror pairs.

This module is the single source of truth for the skeleton. mmaction2's
:class:`mmaction.models.utils.Graph` accepts :data:`EGAIT_LAYOUT` directly::

    graph_cfg = dict(layout=EGAIT_LAYOUT, mode='stgcn_spatial')
"""
import numpy as np

NUM_JOINTS = 16

JOINT_NAMES = ('root', 'spine', 'neck', 'head', 'left_shoulder', 'left_elbow',
               'left_hand', 'right_shoulder', 'right_elbow', 'right_hand',
               'left_hip', 'left_knee', 'left_foot', 'right_hip',
               'right_knee', 'right_foot')

# (child, parent) pairs, the E-Gait release's edges. Root is joint 0.
EGAIT_INWARD = ((1, 0), (2, 1), (3, 2), (4, 2), (5, 4), (6, 5), (7, 2),
                (8, 7), (9, 8), (10, 0), (11, 10), (12, 11), (13, 0),
                (14, 13), (15, 14))

#: Layout dict understood by ``mmaction.models.utils.Graph`` (which needs
#: ``inward`` as a list).
EGAIT_LAYOUT = dict(num_node=NUM_JOINTS, inward=list(EGAIT_INWARD), center=0)

#: Bone pairs for a bone stream: every joint points to its parent; the root
#: points to itself, so the bone stream keeps all 16 nodes.
EGAIT_BONE_PAIRS = ((0, 0), ) + EGAIT_INWARD

#: Left/right joint pairs swapped by a mirror augmentation.
EGAIT_FLIP_PAIRS = ((4, 7), (5, 8), (6, 9), (10, 13), (11, 14), (12, 15))

#: Joints that move rigidly with the torso; used for the similarity alignment.
TORSO_JOINTS = (0, 1, 2, 4, 7, 10, 13)

#: A fixed canonical standing pose (metres, Y up, facing +Z, the person's
#: left on +X), designed from typical adult proportions. Every gait is
#: aligned to this pose, never to a sample of whatever file is loaded.
REFERENCE_POSE = np.array(
    [
        [0.00, 0.00, 0.00],  # root (pelvis)
        [0.00, 0.20, 0.00],  # spine
        [0.00, 0.45, 0.00],  # neck
        [0.00, 0.62, 0.03],  # head
        [0.18, 0.42, 0.00],  # left shoulder
        [0.21, 0.14, 0.00],  # left elbow
        [0.22, -0.12, 0.03],  # left hand
        [-0.18, 0.42, 0.00],  # right shoulder
        [-0.21, 0.14, 0.00],  # right elbow
        [-0.22, -0.12, 0.03],  # right hand
        [0.10, 0.00, 0.00],  # left hip
        [0.10, -0.42, 0.03],  # left knee
        [0.10, -0.85, 0.00],  # left foot
        [-0.10, 0.00, 0.00],  # right hip
        [-0.10, -0.42, 0.03],  # right knee
        [-0.10, -0.85, 0.00],  # right foot
    ],
    dtype=np.float32)

#: Mirror permutation of the joint index (``x[..., FLIP_INDEX, :]``).
FLIP_INDEX = np.arange(NUM_JOINTS)
for _a, _b in EGAIT_FLIP_PAIRS:
    FLIP_INDEX[_a], FLIP_INDEX[_b] = _b, _a
del _a, _b
