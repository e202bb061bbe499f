# Copyright (c) step_mm contributors. All rights reserved.
"""Video building blocks: person detection, tracking, pose backends on
per-person crops, and the per-frame loop that ties them together. The
high-level API is :func:`step_mm.apis.inference_video`.

Names load on first use, so ``step-mm`` can read its video options without
importing OpenCV, SciPy or MediaPipe.
"""
import importlib

_EXPORTS = {
    'HOGPersonDetector': 'detection',
    'WholeFrameDetector': 'detection',
    'nms': 'detection',
    'PoseTrack': 'pipeline',
    'VideoInfo': 'pipeline',
    'iter_frames': 'pipeline',
    'split_gaps': 'pipeline',
    'track_poses': 'pipeline',
    'video_info': 'pipeline',
    'MediaPipePoseEstimator': 'pose',
    'PoseObservation': 'pose',
    'MMPosePoseEstimator': 'mmpose_backend',
    'ModelUnavailableError': 'mmpose_backend',
    'IoUTracker': 'tracking',
    'Track': 'tracking',
    'box_iou': 'tracking',
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        module = importlib.import_module(f'{__name__}.{_EXPORTS[name]}')
        return getattr(module, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
