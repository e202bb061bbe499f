# Copyright (c) step_mm contributors. All rights reserved.
"""From an RGB video of people walking to each person's emotion.

:func:`inference_video` chains person detection (OpenCV's HOG people
detector), multi-person tracking (IoU + Hungarian assignment), a pose
backend on per-person crops (MediaPipe Pose's 3D world landmarks by
default; mmpose 2D + VideoPose3D as an option), the registered adapter to
the 16 E-Gait joints, and STEP over sliding windows
(:func:`step_mm.apis.inference_gait`, given each track's real frame rate).
Short gaps in a track are filled by interpolation, long ones split it.
:func:`predict_video` also writes ``<name>.json`` and an annotated
``<name>.mp4``.

Example::

    from step_mm.apis import init_gait_model, predict_video
    model = init_gait_model(CONFIG, CHECKPOINT)
    result = predict_video(model, 'walk.mp4', out_dir='out')
    for track in result.tracks:
        print(track.track_id, track.emotion)
"""
import os
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

import numpy as np
import torch.nn as nn

from step_mm.apis.inference import (MIN_FRAMES, inference_gait,
                                    model_class_names)
from step_mm.utils.io import atomic_path, dump_json

__all__ = [
    'TrackEmotion', 'VideoResult', 'build_pose_backend', 'inference_video',
    'write_annotated_video', 'predict_video', 'POSE_BACKENDS'
]

#: Pose backends by name (:func:`build_pose_backend`).
POSE_BACKENDS = ('mediapipe', 'mmpose')


@dataclass
class TrackEmotion:
    """The emotion of one tracked person.

    Attributes:
        track_id (int): Tracker id.
        first_frame (int): First frame with a pose.
        last_frame (int): Last frame with a pose.
        num_pose_frames (int): Frames with a pose.
        segments (list[tuple[int, int]]): ``[start, end)`` frames of the
            continuous pieces given to STEP (gaps filled, long gaps split;
            pieces shorter than ``min_gait_s`` are left out).
        emotion (str | None): Predicted class (None: no piece was long
            enough).
        probs (np.ndarray | None): ``(C,)`` mean probabilities of the
            windows.
        windows (list[dict]): ``start``, ``end`` (video frames, end
            exclusive), ``probs`` (``(C,)``) of each STEP window.
        warnings (list[str]): Why a piece does not look like a walk
            (``GaitResult.warnings``), once each.
    """
    track_id: int
    first_frame: int
    last_frame: int
    num_pose_frames: int
    segments: List[tuple] = field(default_factory=list)
    emotion: Optional[str] = None
    probs: Optional[np.ndarray] = None
    windows: List[dict] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    def window_at(self, frame: int) -> Optional[dict]:
        """The window whose centre is nearest ``frame`` among those holding
        it (None outside every window)."""
        best, dist = None, None
        for w in self.windows:
            if w['start'] <= frame < w['end']:
                d = abs((w['start'] + w['end'] - 1) / 2 - frame)
                if dist is None or d < dist:
                    best, dist = w, d
        return best


@dataclass
class VideoResult:
    """Everything :func:`inference_video` found in a video.

    Attributes:
        video (str): The input path.
        fps (float): Its frame rate.
        num_frames (int): Frames read.
        width (int): Frame width.
        height (int): Frame height.
        class_names (tuple[str]): The model's classes.
        tracks (list[TrackEmotion]): One per tracked person with a pose.
        frames_with_pose (int): Frames where at least one person has a pose.
        pose_backend (str): Backend name.
        timing (dict): Seconds per stage.
        pose_tracks (list): The :class:`step_mm.video.PoseTrack` of each
            track (boxes, image joints), for drawing.
        json_file (str | None): Written by :func:`predict_video`.
        video_file (str | None): Written by :func:`predict_video`.
    """
    video: str
    fps: float
    num_frames: int
    width: int
    height: int
    class_names: tuple
    tracks: List[TrackEmotion]
    frames_with_pose: int
    pose_backend: str
    timing: Dict[str, float]
    pose_tracks: list = field(default_factory=list, repr=False)
    json_file: Optional[str] = None
    video_file: Optional[str] = None

    def to_dict(self) -> dict:
        """A JSON-serialisable summary."""
        names = list(self.class_names)

        def probs(p):
            return None if p is None else {
                n: round(float(v), 6)
                for n, v in zip(names, p)
            }

        tracks = []
        for t in self.tracks:
            tracks.append(
                dict(
                    track_id=t.track_id,
                    first_frame=t.first_frame,
                    last_frame=t.last_frame,
                    num_pose_frames=t.num_pose_frames,
                    segments=[list(s) for s in t.segments],
                    emotion=t.emotion,
                    probs=probs(t.probs),
                    windows=[
                        dict(
                            start=w['start'],
                            end=w['end'],
                            emotion=names[int(np.argmax(w['probs']))],
                            probs=probs(w['probs'])) for w in t.windows
                    ],
                    warnings=list(t.warnings)))
        return dict(
            video=self.video,
            fps=self.fps,
            num_frames=self.num_frames,
            width=self.width,
            height=self.height,
            pose_backend=self.pose_backend,
            class_names=names,
            frames_with_pose=self.frames_with_pose,
            num_tracks=len(self.tracks),
            num_tracks_with_emotion=sum(t.emotion is not None
                                        for t in self.tracks),
            tracks=tracks,
            timing={k: round(float(v), 3)
                    for k, v in self.timing.items()})


