# Copyright (c) step_mm contributors. All rights reserved.
"""Draw tracked people on video frames: box, skeleton, id and emotion."""
from typing import Optional

import cv2
import numpy as np

from step_mm.skeleton import EGAIT_INWARD
from .gait_animation import BODY_PART_COLORS, bone_part

__all__ = ['track_color', 'draw_person']

#: The renderer's body-part colours in OpenCV's BGR order; the trunk is
#: lighter, so it shows on dark video frames.
_BGR = {
    part: (230, 230, 230) if part == 'trunk' else tuple(reversed(rgb))
    for part, rgb in BODY_PART_COLORS.items()
}


def track_color(track_id: int) -> tuple:
    """A distinct, bright BGR colour per track id (golden-ratio hues)."""
    hue = int((track_id * 0.618033988749895 % 1.) * 180)
    hsv = np.uint8([[[hue, 200, 255]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def draw_person(img: np.ndarray,
                box: np.ndarray,
                joints: Optional[np.ndarray],
                track_id: int,
                label: Optional[str] = None) -> np.ndarray:
    """Draw one person in place.

    Args:
        img (np.ndarray): BGR frame, modified in place.
        box (np.ndarray): ``xyxy`` person box.
        joints (np.ndarray, optional): ``(16, 2)`` E-Gait joints in pixels.
        track_id (int): Track id (sets the colour).
        label (str, optional): Text after the id, e.g. ``'sad 0.62'``.

    Returns:
        np.ndarray: ``img``.
    """
    color = track_color(track_id)
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    cv2.rectangle(img, (x0, y0), (x1, y1), color, 1, cv2.LINE_AA)
    if joints is not None:
        pts = np.round(joints).astype(int)
        for child, parent in EGAIT_INWARD:
            cv2.line(img, tuple(pts[child]), tuple(pts[parent]),
                     _BGR[bone_part(child)], 1, cv2.LINE_AA)
        for p in pts:
            cv2.circle(img, tuple(p), 1, (255, 255, 255), -1)
    text = f'#{track_id}' + (f' {label}' if label else '')
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.42
    (tw, th), base = cv2.getTextSize(text, font, scale, 1)
    ty = max(th + 2, y0 - 3)
    cv2.rectangle(img, (x0, ty - th - 2), (x0 + tw + 2, ty + base - 1),
                  (0, 0, 0), -1)
    cv2.putText(img, text, (x0 + 1, ty - 1), font, scale, color, 1,
                cv2.LINE_AA)
    return img
