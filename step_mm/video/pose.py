# Copyright (c) step_mm contributors. All rights reserved.
"""3D poses of tracked people with MediaPipe Pose, on per-person crops.

MediaPipe Pose (BlazePose GHUM, ``mediapipe.solutions.pose``) is a
single-person model whose weights ship inside the ``mediapipe==0.10.21``
wheel (``pose_detection.tflite``, ``pose_landmark_full.tflite``): nothing
is downloaded. It finds nobody in a street scene where people are 60-120 px
tall, but works on a crop around each person. Each track gets its own
``Pose`` graph in video mode, so between frames MediaPipe follows the
person from its previous landmarks instead of detecting again.
"""
import os
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from ._mediapipe_worker import MEDIAPIPE_HINT, PoseGraphs, import_mediapipe

__all__ = [
    'PoseObservation', 'MediaPipePoseEstimator', 'crop_transform',
    'import_mediapipe', 'landmarks_box', 'MEDIAPIPE_HINT'
]


@dataclass
class PoseObservation:
    """One person's pose in one frame.

    Attributes:
        keypoints (np.ndarray): ``(K, C)`` the backend's pose (MediaPipe:
            33 world landmarks, metres, origin between the hips; x right,
            y down, z away from the camera).
        image (np.ndarray): ``(K', 2)`` the pose's keypoints in frame pixels.
        visibility (np.ndarray): ``(K',)`` their scores.
        box (np.ndarray): ``(4,)`` ``xyxy`` tight person box from the image
            keypoints.
    """
    keypoints: np.ndarray
    image: np.ndarray
    visibility: np.ndarray
    box: np.ndarray


def crop_transform(box: np.ndarray, crop_size: int,
                   crop_scale: float) -> Tuple[float, float, float]:
    """Square crop around a person box.

    Args:
        box (np.ndarray): ``xyxy`` person box.
        crop_size (int): Side of the crop image in pixels.
        crop_scale (float): Side of the crop over the box's longer side.

    Returns:
        tuple[float, float, float]: ``(x0, y0, s)``: frame point
        ``(x, y)`` is crop pixel ``((x - x0) * s, (y - y0) * s)``.
    """
    x0, y0, x1, y1 = [float(v) for v in box]
    side = max(x1 - x0, y1 - y0, 1.) * crop_scale
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - side / 2, cy - side / 2, crop_size / side


def landmarks_box(image_xy: np.ndarray) -> np.ndarray:
    """Tight ``xyxy`` person box from image landmarks (head to feet).

    The top is raised by 8 % of the landmarks' height: the highest
    landmarks are the eyes, not the top of the head.
    """
    x0, y0 = image_xy.min(0)
    x1, y1 = image_xy.max(0)
    return np.array([x0, y0 - 0.08 * (y1 - y0), x1, y1], np.float64)


