# Copyright (c) step_mm contributors. All rights reserved.
"""Person detection with OpenCV's built-in HOG people detector (no weights
file to download).

OpenCV's default people detector (Dalal-Triggs HOG + linear SVM) looks at
64x128 windows in which a standing person is about 96 px tall, so smaller
people are found by upscaling the image (``upscale``). Scanning a whole
upscaled frame costs about a second on one CPU core; for a fixed camera
``motion_gate=True`` scans only around what moves (OpenCV's MOG2
background subtractor on a downscaled frame), which is tens of times
cheaper. The returned boxes are tight person boxes (head to feet), not the
detector's padded windows, so that they overlap boxes made from estimated
poses.
"""
from typing import List, Optional, Tuple

import cv2
import numpy as np

__all__ = ['HOGPersonDetector', 'WholeFrameDetector', 'nms']

#: The part of a HOG window (64x128) that the person fills (x0, y0, x1, y1
#: as fractions of the window): the median over 49 people of vtest.avi of
#: the box of MediaPipe's landmarks on a crop of the window.
HOG_PERSON_IN_WINDOW = (0.27, 0.11, 0.71, 0.83)


def nms(boxes: np.ndarray, scores: np.ndarray,
        iou_threshold: float = 0.4) -> np.ndarray:
    """Greedy non-maximum suppression.

    Args:
        boxes (np.ndarray): ``(N, 4)`` ``xyxy``.
        scores (np.ndarray): ``(N,)``.
        iou_threshold (float): Boxes overlapping a better one more than this
            are dropped. Defaults to 0.4.

    Returns:
        np.ndarray: Indices kept, best first.
    """
    from .tracking import box_iou
    order = np.argsort(-np.asarray(scores))
    keep = []
    iou = box_iou(boxes, boxes)
    alive = np.ones(len(order), bool)
    for k, i in enumerate(order):
        if not alive[k]:
            continue
        keep.append(i)
        alive[k + 1:] &= iou[i, order[k + 1:]] <= iou_threshold
    return np.asarray(keep, np.int64)


