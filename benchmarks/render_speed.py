# Copyright (c) step_mm contributors. All rights reserved.
"""Time the gait renderer: a 75-frame GIF, imports aside.

Renders a synthetic 75-frame gait (``step_mm.testing.make_fake_gait``, no
data needed) with :func:`step_mm.visualization.render_gait_animation`, the
prediction bars and legend included, and an 8-gait grid with
:func:`~step_mm.visualization.render_gait_grid`. Baselines measured in the
same run, on the same machine and load:

- ``matplotlib``: the same 75 frames drawn with one reused matplotlib 3D
  figure and saved by ``FuncAnimation`` + ``PillowWriter`` (how step_mm
  rendered before; ``--no-baseline`` skips it);
- ``import``: the wall time of a fresh ``python -c "import
  step_mm.visualization"`` (what ``imports aside`` leaves out).

Each timing is the median of ``--repeats`` runs. The budget is 2 s for the
75-frame GIF. Prints and writes ``benchmarks/results/render_speed.json``::

    python benchmarks/render_speed.py [--repeats 3] [--no-baseline]
"""
import argparse
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from mmengine import dump

from step_mm.testing import make_fake_gait
from step_mm.utils.benchmark import machine_summary
from step_mm.visualization import render_gait_animation, render_gait_grid

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BUDGET_S = 2.0
PROBS = {'happy': 0.1, 'angry': 0.6, 'sad': 0.1, 'neutral': 0.2}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=75)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--no-baseline',
        action='store_true',
        help='skip the matplotlib baseline (slow)')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results',
                                  'render_speed.json'))
    return parser.parse_args()


def median_time(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matplotlib_gif(gait: np.ndarray, out_file: str, fps: float) -> None:
    """The baseline: one reused matplotlib 3D figure, FuncAnimation."""
    from matplotlib.animation import FuncAnimation, PillowWriter
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from step_mm.skeleton import EGAIT_INWARD
    fig = Figure(figsize=(7.5, 4.0), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(projection='3d')
    lo, hi = gait.reshape(-1, 3).min(0), gait.reshape(-1, 3).max(0)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[2], hi[2])
    ax.set_zlim(lo[1], hi[1])
    lines = [ax.plot([], [], [], lw=2.5)[0] for _ in EGAIT_INWARD]

    def update(t):
        for line, (c, p) in zip(lines, EGAIT_INWARD):
            seg = gait[t, [c, p]]
            line.set_data_3d(seg[:, 0], seg[:, 2], seg[:, 1])
        return lines

    FuncAnimation(fig, update, frames=len(gait)).save(
        out_file, writer=PillowWriter(fps=fps))


def import_time(repeats: int) -> float:
    """Median wall time of a fresh interpreter importing the renderer."""
    cmd = [sys.executable, '-c', 'import step_mm.visualization']
    return median_time(
        lambda: subprocess.run(cmd, check=True, cwd=REPO), repeats)


def main():
    args = parse_args()
    gait = make_fake_gait(args.frames, 1)
    grid = [make_fake_gait(args.frames, i % 4) for i in range(8)]
    titles = [f'gait {i} ({name})' for i, name in enumerate(
        ['happy', 'angry', 'sad', 'neutral'] * 2)]
    with tempfile.TemporaryDirectory() as tmp:
        gif = osp.join(tmp, 'walk.gif')
        render_gait_animation(gait[:5], gif, PROBS)  # warm caches
        one = median_time(
            lambda: render_gait_animation(gait, gif, PROBS), args.repeats)
        eight = median_time(
            lambda: render_gait_grid(grid, osp.join(tmp, 'grid.gif'),
                                     titles, ncols=4), args.repeats)
        size = osp.getsize(gif)
        base = None if args.no_baseline else median_time(
            lambda: matplotlib_gif(gait, osp.join(tmp, 'mpl.gif'), 30),
            args.repeats)
    imports = import_time(args.repeats)
    result = dict(
        frames=args.frames,
        repeats=args.repeats,
        gif_75_s=round(one, 3),
        gif_75_bytes=size,
        grid_8_gaits_s=round(eight, 3),
        budget_s=BUDGET_S,
        within_budget=one <= BUDGET_S,
        baseline_matplotlib_s=None if base is None else round(base, 3),
        speedup_vs_matplotlib=None if base is None else round(base / one, 1),
        import_renderer_s=round(imports, 3),
        machine=machine_summary(),
        command='python benchmarks/render_speed.py')
    print(f'{args.frames}-frame GIF: {one:.3f} s (budget {BUDGET_S} s, '
          f'{"met" if result["within_budget"] else "MISSED"}); 8-gait grid '
          f'{eight:.3f} s; matplotlib baseline '
          f'{"skipped" if base is None else f"{base:.3f} s"}; importing the '
          f'renderer {imports:.3f} s')
    dump(result, args.out, indent=2)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