class MediaPipePoseEstimator:
    """MediaPipe Pose for many tracked people, one graph per track.

    Args:
        crop_size (int): Side of the square crop given to MediaPipe.
            Defaults to 192.
        crop_scale (float): Crop side over the person box's longer side.
            Defaults to 1.4.
        min_detection_confidence (float): MediaPipe's person-detection
            threshold. Defaults to 0.5.
        min_tracking_confidence (float): MediaPipe's landmark-tracking
            threshold (below it, it detects again). Defaults to 0.5.
        smooth_landmarks (bool): MediaPipe's own temporal filter. Defaults
            to False: smoothing belongs to the STEP config's pipeline, which
            sees the true frame rate (MediaPipe's legacy API assumes 30 fps).
        workers (int): Worker processes running the graphs in parallel
            (each track stays on one worker); 0 runs them in this process.
            Defaults to 0.
    """

    name = 'mediapipe'

    #: E-Gait joints from the backend's keypoints, a registered transform.
    adapter = dict(type='MediaPipeToEGait')

    def __init__(self,
                 crop_size: int = 192,
                 crop_scale: float = 1.4,
                 min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5,
                 smooth_landmarks: bool = False,
                 workers: int = 0) -> None:
        self.crop_size = int(crop_size)
        self.crop_scale = float(crop_scale)
        self.pose_kwargs = dict(
            static_image_mode=False,
            model_complexity=1,  # the model the wheel ships
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence)
        self.workers = int(workers)
        self._local = None
        self._conns, self._procs = [], []
        self._owner: Dict[int, int] = {}
        if self.workers <= 0:
            self._local = PoseGraphs(**self.pose_kwargs)
        else:
            import importlib.util
            if importlib.util.find_spec('mediapipe') is None:
                raise ImportError(f'{MEDIAPIPE_HINT}: no module mediapipe')
            self._start_workers()

    def _start_workers(self) -> None:
        """Start worker processes running ``_mediapipe_worker.py``: a fresh
        interpreter that imports only NumPy and MediaPipe (not torch, not
        the caller's main module), talking over two pipes each."""
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        from . import _mediapipe_worker
        flags = ['-P'] if sys.version_info >= (3, 11) else []
        for _ in range(self.workers):
            to_child, from_parent = os.pipe()
            to_parent, from_child = os.pipe()
            proc = subprocess.Popen(
                [sys.executable] + flags +
                [_mediapipe_worker.__file__,
                 str(to_child), str(from_child)],
                pass_fds=(to_child, from_child),
                stdout=subprocess.DEVNULL)
            os.close(to_child)
            os.close(from_child)
            self._procs.append(proc)
            self._conns.append((Connection(from_parent, readable=False),
                                Connection(to_parent, writable=False)))
        for send, _ in self._conns:
            send.send(('init', self.pose_kwargs))
        for conn in self._conns:
            self._reply(conn)

    @staticmethod
    def _reply(conn):
        try:
            status, value = conn[1].recv()
        except EOFError as e:
            raise RuntimeError('a MediaPipe pose worker died') from e
        if status == 'error':
            raise RuntimeError(f'MediaPipe pose worker failed: {value}')
        return value

    def crop(self, frame_rgb: np.ndarray, box: np.ndarray
             ) -> Tuple[np.ndarray, Tuple[float, float, float]]:
        """The square RGB crop of a person and its transform."""
        x0, y0, s = crop_transform(box, self.crop_size, self.crop_scale)
        mat = np.array([[s, 0., -x0 * s], [0., s, -y0 * s]], np.float32)
        img = cv2.warpAffine(
            frame_rgb,
            mat, (self.crop_size, self.crop_size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT)
        return img, (x0, y0, s)

    def estimate(self, frame_rgb: np.ndarray,
                 boxes: Dict[int, np.ndarray]) -> Dict[int, PoseObservation]:
        """The poses of tracked people in one frame.

        Args:
            frame_rgb (np.ndarray): ``(H, W, 3)`` RGB frame.
            boxes (dict[int, np.ndarray]): Track id -> ``xyxy`` box.

        Returns:
            dict[int, PoseObservation]: The tracks MediaPipe found a person
            for.
        """
        crops = {tid: self.crop(frame_rgb, box) for tid, box in boxes.items()}
        if self._local is not None:
            raw = [(tid, self._local.process(tid, img))
                   for tid, (img, _) in crops.items()]
        else:
            jobs = [[] for _ in self._conns]
            for tid, (img, _) in crops.items():
                if tid not in self._owner:  # the least busy worker
                    load = np.bincount(
                        list(self._owner.values()), minlength=self.workers)
                    self._owner[tid] = int(load.argmin())
                jobs[self._owner[tid]].append((tid, img))
            busy = [k for k, job in enumerate(jobs) if job]
            for k in busy:
                self._conns[k][0].send(('estimate', jobs[k]))
            raw = [r for k in busy for r in self._reply(self._conns[k])]
        out = {}
        for tid, r in raw:
            if r is None:
                continue
            world, image, vis = r
            x0, y0, s = crops[tid][1]
            image = image * (self.crop_size / s) + np.array([x0, y0],
                                                            np.float32)
            out[tid] = PoseObservation(world, image, vis,
                                       landmarks_box(image))
        return out

    def estimate_one(self, track_id: int, frame_rgb: np.ndarray,
                     box: np.ndarray) -> Optional[PoseObservation]:
        """The pose of one tracked person in a frame, or None."""
        return self.estimate(frame_rgb, {track_id: box}).get(track_id)

    def image_to_egait(self, image: np.ndarray) -> np.ndarray:
        """``(33, 2)`` image landmarks -> ``(16, 2)`` E-Gait joints."""
        from step_mm.adapters.mediapipe import MEDIAPIPE_TO_EGAIT_MATRIX
        return MEDIAPIPE_TO_EGAIT_MATRIX @ image

    def gait_from_keypoints(self, keypoints: np.ndarray) -> np.ndarray:
        """``(T, 33, 3)`` world landmarks -> ``(T, 16, 3)`` E-Gait joints,
        through the registered :attr:`adapter` transform."""
        from mmaction.registry import TRANSFORMS
        adapter = TRANSFORMS.build(self.adapter)
        return adapter(dict(keypoint=keypoints[None]))['keypoint'][0]

    def release(self, track_id: int) -> None:
        """Hand the graph of a track that ended to the next new track."""
        if self._local is not None:
            self._local.release(track_id)
        elif track_id in self._owner:
            self._conns[self._owner.pop(track_id)][0].send(
                ('release', track_id))

    def close(self) -> None:
        """Close every graph (and stop the workers)."""
        if self._local is not None:
            self._local.close()
        for send, _ in self._conns:
            try:
                send.send(('close', None))
            except (BrokenPipeError, OSError):
                pass
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a stuck worker is killed
                proc.kill()
                proc.wait()
        for send, recv in self._conns:
            send.close()
            recv.close()
        self._conns, self._procs, self._owner = [], [], {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
