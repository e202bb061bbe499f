# Copyright (c) step_mm contributors. All rights reserved.
"""High-level inference: build a model, predict the emotion of gaits."""
from .inference import (CheckpointMismatchError, GaitResult,
                        build_test_pipeline, find_discontinuities,
                        inference_gait, init_gait_model, model_class_names,
                        model_clip_len, model_fps, sliding_windows,
                        split_at_discontinuities)
from .video import (POSE_BACKENDS, TrackEmotion, VideoResult,
                    build_pose_backend, inference_video, predict_video,
                    write_annotated_video)
from step_mm.utils.checkpoint import CheckpointReadError

__all__ = [
    'CheckpointMismatchError', 'CheckpointReadError', 'GaitResult',
    'build_test_pipeline', 'find_discontinuities', 'inference_gait',
    'init_gait_model', 'model_class_names', 'model_clip_len', 'model_fps',
    'sliding_windows', 'split_at_discontinuities', 'POSE_BACKENDS',
    'TrackEmotion', 'VideoResult', 'build_pose_backend', 'inference_video',
    'predict_video', 'write_annotated_video'
]
