# Copyright (c) step_mm contributors. All rights reserved.
"""The gait renderer: 3D skeletons drawn with OpenCV, GIFs written by PIL.

One renderer serves every figure of a gait (``step-mm predict --gif``,
``tools/analysis_tools/visualize_gaits.py``, the README images): the skeleton
is projected orthographically from a fixed camera, each bone coloured by its
body part (:data:`BODY_PART_COLORS`, with a legend in every image), and each
panel's title names the emotion. The static parts (titles, probability
bars, legend, floor) are drawn once; a frame costs a copy and 15 lines, so a
75-frame GIF takes well under a second.
"""
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from step_mm.skeleton import EGAIT_INWARD, NUM_JOINTS, align_to_reference

__all__ = [
    'BODY_PART_COLORS', 'bone_part', 'draw_gait_frames', 'save_gif',
    'render_gait_frame', 'render_gait_animation', 'render_gait_grid'
]

#: RGB colour of each body part (matplotlib's tab10 colours).
BODY_PART_COLORS: Dict[str, Tuple[int, int, int]] = {
    'trunk': (100, 100, 100),
    'left arm': (31, 119, 180),
    'right arm': (255, 127, 14),
    'left leg': (44, 160, 44),
    'right leg': (214, 39, 40),
}
_PART_OF_CHILD = {
    **{c: 'left arm' for c in (4, 5, 6)},
    **{c: 'right arm' for c in (7, 8, 9)},
    **{c: 'left leg' for c in (10, 11, 12)},
    **{c: 'right leg' for c in (13, 14, 15)},
}
_BG = (255, 255, 255)
_INK = (30, 30, 30)
_FLOOR = (215, 215, 215)
_BEST = (214, 39, 40)
_OTHER = (200, 200, 200)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_CHILD = np.array([c for c, _ in EGAIT_INWARD])
_PARENT = np.array([p for _, p in EGAIT_INWARD])

Gaits = Union[np.ndarray, Sequence[np.ndarray]]


def bone_part(child: int) -> str:
    """The body part of the bone ending at joint ``child``.

    Args:
        child (int): Child joint of an :data:`EGAIT_INWARD` bone.

    Returns:
        str: A key of :data:`BODY_PART_COLORS`.
    """
    return _PART_OF_CHILD.get(int(child), 'trunk')


def _probs_of(result) -> Optional[Dict[str, float]]:
    """Class name -> probability from a result object or mapping."""
    if result is None:
        return None
    if hasattr(result, 'scores'):
        return dict(result.scores)
    if isinstance(result, Mapping):
        if 'scores' in result:
            return dict(result['scores'])
        return dict(result)
    raise TypeError('result must be a GaitResult, a dict with "scores", or '
                    f'a {{class: prob}} mapping, got {type(result)}')


def _prepare(joints: np.ndarray, normalize: bool) -> np.ndarray:
    x = np.asarray(joints, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (NUM_JOINTS, 3) or len(x) == 0:
        raise ValueError('expected joints of shape (T, 16, 3), got '
                         f'{x.shape}')
    return align_to_reference(x) if normalize else x


def _camera(elev: float, azim: float) -> np.ndarray:
    """``(3, 3)`` rotation: Y-up world -> (right, down, depth) camera."""
    a, e = np.deg2rad(azim), np.deg2rad(elev)
    yaw = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0],
                    [np.sin(a), 0, np.cos(a)]])
    pitch = np.array([[1, 0, 0], [0, np.cos(e), np.sin(e)],
                      [0, -np.sin(e), np.cos(e)]])
    flip = np.diag([1., -1., 1.])  # image rows grow downwards
    return flip @ pitch @ yaw


def _text(img, text, org, scale=0.5, color=_INK, thick=1):
    cv2.putText(img, text, org, _FONT, scale, color, thick, cv2.LINE_AA)


def _fit(text: str, width: int, scale: float) -> str:
    """Shorten ``text`` with '...' until it fits ``width`` pixels."""
    while len(text) > 4 and cv2.getTextSize(text, _FONT, scale,
                                            1)[0][0] > width:
        text = text[:-4] + '...'
    return text


