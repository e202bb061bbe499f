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
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

__all__ = ['PoseObservation', 'MediaPipePoseEstimator', 'crop_transform',
           'import_mediapipe', 'landmarks_box']

MEDIAPIPE_HINT = ('the MediaPipe pose backend needs mediapipe==0.10.21 '
                  '(installed by `make venv`, requirements/video.txt)')


def import_mediapipe():
    """Import ``mediapipe`` or raise one clear ImportError."""
    try:
        import mediapipe
        return mediapipe
    except ImportError as e:
        raise ImportError(f'{MEDIAPIPE_HINT}: {e}') from e


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
    """

    name = 'mediapipe'

    def __init__(self,
                 crop_size: int = 192,
                 crop_scale: float = 1.4,
                 min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5,
                 smooth_landmarks: bool = False) -> None:
        self._mp = import_mediapipe()
        self.crop_size = int(crop_size)
        self.crop_scale = float(crop_scale)
        self.min_detection_confidence = min_detection_confidence
        self.min_tracking_confidence = min_tracking_confidence
        self.smooth_landmarks = smooth_landmarks
        self._graphs: Dict[int, object] = {}
        self._free = []

    def _graph(self, track_id: int):
        g = self._graphs.get(track_id)
        if g is None and self._free:  # graphs are slow to build: reuse
            g = self._graphs[track_id] = self._free.pop()
        if g is None:
            g = self._mp.solutions.pose.Pose(
                static_image_mode=False,
                model_complexity=1,  # the model the wheel ships
                smooth_landmarks=self.smooth_landmarks,
                enable_segmentation=False,
                min_detection_confidence=self.min_detection_confidence,
                min_tracking_confidence=self.min_tracking_confidence)
            self._graphs[track_id] = g
        return g

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

    #: E-Gait joints from the backend's keypoints, a registered transform.
    adapter = dict(type='MediaPipeToEGait')

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
        out = {}
        for tid, box in boxes.items():
            ob = self.estimate_one(tid, frame_rgb, box)
            if ob is not None:
                out[tid] = ob
        return out

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

    def estimate_one(self, track_id: int, frame_rgb: np.ndarray,
                     box: np.ndarray) -> Optional[PoseObservation]:
        """The pose of one tracked person in a frame, or None.

        Args:
            track_id (int): The track (its graph keeps MediaPipe's state).
            frame_rgb (np.ndarray): ``(H, W, 3)`` RGB frame.
            box (np.ndarray): The person's ``xyxy`` box in this frame.

        Returns:
            PoseObservation | None: None where MediaPipe finds no person.
        """
        img, (x0, y0, s) = self.crop(frame_rgb, box)
        res = self._graph(track_id).process(img)
        if res.pose_world_landmarks is None or res.pose_landmarks is None:
            return None
        world = np.array([(p.x, p.y, p.z)
                          for p in res.pose_world_landmarks.landmark],
                         np.float32)
        lm = res.pose_landmarks.landmark
        image = np.array([(p.x, p.y) for p in lm], np.float32)
        image = image * (self.crop_size / s) + np.array([x0, y0], np.float32)
        vis = np.array([p.visibility for p in lm], np.float32)
        return PoseObservation(world, image, vis, landmarks_box(image))

    def release(self, track_id: int) -> None:
        """Hand the graph of a track that ended to the next new track."""
        g = self._graphs.pop(track_id, None)
        if g is not None:
            self._free.append(g)

    def close(self) -> None:
        """Close every graph."""
        for g in list(self._graphs.values()) + self._free:
            g.close()
        self._graphs, self._free = {}, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
