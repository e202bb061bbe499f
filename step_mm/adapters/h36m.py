# Copyright (c) step_mm contributors. All rights reserved.
"""Human3.6M-17 skeletons (what mmpose's 3D pose lifters output) to E-Gait.

Joint order of Human3.6M-17, as in mmpose 1.1.0's
``configs/_base_/datasets/h36m.py``:

==  ================  ==  ==================
 0  root (pelvis)      9  neck_base (H36M "Neck/Nose")
 1  right_hip         10  head (top of the head)
 2  right_knee        11  left_shoulder
 3  right_foot        12  left_elbow
 4  left_hip          13  left_wrist
 5  left_knee         14  right_shoulder
 6  left_foot         15  right_elbow
 7  spine             16  right_wrist
 8  thorax
==  ================  ==  ==================

Mapping to the 16 E-Gait joints (:data:`H36M_TO_EGAIT`, E-Gait index ->
H36M index)::

    0 root           <- 0 root          8 right_elbow    <- 15 right_elbow
    1 spine          <- 7 spine         9 right_hand     <- 16 right_wrist
    2 neck           <- 8 thorax       10 left_hip       <- 4 left_hip
    3 head           <- 10 head        11 left_knee      <- 5 left_knee
    4 left_shoulder  <- 11 left_sh.    12 left_foot      <- 6 left_foot
    5 left_elbow     <- 12 left_elbow  13 right_hip      <- 1 right_hip
    6 left_hand      <- 13 left_wrist  14 right_knee     <- 2 right_knee
    7 right_shoulder <- 14 right_sh.   15 right_foot     <- 3 right_foot

H36M's ``neck_base`` (9) is dropped. E-Gait's neck sits between the
shoulders, like H36M's thorax, and its head joint is the head top: the
E-Gait gaits captured in Human3.6M (keys ``S1_*`` .. ``S11_*``) have the
bone-length ratios of exactly this 16-of-17 subset.

Axis conventions (``convention=``), all converted to E-Gait's Y-up,
right-handed frame (facing +Z, the person's left on +X, as the reference
pose):

- ``'camera'``: the raw output of mmpose's pose lifters (VideoPose3D,
  SimpleBaseline3D), in the H36M camera frame: x to the image right, y down
  the image, z away from the camera, metres, root-relative. Converted as
  ``(x, -y, -z)`` (a half turn about x).
- ``'mmpose_demo'``: the coordinates after the post-processing of mmpose's
  ``demo/body3d_pose_lifter_demo.py`` (``(-x, z, -y)`` of the camera frame,
  Z up). That post-processing is a mirror (determinant -1), so undoing it,
  ``(-X, Z, -Y)``, is one too; the result equals the camera conversion
  above. The other conversions are rotations.
- ``'z_up'``: a right-handed Z-up world (H36M world coordinates, many
  mocap tools). Converted as ``(x, z, -y)``.
- ``'y_up'``: already Y-up and right-handed; unchanged.

Orientation and units do not matter to STEP (``NormalizeGait`` removes
them), but which way is up and which side is left do: a mirrored gait
swaps the person's left and right.
"""
from typing import Union

import numpy as np

__all__ = [
    'H36M_JOINT_NAMES', 'H36M_TO_EGAIT', 'H36M_CONVENTIONS', 'to_y_up',
    'check_convention', 'h36m_to_egait'
]

H36M_JOINT_NAMES = ('root', 'right_hip', 'right_knee', 'right_foot',
                    'left_hip', 'left_knee', 'left_foot', 'spine', 'thorax',
                    'neck_base', 'head', 'left_shoulder', 'left_elbow',
                    'left_wrist', 'right_shoulder', 'right_elbow',
                    'right_wrist')

#: ``egait = h36m[..., H36M_TO_EGAIT, :]``.
H36M_TO_EGAIT = (0, 7, 8, 10, 11, 12, 13, 14, 15, 16, 4, 5, 6, 1, 2, 3)

#: Axis conventions: (source axis, sign) for each Y-up output axis.
H36M_CONVENTIONS = {
    'y_up': ((0, 1.), (1, 1.), (2, 1.)),
    'camera': ((0, 1.), (1, -1.), (2, -1.)),
    'mmpose_demo': ((0, -1.), (2, 1.), (1, -1.)),
    'z_up': ((0, 1.), (2, 1.), (1, -1.)),
}


def check_convention(convention: str) -> None:
    """Raise a ``ValueError`` unless ``convention`` is in
    :data:`H36M_CONVENTIONS`.

    Args:
        convention (str): An axis convention name.
    """
    if convention not in H36M_CONVENTIONS:
        raise ValueError(f'unknown axis convention {convention!r}; choose '
                         f'one of {sorted(H36M_CONVENTIONS)}')


def to_y_up(joints: np.ndarray, convention: str = 'y_up') -> np.ndarray:
    """Convert points ``(..., 3)`` from an axis convention to Y-up.

    Args:
        joints (np.ndarray): Points, last axis (x, y, z).
        convention (str): One of :data:`H36M_CONVENTIONS`.
            Defaults to ``'y_up'``.

    Returns:
        np.ndarray: The points in E-Gait's Y-up frame, float32.
    """
    check_convention(convention)
    axes, signs = zip(*H36M_CONVENTIONS[convention])
    x = np.asarray(joints, dtype=np.float32)
    return x[..., list(axes)] * np.asarray(signs, dtype=np.float32)


def h36m_to_egait(joints: Union[np.ndarray, list],
                  convention: str = 'y_up') -> np.ndarray:
    """Map Human3.6M-17 3D joints to the 16 E-Gait joints.

    Args:
        joints (np.ndarray): ``(..., 17, 3)`` H36M-17 joints.
        convention (str): Axis convention of the input, see the module
            docstring (``'camera'`` for raw mmpose lifter output).
            Defaults to ``'y_up'``.

    Returns:
        np.ndarray: ``(..., 16, 3)`` float32 E-Gait joints, Y up.

    Examples:
        >>> import numpy as np
        >>> h36m_to_egait(np.zeros((30, 17, 3))).shape
        (30, 16, 3)
    """
    x = np.asarray(joints)
    if x.ndim < 2 or x.shape[-2:] != (17, 3):
        hint = (' (2D keypoints: lift them to 3D first, see '
                'projects/gait_from_video)' if x.ndim >= 2
                and x.shape[-1] == 2 else '')
        raise ValueError('h36m_to_egait expects Human3.6M-17 3D joints of '
                         f'shape (..., 17, 3), got {x.shape}{hint}')
    return to_y_up(x[..., list(H36M_TO_EGAIT), :], convention)
