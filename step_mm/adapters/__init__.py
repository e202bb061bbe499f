# Copyright (c) step_mm contributors. All rights reserved.
"""Input adapters: other skeletons and file formats to E-Gait joints.

Every adapter returns ``(T, 16, 3)`` joints in the E-Gait order
(``docs/egait.md``), Y up; :func:`load_gait_file` dispatches on the format.
"""
from .bvh import (BVH_LIMB_PARTS, BVH_NAME_TABLE, BVHError, BVHMotion,
                  bvh_positions, bvh_to_egait, euler_to_matrix,
                  parse_joint_map, read_bvh)
from .coco import COCO_JOINT_NAMES, UnsupportedSkeletonError, coco_to_egait
from .h36m import (H36M_CONVENTIONS, H36M_JOINT_NAMES, H36M_TO_EGAIT,
                   check_convention, h36m_to_egait, to_y_up)
from .mediapipe import (MEDIAPIPE_LANDMARK_NAMES, MEDIAPIPE_TO_EGAIT,
                        MEDIAPIPE_TO_EGAIT_MATRIX, mediapipe_to_egait)
from .loading import DEFAULT_FPS, GAIT_FORMATS, load_array, load_gait_file

__all__ = [
    'BVH_LIMB_PARTS', 'BVH_NAME_TABLE', 'BVHError', 'BVHMotion',
    'bvh_positions', 'bvh_to_egait', 'euler_to_matrix', 'parse_joint_map',
    'read_bvh', 'COCO_JOINT_NAMES',
    'UnsupportedSkeletonError', 'coco_to_egait', 'H36M_CONVENTIONS',
    'H36M_JOINT_NAMES', 'H36M_TO_EGAIT', 'h36m_to_egait', 'to_y_up',
    'check_convention',
    'DEFAULT_FPS', 'GAIT_FORMATS', 'load_array', 'load_gait_file',
    'MEDIAPIPE_LANDMARK_NAMES', 'MEDIAPIPE_TO_EGAIT',
    'MEDIAPIPE_TO_EGAIT_MATRIX', 'mediapipe_to_egait'
]