def _draw_bars(img, probs: Mapping[str, float], box) -> None:
    x0, y0, x1, y1 = box
    names = list(probs)
    values = np.array([probs[n] for n in names], dtype=float)
    best = int(values.argmax())
    row = (y1 - y0) / max(len(names), 1)
    label_w = max(cv2.getTextSize(n, _FONT, 0.45, 1)[0][0] for n in names)
    bx0, bx1 = x0 + label_w + 8, x1 - 40
    for i, (name, v) in enumerate(zip(names, values)):
        cy = int(y0 + (i + 0.5) * row)
        _text(img, name, (x0, cy + 5), 0.45)
        end = bx0 + int(round(float(np.clip(v, 0, 1)) * (bx1 - bx0)))
        cv2.rectangle(img, (bx0, cy - 8), (max(end, bx0 + 1), cy + 8),
                      _BEST if i == best else _OTHER, -1)
        _text(img, f'{v:.2f}', (end + 4, cy + 5), 0.4)
    _text(img, 'probability', (bx0, y1 + 14), 0.4)


def _draw_legend(img, y: int) -> None:
    x = 8
    for name, color in BODY_PART_COLORS.items():
        cv2.line(img, (x, y), (x + 18, y), color, 3, cv2.LINE_AA)
        _text(img, name, (x + 23, y + 4), 0.4)
        x += 30 + cv2.getTextSize(name, _FONT, 0.4, 1)[0][0] + 10


