# Copyright (c) step_mm contributors. All rights reserved.
"""From the frames of a video to per-person pose sequences.

:func:`track_poses` reads a video once: every ``detect_every`` frames the
person detector runs and its boxes are matched to the tracks
(:class:`~step_mm.video.tracking.IoUTracker`); in every frame each live
track's box (predicted from its motion, or just matched) gives a crop on
which the pose backend estimates the person's pose, and the box of that
pose is the track's observation for the frame. So people are followed
between detections by their own poses, and the detector can run rarely.
A track whose pose is lost for longer than ``max_missed`` frames ends
(sooner for a track that never had a pose: a false detection).

:func:`split_gaps` turns one track's frames into continuous gaits: short
gaps of missed frames are filled by linear interpolation (as a pose
estimator fills occluded frames), long gaps split the track.
"""
import os.path as osp
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np

from .tracking import IoUTracker, box_iou

__all__ = [
    'VideoInfo', 'PoseTrack', 'video_info', 'iter_frames', 'track_poses',
    'split_gaps'
]


@dataclass
class VideoInfo:
    """Frame rate, frame count (0 if unknown), width and height."""
    path: str
    fps: float
    num_frames: int
    width: int
    height: int


@dataclass
class PoseTrack:
    """The poses of one tracked person.

    Attributes:
        track_id (int): The tracker's id.
        frames (np.ndarray): ``(n,)`` frames with a pose, increasing.
        keypoints (np.ndarray): ``(n, K, C)`` the backend's poses
            (MediaPipe: 33 world landmarks, metres).
        image (np.ndarray): ``(n, 16, 2)`` the pose in frame pixels, in the
            E-Gait joint order (for drawing).
        boxes (np.ndarray): ``(n, 4)`` ``xyxy`` person boxes.
    """
    track_id: int
    frames: np.ndarray
    keypoints: np.ndarray
    image: np.ndarray
    boxes: np.ndarray


def video_info(path: str, fps: Optional[float] = None) -> VideoInfo:
    """Open a video with OpenCV and read its properties.

    Args:
        path (str): The video file.
        fps (float, optional): Overrides the stored frame rate.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If OpenCV cannot read a frame of it, or its frame rate
            is unknown and none is given.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: video not found')
    cap = cv2.VideoCapture(path)
    try:
        ok = cap.isOpened() and cap.read()[0]
        if not ok:
            raise ValueError(f'{path}: OpenCV cannot read a frame of it '
                             '(not a video, truncated, or an unknown codec)')
        stored = cap.get(cv2.CAP_PROP_FPS) or 0.
        info = VideoInfo(path,
                         float(fps or stored),
                         max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT))),
                         int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                         int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        cap.release()
    if not np.isfinite(info.fps) or not 0 < info.fps <= 1000:
        raise ValueError(f'{path}: unknown frame rate ({stored}); pass fps')
    return info


def iter_frames(path: str,
                max_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    """Yield the BGR frames of a video."""
    cap = cv2.VideoCapture(path)
    try:
        n = 0
        while max_frames is None or n < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            yield frame
            n += 1
    finally:
        cap.release()


def _inside(box: np.ndarray, width: int, height: int) -> float:
    """Share of a box's area inside the frame."""
    x0, y0 = max(box[0], 0), max(box[1], 0)
    x1, y1 = min(box[2], width), min(box[3], height)
    area = max(box[2] - box[0], 1e-6) * max(box[3] - box[1], 1e-6)
    return max(x1 - x0, 0) * max(y1 - y0, 0) / area


def _timed(fn, *args):
    t0 = time.perf_counter()
    return fn(*args), time.perf_counter() - t0


def _estimate(backend, rgb: np.ndarray, tracks, min_height: float,
              info: VideoInfo) -> dict:
    """Poses of the tracks big enough and mostly inside the frame."""
    todo = {
        trk.track_id: trk.box
        for trk in tracks if trk.box[3] - trk.box[1] >= min_height
        and _inside(trk.box, info.width, info.height) >= 0.5
    }
    return backend.estimate(rgb, todo) if todo else {}


@dataclass
class _Acc:
    frames: list = field(default_factory=list)
    keypoints: list = field(default_factory=list)
    image: list = field(default_factory=list)
    boxes: list = field(default_factory=list)

    def to_track(self, track_id: int) -> PoseTrack:
        return PoseTrack(track_id, np.asarray(self.frames, np.int64),
                         np.stack(self.keypoints).astype(np.float32),
                         np.stack(self.image).astype(np.float32),
                         np.stack(self.boxes).astype(np.float32))


