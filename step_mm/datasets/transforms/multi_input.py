# Copyright (c) step_mm contributors. All rights reserved.
"""Joint, bone and motion inputs stacked along the channel axis."""
from typing import Dict, Sequence, Tuple

import numpy as np
from mmaction.registry import TRANSFORMS

from step_mm.skeleton import EGAIT_BONE_PAIRS
from .base import BaseGaitTransform
from .gait_transforms import joints_to_bones

STREAMS = ('joint', 'bone', 'motion')


@TRANSFORMS.register_module()
class GaitMultiInput(BaseGaitTransform):
    """Stack several views of a gait along the channel axis.

    ``'joint'`` is the positions, ``'bone'`` each joint minus its parent
    (the root's bone is zero), ``'motion'`` each joint's displacement to
    the next frame times the frame rate (a velocity; the last frame repeats
    the one before). ``keypoint`` ``[M, T, V, 3]`` becomes
    ``[M, T, V, 3 * len(streams)]``, so one backbone with
    ``in_channels=3 * len(streams)`` sees all of them (its input
    BatchNorm scales each channel); this is the multi-input idea of
    EfficientGCN at the cost of a wider first layer. Put it after every
    transform that needs 3D positions (normalisation, augmentation,
    smoothing, :class:`GaitAffectiveFeatures`) and before
    :class:`GaitToLength`, so the motion of a looped gait never spans the
    seam.

    Required Keys:

        - keypoint
        - fps (optional, 30 if absent)

    Modified Keys:

        - keypoint

    Args:
        streams (Sequence[str]): Views, in channel order, from
            ``('joint', 'bone', 'motion')``. Defaults to all three.
        pairs (Sequence[tuple[int, int]]): ``(child, parent)`` pairs of the
            bone view. Defaults to the E-Gait bones.
    """

    repr_args = ('streams', )

    def __init__(self,
                 streams: Sequence[str] = STREAMS,
                 pairs: Sequence[Tuple[int, int]] = EGAIT_BONE_PAIRS) -> None:
        bad = [s for s in streams if s not in STREAMS]
        if bad or not streams:
            raise ValueError(f'streams must be a non-empty subset of '
                             f'{STREAMS}, got {tuple(streams)}')
        self.streams = tuple(streams)
        self.pairs = tuple(tuple(p) for p in pairs)

    def transform(self, results: Dict) -> Dict:
        kp = np.asarray(results['keypoint'], dtype=np.float32)
        if kp.shape[-1] != 3:
            raise ValueError(f'GaitMultiInput expects 3D joints [M, T, V, 3],'
                             f' got {kp.shape}')
        views = []
        for stream in self.streams:
            if stream == 'joint':
                views.append(kp)
            elif stream == 'bone':
                views.append(joints_to_bones(kp, self.pairs))
            else:
                motion = np.zeros_like(kp)
                if kp.shape[1] > 1:
                    motion[:, :-1] = np.diff(kp, axis=1)
                    motion[:, -1] = motion[:, -2]
                views.append(motion * float(results.get('fps', 30.0)))
        results['keypoint'] = np.concatenate(views, axis=-1)
        return results
