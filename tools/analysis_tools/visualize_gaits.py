# Copyright (c) step_mm contributors. All rights reserved.
"""Render real and generated gaits side by side as animated 3D skeletons.

Top row: gaits of ``--real``; bottom row: gaits of ``--gen`` (if given).
Every gait is aligned to the reference pose (``--no-align`` keeps the file's
coordinates) and loops over its own frames::

    python tools/analysis_tools/visualize_gaits.py \
        --real ../shared/data/egait/features.h5 \
        --gen work_dirs/gen/features.h5 --out gaits.gif --num 4 \
        --frame-png gaits.png
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import animation  # noqa: E402

from step_mm.datasets import GaitFileError, read_h5_arrays  # noqa: E402
from step_mm.skeleton import (
    EGAIT_INWARD,
    NUM_JOINTS,  # noqa: E402
    align_to_reference)

#: Bone colours: spine/head, left arm, right arm, left leg, right leg.
_LIMB_COLORS = dict(spine='tab:gray', left='tab:blue', right='tab:red')
_LEFT = {4, 5, 6, 10, 11, 12}
_RIGHT = {7, 8, 9, 13, 14, 15}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--real', required=True, help='real features h5')
    parser.add_argument('--gen', help='generated features h5')
    parser.add_argument(
        '--out', required=True, help='output animation (.gif or .mp4)')
    parser.add_argument(
        '--keys',
        nargs='+',
        default=None,
        help='keys to show (from --real, then --gen); default: the first '
        '--num of each file after a seeded shuffle')
    parser.add_argument(
        '--num', type=int, default=4, help='gaits per row. Defaults to 4')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the key shuffle')
    parser.add_argument(
        '--fps', type=float, default=30.0, help='playback frame rate')
    parser.add_argument(
        '--no-align',
        action='store_true',
        help='do not align gaits to the reference pose')
    parser.add_argument(
        '--frame-png',
        default=None,
        help='also save the middle frame of the animation as a PNG')
    parser.add_argument('--dpi', type=int, default=80)
    return parser.parse_args()


def _bone_color(child: int) -> str:
    if child in _LEFT:
        return _LIMB_COLORS['left']
    if child in _RIGHT:
        return _LIMB_COLORS['right']
    return _LIMB_COLORS['spine']


def select_gaits(path: str,
                 num: int,
                 keys: Optional[Sequence[str]] = None,
                 seed: int = 0,
                 align: bool = True) -> List[Tuple[str, np.ndarray]]:
    """Read ``num`` gaits (or the given keys) from a features h5 file.

    Args:
        path (str): ``features*.h5`` in the official layout.
        num (int): How many gaits when ``keys`` is None.
        keys (Sequence[str], optional): Keys to read; those absent from the
            file are skipped, and if none is present the seeded shuffle
            chooses instead.
        seed (int): Seed of the shuffle choosing keys. Defaults to 0.
        align (bool): Align to the reference pose. Defaults to True.

    Returns:
        list[tuple[str, np.ndarray]]: ``(key, (T, 16, 3))`` pairs.
    """
    arrays: Dict[str, np.ndarray] = read_h5_arrays(path)
    chosen = [k for k in keys or () if k in arrays]
    if not chosen:
        order = sorted(arrays)
        np.random.default_rng(seed).shuffle(order)
        chosen = order[:num]
    out = []
    for key in chosen:
        arr = np.asarray(arrays[key], dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != NUM_JOINTS * 3:
            raise GaitFileError(f'{path}: key {key!r} has shape {arr.shape},'
                                f' expected (T, {NUM_JOINTS * 3})')
        joints = arr.reshape(-1, NUM_JOINTS, 3)
        if align:
            joints = align_to_reference(joints[None])[0]
        out.append((key, joints))
    return out


def _limits(gaits: List[np.ndarray]) -> Tuple[np.ndarray, float]:
    allj = np.concatenate([g.reshape(-1, 3) for g in gaits])
    lo, hi = allj.min(0), allj.max(0)
    return (lo + hi) / 2, float((hi - lo).max()) / 2 + 0.05


def render(rows: List[List[Tuple[str, np.ndarray]]],
           row_names: Sequence[str],
           fps: float = 30.0,
           dpi: int = 80):
    """Build the figure and its ``FuncAnimation``.

    Args:
        rows (list[list[tuple[str, np.ndarray]]]): Gaits per row.
        row_names (Sequence[str]): Titles' prefixes, one per row.
        fps (float): Playback frame rate.
        dpi (int): Resolution.

    Returns:
        tuple: ``(figure, animation, update)``; ``update(t)`` draws frame
        ``t``.
    """
    ncols = max(len(r) for r in rows)
    fig = plt.figure(figsize=(3.0 * ncols, 3.2 * len(rows)), dpi=dpi)
    center, half = _limits([g for r in rows for _, g in r])
    artists = []
    for i, (row, name) in enumerate(zip(rows, row_names)):
        for j, (key, gait) in enumerate(row):
            ax = fig.add_subplot(
                len(rows), ncols, i * ncols + j + 1, projection='3d')
            # data are Y up; matplotlib's 3D axes are Z up: plot (x, z, y)
            ax.set_xlim(center[0] - half, center[0] + half)
            ax.set_ylim(center[2] - half, center[2] + half)
            ax.set_zlim(center[1] - half, center[1] + half)
            ax.view_init(elev=10, azim=-60)
            ax.set_box_aspect((1, 1, 1))
            ax.set_xticklabels([])
            ax.set_yticklabels([])
            ax.set_zticklabels([])
            label = key if len(key) <= 28 else key[:25] + '...'
            ax.set_title(f'{name}: {label}', fontsize=8)
            lines = [
                ax.plot([], [], [], color=_bone_color(c), lw=2)[0]
                for c, _ in EGAIT_INWARD
            ]
            artists.append((gait, lines))
    num_frames = max(g.shape[0] for r in rows for _, g in r)

    def update(t: int):
        changed = []
        for gait, lines in artists:
            pose = gait[t % gait.shape[0]]
            for line, (c, p) in zip(lines, EGAIT_INWARD):
                seg = pose[[c, p]]
                line.set_data(seg[:, 0], seg[:, 2])
                line.set_3d_properties(seg[:, 1])
                changed.append(line)
        return changed

    fig.tight_layout()
    anim = animation.FuncAnimation(
        fig, update, frames=num_frames, interval=1000.0 / fps, blit=False)
    return fig, anim, update


def save_animation(anim, out: str, fps: float, dpi: int) -> None:
    """Save as GIF (Pillow) or MP4 (ffmpeg, if installed)."""
    ext = osp.splitext(out)[1].lower()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    if ext == '.gif':
        writer = animation.PillowWriter(fps=fps)
    elif ext == '.mp4':
        if not animation.writers.is_available('ffmpeg'):
            raise RuntimeError(
                f'{out}: writing .mp4 needs ffmpeg, which is not installed '
                '(e.g. `apt-get install ffmpeg`); write a .gif instead')
        writer = animation.FFMpegWriter(fps=fps)
    else:
        raise ValueError(f'{out}: unknown animation type {ext!r}; use .gif '
                         'or .mp4')
    anim.save(out, writer=writer, dpi=dpi)


def main():
    args = parse_args()
    align = not args.no_align
    rows = [select_gaits(args.real, args.num, args.keys, args.seed, align)]
    names = ['real']
    if args.gen:
        rows.append(
            select_gaits(args.gen, args.num, args.keys, args.seed, align))
        names.append('generated')
    if args.keys:
        shown = {k for r in rows for k, _ in r}
        if not shown & set(args.keys):
            raise GaitFileError(f'none of the keys {args.keys} is in '
                                f'{args.real} or {args.gen}')
    fig, anim, update = render(rows, names, args.fps, args.dpi)
    if args.frame_png:
        os.makedirs(osp.dirname(osp.abspath(args.frame_png)), exist_ok=True)
        update(max(g.shape[0] for r in rows for _, g in r) // 2)
        fig.savefig(args.frame_png, dpi=args.dpi)
        print(f'wrote {args.frame_png}')
    save_animation(anim, args.out, args.fps, args.dpi)
    plt.close(fig)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
