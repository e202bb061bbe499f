# Copyright (c) step_mm contributors. All rights reserved.
"""Multi-person tracking by box overlap: IoU + Hungarian assignment with a
constant-velocity prediction.

Each track keeps its last observed box and a smoothed velocity (pixels per
frame). Every frame :meth:`IoUTracker.predict` moves the tracks to where
their velocity takes them; detections are assigned to these predictions by
:func:`scipy.optimize.linear_sum_assignment` on ``1 - IoU`` (pairs below
``iou_threshold`` are never assigned), so two people who cross keep their
ids: just before and after the crossing each prediction overlaps its own
person best. Between detections a caller may observe a track directly
(:meth:`IoUTracker.observe`, e.g. with the box of its estimated pose). A
track that is not observed for more than ``max_missed`` frames ends.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ['Track', 'IoUTracker', 'box_iou']


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``xyxy`` boxes.

    Args:
        a (np.ndarray): ``(N, 4)`` boxes.
        b (np.ndarray): ``(M, 4)`` boxes.

    Returns:
        np.ndarray: ``(N, M)`` intersection over union (0 for empty boxes).
    """
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    union = area_a[:, None] + area_b[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.)


@dataclass
class Track:
    """One tracked person.

    Attributes:
        track_id (int): Unique id, counting from 0 in order of appearance.
        box (np.ndarray): ``(4,)`` ``xyxy`` box at the current frame (the
            observation, else the prediction).
        first_frame (int): Frame of the first observation.
        last_frame (int): Frame of the last observation.
        velocity (np.ndarray): ``(4,)`` smoothed box motion per frame.
        hits (int): Frames with an observation.
        missed (int): Frames since the last observation.
    """
    track_id: int
    box: np.ndarray
    first_frame: int
    last_frame: int
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(4))
    hits: int = 1
    missed: int = 0
    _obs_box: np.ndarray = field(default=None, repr=False)
    _pending: Optional[np.ndarray] = field(default=None, repr=False)

    def __post_init__(self):
        self.box = np.asarray(self.box, np.float64)
        if self._obs_box is None:
            self._obs_box = self.box.copy()


class IoUTracker:
    """Track boxes over frames by IoU and Hungarian assignment.

    Per frame: :meth:`predict`, then :meth:`update` with the frame's
    detections (on frames with detections) and/or :meth:`observe` for
    tracks whose box is known otherwise, then :meth:`finish_frame`.

    Args:
        iou_threshold (float): Smallest IoU between a track's predicted box
            and a detection for them to be matched. Defaults to 0.2.
        max_missed (int): A track unobserved for more frames than this
            ends. Defaults to 10.
        momentum (float): Smoothing of the velocity (weight of the old
            velocity). Defaults to 0.5.
        duplicate_iou (float): An unmatched detection overlapping a live
            track at least this much starts no new track (it is a second
            detection of that person). Defaults to 0.5.

    Examples:
        >>> tracker = IoUTracker()
        >>> tracker.predict(0)
        >>> tracker.update(np.array([[0, 0, 10, 20]]), 0).tolist()
        [0]
        >>> tracker.finish_frame(0)
        >>> tracker.predict(1)
        >>> tracker.update(np.array([[50, 0, 60, 20], [1, 0, 11, 20]]),
        ...                1).tolist()
        [1, 0]
    """

    def __init__(self,
                 iou_threshold: float = 0.2,
                 max_missed: int = 10,
                 momentum: float = 0.5,
                 duplicate_iou: float = 0.5) -> None:
        self.iou_threshold = iou_threshold
        self.max_missed = max_missed
        self.momentum = momentum
        self.duplicate_iou = duplicate_iou
        self.tracks: Dict[int, Track] = {}
        self.finished: List[Track] = []
        self._next_id = 0
        self._frame = -1

    @property
    def live_tracks(self) -> List[Track]:
        """Tracks that have not ended, in id order."""
        return [self.tracks[k] for k in sorted(self.tracks)]

    def predict(self, frame: int) -> None:
        """Move every live track to its predicted box at ``frame``."""
        self._frame = frame
        for t in self.tracks.values():
            t.box = t._obs_box + t.velocity * (frame - t.last_frame)
            t._pending = None

    def _new_track(self, box: np.ndarray, frame: int) -> Track:
        t = Track(self._next_id, box, frame, frame)
        t._pending = t.box.copy()
        self.tracks[t.track_id] = t
        self._next_id += 1
        return t

    def match(self, boxes: np.ndarray) -> List[Tuple[int, int]]:
        """Assign detections to live tracks without changing anything.

        Args:
            boxes (np.ndarray): ``(N, 4)`` ``xyxy`` detections.

        Returns:
            list[tuple[int, int]]: ``(detection index, track id)`` pairs.
        """
        live = self.live_tracks
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        if not live or not len(boxes):
            return []
        iou = box_iou(boxes, np.stack([t.box for t in live]))
        rows, cols = linear_sum_assignment(1. - iou)
        return [(int(r), live[c].track_id) for r, c in zip(rows, cols)
                if iou[r, c] >= self.iou_threshold]

    def update(self, boxes: np.ndarray, frame: int) -> np.ndarray:
        """Match a frame's detections; start tracks for new people.

        Args:
            boxes (np.ndarray): ``(N, 4)`` ``xyxy`` detections of ``frame``.
            frame (int): The frame (the one given to :meth:`predict`).

        Returns:
            np.ndarray: ``(N,)`` track id of each detection, -1 for a
            duplicate of a tracked person.
        """
        if frame != self._frame:
            raise ValueError(f'update({frame}) after predict({self._frame})')
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        ids = np.full(len(boxes), -1, np.int64)
        for det, tid in self.match(boxes):
            ids[det] = tid
            self.observe(tid, boxes[det], frame)
        live = [t.box for t in self.tracks.values()]
        for i in np.flatnonzero(ids < 0):
            if live and box_iou(boxes[i:i + 1], np.stack(live)).max() >= \
                    self.duplicate_iou:
                continue
            ids[i] = self._new_track(boxes[i], frame).track_id
            live.append(boxes[i])
        return ids

    def observe(self, track_id: int, box: np.ndarray, frame: int) -> None:
        """Set a live track's box at ``frame`` (a later call wins)."""
        if frame != self._frame:
            raise ValueError(f'observe({frame}) after predict({self._frame})')
        t = self.tracks[track_id]
        t.box = np.asarray(box, np.float64).copy()
        t._pending = t.box.copy()

    def finish_frame(self, frame: int) -> List[Track]:
        """Commit the frame's observations; end tracks lost for too long.

        Returns:
            list[Track]: The tracks that ended at this frame.
        """
        ended = []
        for tid in sorted(self.tracks):
            t = self.tracks[tid]
            if t._pending is not None:
                if t.last_frame < frame:  # not a new track
                    step = (t._pending - t._obs_box) / (frame - t.last_frame)
                    t.velocity = (self.momentum * t.velocity +
                                  (1 - self.momentum) * step)
                    t.hits += 1
                t._obs_box = t._pending
                t.last_frame = frame
                t.missed = 0
                t._pending = None
            else:
                t.missed = frame - t.last_frame
                if t.missed > self.max_missed:
                    ended.append(self.tracks.pop(tid))
        self.finished += ended
        return ended

    def end(self, track_id: int) -> Track:
        """End a live track now (e.g. one its pose estimator lost)."""
        t = self.tracks.pop(track_id)
        self.finished.append(t)
        return t

    def close(self) -> List[Track]:
        """End every live track (at the end of a video)."""
        ended = self.live_tracks
        self.tracks = {}
        self.finished += ended
        return ended
