# Copyright (c) step_mm contributors. All rights reserved.
"""Render real and generated gaits side by side as animated 3D skeletons.

Top row: gaits of ``--real``; bottom row: gaits of ``--gen`` (if given).
Each title names the gait's emotion (from the ``labels<suffix>.h5`` beside
``features<suffix>.h5``, else from the key). Every gait is aligned to the
reference pose (``--no-align`` keeps the file's coordinates) and loops over
its own frames. Drawing is :func:`step_mm.visualization.render_gait_grid`::

    python tools/analysis_tools/visualize_gaits.py \
        --real ../shared/data/egait/features.h5 \
        --gen work_dirs/gen/features.h5 --out gaits.gif --num 4 \
        --frame-png gaits.png
"""
import argparse
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from step_mm.datasets import (EGAIT_CLASSES, GaitFileError, label_from_key,
                              read_h5_arrays)
from step_mm.skeleton import NUM_JOINTS, align_to_reference
from step_mm.visualization import render_gait_grid


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
        '--max-frames',
        type=int,
        default=None,
        help='draw at most this many frames (evenly spaced)')
    parser.add_argument(
        '--no-align',
        action='store_true',
        help='do not align gaits to the reference pose')
    parser.add_argument(
        '--frame-png',
        default=None,
        help='also save the middle frame of the animation as a PNG')
    parser.add_argument(
        '--panel-size',
        type=int,
        default=300,
        help='pixels per gait panel. Defaults to 300')
    return parser.parse_args()


def _emotions(path: str,
              class_names: Sequence[str] = EGAIT_CLASSES) -> Dict[str, str]:
    """Key -> emotion from the labels file beside ``path``, if any."""
    name = osp.basename(path)
    match = re.fullmatch(r'features(.*)\.h5', name)
    labels = osp.join(osp.dirname(path), f'labels{match.group(1)}.h5') \
        if match else None
    if not labels or not osp.isfile(labels):
        return {}
    out = {}
    for key, value in read_h5_arrays(labels).items():
        idx = int(np.asarray(value).reshape(-1)[0])
        if 0 <= idx < len(class_names):
            out[key] = class_names[idx]
    return out


def emotion_of(key: str, emotions: Dict[str, str]) -> str:
    """The emotion of a gait: its label, else the class named in its key."""
    if key in emotions:
        return emotions[key]
    try:
        return EGAIT_CLASSES[label_from_key(key, EGAIT_CLASSES)]
    except GaitFileError:
        return 'unlabelled'


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


def main():
    args = parse_args()
    align = not args.no_align
    sources = [('real', args.real)] + ([('generated', args.gen)]
                                       if args.gen else [])
    rows = [(name, path, select_gaits(path, args.num, args.keys, args.seed,
                                      align)) for name, path in sources]
    if args.keys and not {k for _, _, r in rows for k, _ in r} & set(
            args.keys):
        sys.exit(f'visualize_gaits: none of the keys {args.keys} is in '
                 f'{args.real} or {args.gen}')
    titles, gaits = [], []
    for name, path, row in rows:
        emotions = _emotions(path)
        titles += [f'{name}: {k} ({emotion_of(k, emotions)})' for k, _ in row]
        gaits += [g for _, g in row]
    # one row per file when the rows are equally long, else a single row
    lengths = {len(r) for _, _, r in rows}
    ncols = lengths.pop() if len(lengths) == 1 else len(gaits)
    size = (args.panel_size * ncols,
            args.panel_size * -(-len(gaits) // ncols) + 24)
    try:
        render_gait_grid(gaits, args.out, titles, fps=args.fps,
                         max_frames=args.max_frames,
                         frame_png=args.frame_png, ncols=ncols, size=size,
                         normalize=False)
    except (ValueError, RuntimeError) as e:
        sys.exit(f'visualize_gaits: {e}')
    if args.frame_png:
        print(f'wrote {args.frame_png}')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