def track_poses(info: VideoInfo,
                backend,
                detector,
                tracker: Optional[IoUTracker] = None,
                detect_every: int = 5,
                max_missed: Optional[int] = None,
                min_height: float = 40.,
                max_frames: Optional[int] = None,
                progress: bool = True,
                on_frame=None,
                follow_pose: bool = True
                ) -> Tuple[List[PoseTrack], Dict[str, float]]:
    """Detect, track and estimate the pose of every person in a video.

    Args:
        info (VideoInfo): From :func:`video_info`.
        backend: A pose backend (``estimate(frame_rgb, boxes)`` returning
            ``{track_id: PoseObservation}``, ``release(track_id)``,
            ``image_to_egait(image)``).
        detector: ``detector(frame_bgr) -> (boxes, scores)``.
        tracker (IoUTracker, optional): Defaults to a new one.
        detect_every (int): Detection interval in frames. Defaults to 5.
        max_missed (int, optional): Frames a track may go without a pose
            before it ends. Defaults to one second of frames.
        min_height (float): Boxes lower than this (pixels) get no pose.
            Defaults to 40.
        max_frames (int, optional): Stop after this many frames.
        progress (bool): Show an ``mmengine`` progress bar. Defaults to True.
        on_frame (callable, optional): Called as ``on_frame(t, frame)``.
        follow_pose (bool): The box of a track's pose is its box in the
            next frame. False keeps the detector's boxes (with a detector
            that runs on every frame, e.g. ``WholeFrameDetector``).
            Defaults to True.

    Returns:
        tuple[list[PoseTrack], dict]: Tracks with at least one pose, in id
        order, and seconds spent per stage (``decode``, ``detect``, which
        runs in a thread alongside ``pose``, and ``track``) with ``frames``.
    """
    if max_missed is None:
        max_missed = max(1, int(round(info.fps)))
    if tracker is None:
        tracker = IoUTracker(max_missed=max_missed)
    acc: Dict[int, _Acc] = {}
    last_pose: Dict[int, int] = {}
    timing = dict(decode=0., detect=0., pose=0., track=0., frames=0)
    total = min(info.num_frames or 0, max_frames or 1 << 30)
    bar = None
    if progress and total >= 100:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(total)
    frames = iter_frames(info.path, max_frames)
    pool = ThreadPoolExecutor(max_workers=1)
    t = -1
    while True:
        t0 = time.perf_counter()
        frame = next(frames, None)
        if frame is None:
            break
        t += 1
        t1 = time.perf_counter()
        tracker.predict(t)
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        # The detector runs in a thread (OpenCV releases the GIL) while the
        # pose backend works on the tracks already known.
        found = pool.submit(_timed, detector, frame) \
            if t % detect_every == 0 else None
        t2 = time.perf_counter()
        poses = _estimate(backend, rgb, tracker.live_tracks, min_height,
                          info)
        if found is not None:
            (boxes, _), seconds = found.result()
            timing['detect'] += seconds
            known = set(tracker.tracks)
            tracker.update(boxes, t)
            poses.update(
                _estimate(backend, rgb, [
                    trk for trk in tracker.live_tracks
                    if trk.track_id not in known
                ], min_height, info))
        t4 = time.perf_counter()
        # two tracks on one person: the younger one ends
        ids = sorted(poses)
        if len(ids) > 1:
            iou = box_iou(np.stack([poses[i].box for i in ids]),
                          np.stack([poses[i].box for i in ids]))
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    if ids[a] in poses and ids[b] in poses \
                            and iou[a, b] > 0.6:
                        poses.pop(ids[b])
                        tracker.end(ids[b])
        for tid, ob in poses.items():
            if follow_pose:
                tracker.observe(tid, ob.box, t)
            a = acc.setdefault(tid, _Acc())
            a.frames.append(t)
            a.keypoints.append(ob.keypoints)
            a.image.append(backend.image_to_egait(ob.image))
            a.boxes.append(ob.box)
            last_pose[tid] = t
        for trk in tracker.live_tracks:
            since = t - last_pose.get(trk.track_id, trk.first_frame - 1)
            if since > (max_missed if trk.track_id in last_pose else 1):
                tracker.end(trk.track_id)
        tracker.finish_frame(t)
        for trk in tracker.finished:
            backend.release(trk.track_id)
        tracker.finished.clear()
        if on_frame is not None:
            on_frame(t, frame)
        t5 = time.perf_counter()
        timing['decode'] += t1 - t0
        timing['pose'] += t4 - t2
        timing['track'] += (t2 - t1) + (t5 - t4)
        if bar is not None and t < total:
            bar.update()
    pool.shutdown()
    for trk in tracker.close():
        backend.release(trk.track_id)
    if bar is not None:
        print()
    timing['frames'] = t + 1
    return [acc[k].to_track(k) for k in sorted(acc)], timing


def split_gaps(frames: np.ndarray, values: np.ndarray,
               max_gap: int) -> List[Tuple[int, np.ndarray]]:
    """Continuous pieces of a sequence observed at some frames.

    Gaps of at most ``max_gap`` missing frames are filled by linear
    interpolation; a longer gap ends a piece.

    Args:
        frames (np.ndarray): ``(n,)`` increasing frame indices.
        values (np.ndarray): ``(n, ...)`` values at those frames.
        max_gap (int): Longest run of missing frames that is filled.

    Returns:
        list[tuple[int, np.ndarray]]: ``(first frame, (L, ...) values)`` of
        each piece, every frame from the first to the last present.

    Examples:
        >>> pieces = split_gaps(np.array([0, 1, 3, 10]),
        ...                     np.array([0., 1., 3., 10.]), max_gap=1)
        >>> [(s, v.tolist()) for s, v in pieces]
        [(0, [0.0, 1.0, 2.0, 3.0]), (10, [10.0])]
    """
    frames = np.asarray(frames, np.int64)
    values = np.asarray(values)
    if not len(frames):
        return []
    if np.any(np.diff(frames) <= 0):
        raise ValueError('frames must be strictly increasing')
    cut = np.flatnonzero(np.diff(frames) - 1 > max_gap) + 1
    pieces = []
    for idx in np.split(np.arange(len(frames)), cut):
        f, v = frames[idx], values[idx].astype(np.float32)
        full = np.arange(f[0], f[-1] + 1)
        flat = v.reshape(len(f), -1)
        filled = np.stack(
            [np.interp(full, f, flat[:, c]) for c in range(flat.shape[1])],
            1) if len(f) > 1 else flat
        pieces.append((int(f[0]), filled.reshape((len(full), ) +
                                                 v.shape[1:]).astype(
                                                     np.float32)))
    return pieces