class _Panel:
    """One gait's panel: projected joints and the pixel transform."""

    def __init__(self, gait: np.ndarray, box: Tuple[int, int, int, int],
                 rot: np.ndarray, scale: float, centre: np.ndarray):
        self.gait, self.box = gait, box
        x0, y0, x1, y1 = box
        cam = gait.reshape(-1, 3) @ rot.T
        self.uv = ((cam[:, :2] - centre) * scale +
                   ((x0 + x1) / 2, (y0 + y1) / 2)).reshape(len(gait), -1, 2)
        self.depth = cam[:, 2].reshape(len(gait), -1)  # larger is nearer
        self.lw = max(2, int(round(min(x1 - x0, y1 - y0) / 110)))

    def draw(self, img: np.ndarray, t: int) -> None:
        t = t % len(self.gait)
        pts = np.round(self.uv[t] * 4).astype(np.int32)  # 2 fractional bits
        depth = (self.depth[t, _CHILD] + self.depth[t, _PARENT])
        for b in np.argsort(depth):  # far bones first, near ones cover them
            color = BODY_PART_COLORS[bone_part(_CHILD[b])]
            cv2.line(img, tuple(pts[_CHILD[b]]), tuple(pts[_PARENT[b]]),
                     color, self.lw, cv2.LINE_AA, 2)
        for p in pts:
            cv2.circle(img, tuple(p), 4 * (self.lw // 2 + 1), _INK, -1,
                       cv2.LINE_AA, 2)


def _floor(img, gait: np.ndarray, rot, scale, centre, box) -> None:
    """A square of floor under the gait's lowest joint."""
    lo, hi = gait.reshape(-1, 3).min(0), gait.reshape(-1, 3).max(0)
    mid, half = (lo + hi) / 2, max(hi[0] - lo[0], hi[2] - lo[2]) / 2 + 0.15
    corners = np.array([[mid[0] + sx * half, lo[1], mid[2] + sz * half]
                        for sx, sz in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    x0, y0, x1, y1 = box
    uv = (corners @ rot.T)[:, :2]
    uv = (uv - centre) * scale + ((x0 + x1) / 2, (y0 + y1) / 2)
    cv2.fillPoly(img, [np.round(uv).astype(np.int32)], (245, 245, 245),
                 cv2.LINE_AA)
    cv2.polylines(img, [np.round(uv).astype(np.int32)], True, _FLOOR, 1,
                  cv2.LINE_AA)


def draw_gait_frames(gaits: Gaits,
                     titles: Optional[Sequence[str]] = None,
                     result=None,
                     frames: Optional[Sequence[int]] = None,
                     ncols: Optional[int] = None,
                     size: Optional[Tuple[int, int]] = None,
                     normalize: bool = True,
                     elev: float = 12.,
                     azim: float = -30.,
                     counter: bool = True) -> List[np.ndarray]:
    """Draw gaits side by side as RGB frames.

    Args:
        gaits (np.ndarray | Sequence[np.ndarray]): One ``(T, 16, 3)`` gait
            (Y up) or several, one panel each, all at the same scale.
        titles (Sequence[str], optional): One title per panel, e.g.
            ``'real: 0042 (happy)'``. Defaults to the predicted emotion
            with ``result``, else no title.
        result (GaitResult | Mapping, optional): Prediction of a single
            gait: a :class:`step_mm.apis.GaitResult`, a dict with
            ``scores``, or ``{class: prob}``; drawn as bars beside it.
        frames (Sequence[int], optional): Frame indices to draw; a gait
            shorter than an index loops. Defaults to every frame of the
            longest gait.
        ncols (int, optional): Panels per row. Defaults to all in one row.
        size (tuple[int, int], optional): ``(width, height)`` of the image.
            Defaults to ``(750, 400)`` for one gait, 300x300 per panel
            otherwise.
        normalize (bool): Align each gait to the reference pose (facing
            the viewer, fixed scale) first. Defaults to True.
        elev (float): Camera elevation in degrees. Defaults to 12.
        azim (float): Camera azimuth in degrees. Defaults to -30.
        counter (bool): Print ``frame t/T`` in the corner. Defaults to True.

    Returns:
        list[np.ndarray]: ``(H, W, 3)`` uint8 RGB frames.
    """
    if isinstance(gaits, np.ndarray) and gaits.ndim == 3:
        gaits = [gaits]
    gaits = [_prepare(g, normalize) for g in gaits]
    probs = _probs_of(result)
    if probs and len(gaits) != 1:
        raise ValueError('result (the prediction bars) needs a single gait, '
                         f'got {len(gaits)}')
    if titles is None:
        titles = [''] * len(gaits)
        if probs:
            best = max(probs, key=probs.get)
            titles = [f'{best} ({probs[best]:.0%})']
    if len(titles) != len(gaits):
        raise ValueError(f'{len(titles)} titles for {len(gaits)} gaits')
    ncols = min(ncols or len(gaits), len(gaits))
    nrows = -(-len(gaits) // ncols)
    width, height = size or ((750, 400) if len(gaits) == 1 else
                             (300 * ncols, 300 * nrows + 24))
    legend_h, title_h = 24, 26
    plot_w = int(width * 0.6) if probs else width
    cell_w, cell_h = plot_w // ncols, (height - legend_h) // nrows
    rot = _camera(elev, azim)
    # one scale for all panels, so sizes compare
    cam = np.concatenate([g.reshape(-1, 3) for g in gaits]) @ rot.T
    lo, hi = cam[:, :2].min(0), cam[:, :2].max(0)
    extent = np.maximum(hi - lo, 1e-6) * 1.15
    scale = float(min((cell_w - 8) / extent[0],
                      (cell_h - title_h - 8) / extent[1]))
    centre = (lo + hi) / 2

    background = np.full((height, width, 3), _BG, np.uint8)
    panels = []
    for i, (gait, title) in enumerate(zip(gaits, titles)):
        r, c = divmod(i, ncols)
        x0, y0 = c * cell_w, r * cell_h
        box = (x0, y0 + title_h, x0 + cell_w, y0 + cell_h)
        own_centre = (gait.reshape(-1, 3) @ rot.T)[:, :2]
        own_centre = (own_centre.min(0) + own_centre.max(0)) / 2
        _floor(background, gait, rot, scale, own_centre, box)
        panels.append(_Panel(gait, box, rot, scale, own_centre))
        if title:
            scale_t = 0.6 if len(gaits) == 1 else 0.5
            text = _fit(title, cell_w - 8, scale_t)
            tw = cv2.getTextSize(text, _FONT, scale_t, 1)[0][0]
            _text(background, text, (x0 + (cell_w - tw) // 2, y0 + 19),
                  scale_t, _INK, 1)
    if probs:
        _draw_bars(background, probs,
                   (plot_w + 10, int(height * 0.2), width - 10,
                    int(height * 0.75)))
    _draw_legend(background, height - legend_h // 2)

    longest = max(len(g) for g in gaits)
    if frames is None:
        frames = range(longest)
    out = []
    for t in frames:
        img = background.copy()
        for panel in panels:
            panel.draw(img, int(t))
        if counter:
            label = f'frame {int(t) % longest + 1}/{longest}'
            tw = cv2.getTextSize(label, _FONT, 0.4, 1)[0][0]
            _text(img, label, (width - tw - 6, height - 8), 0.4, _INK)
        out.append(img)
    return out


def save_gif(frames: Sequence[np.ndarray], out_file: str,
             fps: float = 30.) -> str:
    """Write RGB frames as a looping GIF (PIL, one shared palette).

    Args:
        frames (Sequence[np.ndarray]): ``(H, W, 3)`` uint8 RGB frames.
        out_file (str): Output ``.gif``.
        fps (float): Playback frame rate. Defaults to 30.

    Returns:
        str: ``out_file``.
    """
    from PIL import Image
    if not frames:
        raise ValueError(f'{out_file}: no frames to write')
    first = Image.fromarray(frames[0])
    # the drawing has few colours: an adaptive palette of the first frame,
    # built once, serves all of them (no per-frame quantisation search)
    palette = first.quantize(64, method=Image.Quantize.MEDIANCUT)
    images = [
        Image.fromarray(f).quantize(
            palette=palette, dither=Image.Dither.NONE) for f in frames
    ]
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    images[0].save(
        out_file,
        save_all=True,
        append_images=images[1:],
        duration=max(20, int(round(1000. / max(fps, 1e-3)))),
        loop=0,
        optimize=False)
    return out_file


def _write_image(img: np.ndarray, out_file: str) -> str:
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    if not cv2.imwrite(out_file, cv2.cvtColor(img, cv2.COLOR_RGB2BGR)):
        raise ValueError(f'{out_file}: cannot write an image of this type')
    return out_file


def _sample(num: int, max_frames: Optional[int],
            fps: float) -> Tuple[np.ndarray, float]:
    """Evenly spaced frame indices (at most ``max_frames``) and their fps."""
    if max_frames is not None and num > max_frames:
        idx = np.linspace(0, num - 1, max_frames).round().astype(int)
        return idx, fps * max_frames / num
    return np.arange(num), fps


def render_gait_frame(joints: np.ndarray,
                      out_file: str,
                      result=None,
                      frame: int = 0,
                      **kwargs) -> str:
    """Save one frame of the skeleton (and the prediction) as an image.

    Args:
        joints (np.ndarray): ``(T, 16, 3)`` gait.
        out_file (str): Output image, e.g. ``frame.png``.
        result (GaitResult | Mapping, optional): Prediction to show.
        frame (int): Frame index. Defaults to 0.
        **kwargs: Passed to :func:`draw_gait_frames`.

    Returns:
        str: ``out_file``.
    """
    img, = draw_gait_frames(joints, result=result, frames=[frame], **kwargs)
    return _write_image(img, out_file)


def render_gait_animation(joints: np.ndarray,
                          out_file: str,
                          result=None,
                          fps: float = 30.,
                          max_frames: Optional[int] = None,
                          **kwargs) -> str:
    """Save the skeleton animation of a gait as a GIF.

    Args:
        joints (np.ndarray): ``(T, 16, 3)`` gait, Y up.
        out_file (str): Output ``.gif``.
        result (GaitResult | Mapping, optional): Prediction shown beside the
            skeleton (bars per class, title with the emotion).
        fps (float): Playback frame rate. Defaults to 30.
        max_frames (int, optional): Draw at most this many frames, evenly
            spaced (playback stays real time). Defaults to None (all).
        **kwargs: Passed to :func:`draw_gait_frames`.

    Returns:
        str: ``out_file``.
    """
    idx, fps = _sample(len(np.asarray(joints)), max_frames, fps)
    frames = draw_gait_frames(joints, result=result, frames=idx, **kwargs)
    return save_gif(frames, out_file, fps)


def render_gait_grid(gaits: Sequence[np.ndarray],
                     out_file: str,
                     titles: Sequence[str],
                     fps: float = 30.,
                     max_frames: Optional[int] = None,
                     frame_png: Optional[str] = None,
                     **kwargs) -> str:
    """Save several gaits as one animation (a GIF, or an MP4 via OpenCV).

    Args:
        gaits (Sequence[np.ndarray]): ``(T, 16, 3)`` gaits, one panel each.
        out_file (str): Output ``.gif`` or ``.mp4``.
        titles (Sequence[str]): One title per gait, naming its emotion.
        fps (float): Playback frame rate. Defaults to 30.
        max_frames (int, optional): At most this many frames, evenly spaced.
        frame_png (str, optional): Also save the middle frame as an image.
        **kwargs: Passed to :func:`draw_gait_frames` (``ncols``, ...).

    Returns:
        str: ``out_file``.
    """
    ext = osp.splitext(out_file)[1].lower()
    if ext not in ('.gif', '.mp4'):
        raise ValueError(f'{out_file}: unknown animation type {ext!r}; use '
                         '.gif or .mp4')
    idx, fps = _sample(max(len(g) for g in gaits), max_frames, fps)
    frames = draw_gait_frames(gaits, titles, frames=idx, **kwargs)
    if frame_png:
        _write_image(frames[len(frames) // 2], frame_png)
    if ext == '.gif':
        return save_gif(frames, out_file, fps)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(out_file, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'{out_file}: OpenCV cannot write .mp4 here; '
                           'write a .gif instead')
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return out_file
