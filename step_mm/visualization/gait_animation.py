# Copyright (c) step_mm contributors. All rights reserved.
"""Skeleton animations of gaits with the predicted emotion (matplotlib).

Figures are built with the object-oriented API on an Agg canvas, so nothing
here touches pyplot's global state or needs a display.
"""
from typing import Mapping, Optional, Sequence, Union

import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from step_mm.skeleton import EGAIT_INWARD, NUM_JOINTS, align_to_reference

__all__ = ['draw_gait_figure', 'render_gait_frame', 'render_gait_animation']

# Left limbs blue, right limbs orange, the trunk grey (as in mmpose).
_LEFT = {4, 5, 6, 10, 11, 12}
_RIGHT = {7, 8, 9, 13, 14, 15}


def _bone_color(child: int) -> str:
    if child in _LEFT:
        return 'tab:blue'
    if child in _RIGHT:
        return 'tab:orange'
    return 'dimgray'


def _probs_of(result) -> Optional[Mapping[str, float]]:
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
    if x.ndim != 3 or x.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError('expected joints of shape (T, 16, 3), got '
                         f'{x.shape}')
    if normalize:
        x = align_to_reference(x)
    return x


def draw_gait_figure(joints: np.ndarray,
                     result=None,
                     frame: int = 0,
                     title: Optional[str] = None,
                     normalize: bool = True,
                     figsize=(7.5, 4.0),
                     dpi: int = 100):
    """Build the figure of one frame: the skeleton and the class bars.

    Args:
        joints (np.ndarray): ``(T, 16, 3)`` gait, Y up.
        result (GaitResult | Mapping, optional): Prediction to show; a
            :class:`step_mm.apis.GaitResult`, or a ``{class: prob}`` map.
        frame (int): Frame to draw. Defaults to 0.
        title (str, optional): Figure title. Defaults to the prediction.
        normalize (bool): Align the gait to the reference pose (facing the
            viewer, fixed scale) first. Defaults to True.
        figsize (tuple): Figure size in inches. Defaults to (7.5, 4).
        dpi (int): Defaults to 100.

    Returns:
        tuple: ``(fig, update)``; ``update(t)`` redraws frame ``t`` and
        returns the changed artists.
    """
    x = _prepare(joints, normalize)
    probs = _probs_of(result)
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    if probs:
        ax = fig.add_axes([0.0, 0.0, 0.6, 0.92], projection='3d')
        bar = fig.add_axes([0.68, 0.15, 0.28, 0.65])
        names = list(probs)
        values = np.array([probs[n] for n in names], dtype=float)
        best = int(values.argmax())
        colors = ['tab:red' if i == best else 'lightgray'
                  for i in range(len(names))]
        bar.barh(names, values, color=colors)
        bar.set_xlim(0, 1)
        bar.invert_yaxis()
        bar.set_xlabel('probability')
        for i, v in enumerate(values):
            bar.text(min(v + 0.02, 0.8), i, f'{v:.2f}', va='center',
                     fontsize=8)
        if title is None:
            title = f'{names[best]} ({values[best]:.0%})'
    else:
        ax = fig.add_axes([0.0, 0.0, 1.0, 0.92], projection='3d')
    # Plot as (x, z, y): matplotlib's 3D view has Z up, E-Gait has Y up.
    lo, hi = x.reshape(-1, 3).min(0), x.reshape(-1, 3).max(0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.05 + 1e-6
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[2] - half, centre[2] + half)
    ax.set_zlim(centre[1] - half, centre[1] + half)
    ax.set_box_aspect((1, 1, 1), zoom=1.3)
    ax.view_init(elev=12, azim=-70)
    ax.set_xticklabels([])
    ax.set_yticklabels([])
    ax.set_zticklabels([])
    lines = [
        ax.plot([], [], [], color=_bone_color(c), lw=2.5)[0]
        for c, _ in EGAIT_INWARD
    ]
    dots = ax.plot([], [], [], 'o', color='black', ms=2.5)[0]
    caption = fig.text(0.02, 0.02, '', fontsize=8)
    if title:
        fig.suptitle(title, fontsize=12)
    child = np.array([c for c, _ in EGAIT_INWARD])
    parent = np.array([p for _, p in EGAIT_INWARD])

    def update(t: int):
        p = x[t]
        seg = np.stack([p[child], p[parent]], 1)  # (bones, 2, 3)
        for line, s in zip(lines, seg):
            line.set_data_3d(s[:, 0], s[:, 2], s[:, 1])
        dots.set_data_3d(p[:, 0], p[:, 2], p[:, 1])
        caption.set_text(f'frame {t + 1}/{len(x)}')
        return lines + [dots, caption]

    update(int(frame) % len(x))
    return fig, update


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
        **kwargs: Passed to :func:`draw_gait_figure`.

    Returns:
        str: ``out_file``.
    """
    fig, _ = draw_gait_figure(joints, result, frame=frame, **kwargs)
    fig.savefig(out_file)
    return out_file


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
            spaced. Defaults to None (all).
        **kwargs: Passed to :func:`draw_gait_figure`.

    Returns:
        str: ``out_file``.
    """
    fig, update = draw_gait_figure(joints, result, **kwargs)
    T = len(np.asarray(joints))
    frames: Union[Sequence[int], np.ndarray] = np.arange(T)
    if max_frames is not None and T > max_frames:
        frames = np.linspace(0, T - 1, max_frames).round().astype(int)
        fps = fps * max_frames / T
    anim = FuncAnimation(fig, update, frames=list(frames), blit=False)
    anim.save(out_file, writer=PillowWriter(fps=max(1, round(fps))))
    return out_file