def build_pose_backend(name: str = 'mediapipe', **kwargs):
    """A pose backend by name.

    Args:
        name (str): ``'mediapipe'`` (MediaPipe Pose world landmarks, no
            download) or ``'mmpose'`` (mmpose top-down 2D + VideoPose3D;
            checkpoints default to the OpenMMLab model-zoo URLs).
        **kwargs: The backend's arguments
            (:class:`step_mm.video.MediaPipePoseEstimator`,
            :class:`step_mm.video.MMPosePoseEstimator`).
    """
    if name == 'mediapipe':
        from step_mm.video.pose import MediaPipePoseEstimator
        return MediaPipePoseEstimator(**kwargs)
    if name == 'mmpose':
        from step_mm.video.mmpose_backend import MMPosePoseEstimator
        return MMPosePoseEstimator(**kwargs)
    raise ValueError(f'unknown pose backend {name!r}; choose one of '
                     f'{POSE_BACKENDS}')


def _gait_pieces(track, backend, fps: float, max_gap: int,
                 min_len: int) -> List[tuple]:
    """``(first frame, (L, 16, 3) E-Gait joints)`` pieces of one track."""
    from step_mm.video.pipeline import split_gaps
    pieces = []
    for start, kp in split_gaps(track.frames, track.keypoints, max_gap):
        if len(kp) >= min_len:
            pieces.append((start, backend.gait_from_keypoints(kp)))
    return pieces


def inference_video(model: nn.Module,
                    video: str,
                    pose_backend: Union[str, dict, object] = 'mediapipe',
                    detector=None,
                    detect_every: Optional[int] = None,
                    fps: Optional[float] = None,
                    max_gap_s: float = 0.5,
                    min_gait_s: float = 1.0,
                    stride: Optional[int] = None,
                    split_threshold: Optional[float] = 5.0,
                    max_frames: Optional[int] = None,
                    min_height: float = 40.,
                    follow_pose: bool = True,
                    progress: bool = True) -> VideoResult:
    """Predict the emotion of every walking person in a video.

    Args:
        model (nn.Module): A STEP model from
            :func:`step_mm.apis.init_gait_model`.
        video (str): Video file (anything OpenCV reads).
        pose_backend (str | dict | object): ``'mediapipe'``, ``'mmpose'``,
            a dict of :func:`build_pose_backend`'s arguments with the name
            as ``type`` (e.g. ``dict(type='mediapipe', workers=2)``) or a
            built backend. A backend built here from a name or a dict is
            closed here; a built one is left to its owner. Defaults to
            ``'mediapipe'``.
        detector (callable, optional): ``detector(frame) -> (boxes,
            scores)``. Defaults to
            :class:`step_mm.video.HOGPersonDetector` with its motion gate
            (for fixed cameras; a moving camera makes it scan whole frames).
        detect_every (int, optional): Detection interval in frames.
            Defaults to about one second of frames.
        fps (float, optional): Overrides the video's frame rate.
        max_gap_s (float): Longest gap of missed poses (seconds) filled by
            interpolation; longer gaps split a track. Defaults to 0.5.
        min_gait_s (float): Shortest piece of a track given to STEP
            (seconds). Defaults to 1.
        stride (int, optional): STEP window step in model frames (see
            :func:`step_mm.apis.inference_gait`).
        split_threshold (float, optional): ``inference_gait``'s jump
            detection threshold; None never splits a piece. Defaults to 5.
        max_frames (int, optional): Read at most this many frames.
        min_height (float): People lower than this (pixels) get no pose.
            Defaults to 40.
        follow_pose (bool): Follow people between detections by the boxes
            of their poses; False keeps the detector's boxes (see
            :func:`step_mm.video.track_poses`). Defaults to True.
        progress (bool): Show a progress bar (videos of 100 frames or
            more). Defaults to True.

    Returns:
        VideoResult: The tracks and their emotions.
    """
    from step_mm.video.detection import HOGPersonDetector
    from step_mm.video.pipeline import track_poses, video_info
    info = video_info(video, fps)
    own_backend = isinstance(pose_backend, (str, dict))
    if isinstance(pose_backend, dict):
        cfg = dict(pose_backend)
        backend = build_pose_backend(cfg.pop('type'), **cfg)
    else:
        backend = build_pose_backend(pose_backend) if own_backend \
            else pose_backend
    backend_name = pose_backend if isinstance(pose_backend, str) else \
        getattr(backend, 'name', type(backend).__name__)
    if detector is None:
        detector = HOGPersonDetector(motion_gate=True, min_height=min_height)
    if detect_every is None:
        detect_every = max(1, int(round(info.fps)))
    try:
        t0 = time.perf_counter()
        pose_tracks, timing = track_poses(
            info,
            backend,
            detector,
            detect_every=detect_every,
            min_height=min_height,
            max_frames=max_frames,
            progress=progress,
            follow_pose=follow_pose)
        t1 = time.perf_counter()
        max_gap = int(round(max_gap_s * info.fps))
        min_len = max(MIN_FRAMES, int(round(min_gait_s * info.fps)))
        pieces = [_gait_pieces(t, backend, info.fps, max_gap, min_len)
                  for t in pose_tracks]
    finally:
        if own_backend:
            backend.close()
    flat = [p[1] for ps in pieces for p in ps]
    results = inference_gait(
        model,
        flat,
        fps=[info.fps] * len(flat),
        stride=stride,
        split_threshold=split_threshold) if flat else []
    t2 = time.perf_counter()
    class_names = model_class_names(model.cfg, model)
    tracks, k = [], 0
    with_pose = set()
    for trk, ps in zip(pose_tracks, pieces):
        with_pose.update(trk.frames.tolist())
        te = TrackEmotion(trk.track_id, int(trk.frames[0]),
                          int(trk.frames[-1]), len(trk.frames))
        probs = []
        for start, joints in ps:
            res = results[k]
            k += 1
            te.segments.append((start, start + len(joints)))
            te.warnings += [
                w for w in getattr(res, 'warnings', ()) if w not in te.warnings
            ]
            for s, e, p in zip(res.window_starts, res.window_ends,
                               res.window_probs):
                te.windows.append(
                    dict(start=int(start + s), end=int(start + e), probs=p))
                probs.append(p)
        if probs:
            te.probs = np.mean(probs, 0)
            te.emotion = class_names[int(te.probs.argmax())]
        tracks.append(te)
    timing.update(tracking_and_pose=t1 - t0, step=t2 - t1)
    return VideoResult(
        video=video,
        fps=info.fps,
        num_frames=int(timing['frames']),
        width=info.width,
        height=info.height,
        class_names=tuple(class_names),
        tracks=tracks,
        frames_with_pose=len(with_pose),
        pose_backend=backend_name,
        timing=timing,
        pose_tracks=pose_tracks)