class HOGPersonDetector:
    """People in a BGR frame, as tight ``xyxy`` boxes with scores.

    Args:
        upscale (float): Image scale before scanning; 2 finds people from
            about 50 px tall. Defaults to 2.
        win_stride (int): Window step in pixels (of the upscaled image).
            Defaults to 8.
        scale (float): Pyramid step. Defaults to 1.1.
        score_threshold (float): Smallest SVM score kept. Defaults to 0.3.
        nms_iou (float): Non-maximum suppression overlap. Defaults to 0.4.
        min_height (float): Smallest person height kept (pixels of the
            frame). Defaults to 40.
        motion_gate (bool): Scan only around moving regions (fixed cameras).
            Defaults to False.
        motion_scale (float): Frame scale for the background subtractor.
            Defaults to 0.5.
        max_motion_area (float): Above this share of moving pixels (a
            camera motion, the first frames) the whole frame is scanned.
            Defaults to 0.5.
    """

    def __init__(self,
                 upscale: float = 2.0,
                 win_stride: int = 8,
                 scale: float = 1.1,
                 score_threshold: float = 0.3,
                 nms_iou: float = 0.4,
                 min_height: float = 40.,
                 motion_gate: bool = False,
                 motion_scale: float = 0.5,
                 max_motion_area: float = 0.5) -> None:
        self.upscale = float(upscale)
        self.win_stride = int(win_stride)
        self.scale = float(scale)
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self.min_height = min_height
        self.motion_gate = motion_gate
        self.motion_scale = motion_scale
        self.max_motion_area = max_motion_area
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self._bg = None

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(upscale={self.upscale}, '
                f'win_stride={self.win_stride}, scale={self.scale}, '
                f'score_threshold={self.score_threshold}, '
                f'motion_gate={self.motion_gate})')

    def moving_regions(self, frame: np.ndarray
                       ) -> Optional[List[Tuple[int, int, int, int]]]:
        """Regions to scan (``xyxy``), or None to scan the whole frame.

        Feeds the frame to the background model: call it once per frame
        that is detected on.
        """
        h, w = frame.shape[:2]
        if self._bg is None:
            self._bg = cv2.createBackgroundSubtractorMOG2(
                history=50, varThreshold=25, detectShadows=False)
        s = self.motion_scale
        small = cv2.resize(frame, (max(1, int(w * s)), max(1, int(h * s))),
                           interpolation=cv2.INTER_AREA)
        mask = self._bg.apply(small)
        if (mask > 0).mean() > self.max_motion_area:
            return None
        mask = cv2.dilate(
            cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)),
            np.ones((9, 9), np.uint8))
        num, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        regions = []
        for x, y, bw, bh, area in stats[1:num]:
            if bh / s < self.min_height * 0.4:
                continue
            # room for a whole person around the moving part
            cx, cy = (x + bw / 2) / s, (y + bh / 2) / s
            half_h = max(bh / s, self.min_height * 1.5) * 0.9 + 24
            half_w = max(bw / s / 2 + 24, half_h * 0.5)
            regions.append((int(max(0, cx - half_w)),
                            int(max(0, cy - half_h)),
                            int(min(w, cx + half_w)),
                            int(min(h, cy + half_h))))
        return _merge_regions(regions)

    def _scan(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """HOG windows in an image region, in that region's pixels."""
        u = self.upscale
        if u != 1:
            img = cv2.resize(img, None, fx=u, fy=u,
                             interpolation=cv2.INTER_LINEAR)
        if img.shape[0] < 128 or img.shape[1] < 64:
            return np.zeros((0, 4)), np.zeros(0)
        rects, weights = self._hog.detectMultiScale(
            img,
            winStride=(self.win_stride, self.win_stride),
            padding=(8, 8),
            scale=self.scale)
        if not len(rects):
            return np.zeros((0, 4)), np.zeros(0)
        rects = np.asarray(rects, np.float64) / u
        boxes = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], 1)
        return boxes, np.asarray(weights, np.float64).ravel()

    def __call__(self, frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Detect people.

        Args:
            frame (np.ndarray): ``(H, W, 3)`` BGR image.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``(N, 4)`` tight ``xyxy`` person
            boxes and ``(N,)`` SVM scores, best first.
        """
        regions = self.moving_regions(frame) if self.motion_gate else None
        if regions is None:
            regions = [(0, 0, frame.shape[1], frame.shape[0])]
        boxes, scores = [np.zeros((0, 4))], [np.zeros(0)]
        for x0, y0, x1, y1 in regions:
            b, s = self._scan(frame[y0:y1, x0:x1])
            boxes.append(b + [x0, y0, x0, y0])
            scores.append(s)
        boxes, scores = np.concatenate(boxes), np.concatenate(scores)
        fx0, fy0, fx1, fy1 = HOG_PERSON_IN_WINDOW
        ww, wh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        boxes = np.stack([
            boxes[:, 0] + fx0 * ww, boxes[:, 1] + fy0 * wh,
            boxes[:, 0] + fx1 * ww, boxes[:, 1] + fy1 * wh
        ], 1)
        ok = (scores >= self.score_threshold) & (
            boxes[:, 3] - boxes[:, 1] >= self.min_height)
        boxes, scores = boxes[ok], scores[ok]
        keep = nms(boxes, scores, self.nms_iou)
        return boxes[keep].astype(np.float32), scores[keep].astype(np.float32)


class WholeFrameDetector:
    """The whole frame is one person's box: for clips of one walking person
    who fills the frame (where a detector adds nothing)."""

    def __call__(self, frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        h, w = frame.shape[:2]
        return (np.array([[0, 0, w, h]], np.float32),
                np.ones(1, np.float32))

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'


def _merge_regions(regions: List[Tuple[int, int, int, int]]
                   ) -> List[Tuple[int, int, int, int]]:
    """Union overlapping rectangles until none overlap."""
    regions = list(regions)
    merged = True
    while merged:
        merged = False
        out = []
        while regions:
            a = regions.pop()
            for i, b in enumerate(regions):
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    regions[i] = (min(a[0], b[0]), min(a[1], b[1]),
                                  max(a[2], b[2]), max(a[3], b[3]))
                    merged = True
                    break
            else:
                out.append(a)
        regions = out
    return regions