def write_annotated_video(result: VideoResult,
                          out_file: str,
                          progress: bool = True) -> str:
    """Write the video with each person's box, skeleton and current label.

    The label is the track id and the emotion of the STEP window centred
    nearest the frame (the track's emotion where no window holds it). The
    file is written under a temporary name and renamed when complete.

    Args:
        result (VideoResult): From :func:`inference_video`.
        out_file (str): ``.mp4`` path.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        str: ``out_file``.
    """
    import cv2

    from step_mm.video.pipeline import iter_frames
    from step_mm.visualization.video_overlay import draw_person
    by_frame: Dict[int, list] = {}
    emotions = {t.track_id: t for t in result.tracks}
    for trk in result.pose_tracks:
        for i, f in enumerate(trk.frames.tolist()):
            by_frame.setdefault(f, []).append((trk, i))
    bar = None
    if progress and result.num_frames >= 100:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(result.num_frames)
    names = result.class_names
    with atomic_path(out_file, suffix='.mp4') as tmp:
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'),
                                 result.fps, (result.width, result.height))
        if not writer.isOpened():
            raise ValueError(f'{out_file}: OpenCV cannot write an mp4 video')
        try:
            for t, frame in enumerate(
                    iter_frames(result.video, result.num_frames)):
                for trk, i in by_frame.get(t, []):
                    te = emotions[trk.track_id]
                    win = te.window_at(t)
                    label = None
                    if win is not None:
                        p = win['probs']
                        label = f'{names[int(p.argmax())]} {p.max():.2f}'
                    elif te.emotion is not None:
                        label = te.emotion
                    draw_person(frame, trk.boxes[i], trk.image[i],
                                trk.track_id, label)
                writer.write(frame)
                if bar is not None:
                    bar.update()
        finally:
            writer.release()
    if bar is not None:
        print()
    return out_file


def _write_json(obj: dict, path: str) -> None:
    dump_json(obj, path, indent=1)


def predict_video(model: nn.Module,
                  video: str,
                  out_dir: str,
                  write_video: bool = True,
                  progress: bool = True,
                  **kwargs) -> VideoResult:
    """:func:`inference_video`, then write ``out_dir/<name>.json`` and
    ``out_dir/<name>.mp4``.

    Args:
        model (nn.Module): A STEP model.
        video (str): The input video.
        out_dir (str): Output folder (created).
        write_video (bool): Also write the annotated video.
            Defaults to True.
        progress (bool): Progress bars. Defaults to True.
        **kwargs: Passed to :func:`inference_video`.

    Returns:
        VideoResult: With ``json_file``, ``video_file`` and
        ``timing['write_video']``.
    """
    result = inference_video(model, video, progress=progress, **kwargs)
    os.makedirs(out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(video))[0]
    if write_video:
        t0 = time.perf_counter()
        result.video_file = write_annotated_video(
            result, osp.join(out_dir, name + '.mp4'), progress)
        result.timing['write_video'] = time.perf_counter() - t0
    result.json_file = osp.join(out_dir, name + '.json')
    _write_json(result.to_dict(), result.json_file)
    return result
