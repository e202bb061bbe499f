# Copyright (c) step_mm contributors. All rights reserved.
"""Time the 29 affective features of every real E-Gait gait.

Reads the gaits from the official h5 files, aligns them to the reference
pose (``NormalizeGait``'s ``align_to_reference``, untimed) and computes
:func:`step_mm.skeleton.affective_features` in float64 two ways:

- ``loop``: one call per gait, as the ``GaitAffectiveFeatures`` transform
  does inside the data pipeline;
- ``vectorised``: gaits of equal length stacked into one ``(n, T, 16, 3)``
  array and computed in one call per distinct length (E-Gait's 342 gaits
  have a few dozen lengths), then put back in the original order.

Both must agree (the largest absolute difference is recorded). Each way is
repeated, interleaved, and the median is reported; the Kabsch alignment is
timed the same two ways. Writes
``benchmarks/results/affective_speed.json`` atomically::

    python benchmarks/affective_speed.py [--data-root DIR] [--repeats 5]
"""
import argparse
import collections
import os
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch

from step_mm.utils.benchmark import add_omp_wait_policy_arg, start_benchmark
from step_mm.utils.cli import find_data_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def by_length(gaits: Sequence[np.ndarray]) -> Dict[int, List[int]]:
    """Indices of the gaits grouped by their number of frames."""
    groups = collections.defaultdict(list)
    for i, g in enumerate(gaits):
        groups[g.shape[0]].append(i)
    return dict(groups)


def grouped(fn: Callable[[np.ndarray], np.ndarray],
            gaits: Sequence[np.ndarray],
            groups: Dict[int, List[int]]) -> List[np.ndarray]:
    """Apply ``fn`` once per length group; results in the input order.

    Args:
        fn (callable): Maps ``(n, T, 16, 3)`` to ``(n, ...)``.
        gaits (Sequence[np.ndarray]): ``(T_i, 16, 3)`` gaits.
        groups (dict): Output of :func:`by_length`.

    Returns:
        list[np.ndarray]: ``fn`` of every gait.
    """
    out = [None] * len(gaits)
    for idx in groups.values():
        res = fn(np.stack([gaits[i] for i in idx]))
        for i, r in zip(idx, res):
            out[i] = r
    return out


def median_time(fn: Callable[[], object], repeats: int) -> List[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default=find_data_root())
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=2)
    add_omp_wait_policy_arg(parser)
    parser.add_argument('--out', default=osp.join(REPO, 'benchmarks',
                                                  'results',
                                                  'affective_speed.json'))
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args, argv, omp_policy, load_start = start_benchmark(parse_args, argv)
    from step_mm.datasets.egait_dataset import EGAIT_CLASSES
    from step_mm.datasets.egait_io import load_gait_files
    from step_mm.skeleton import affective_features, align_to_reference

    raw = [
        g['joints'].astype(np.float64) for g in load_gait_files(
            osp.join(args.data_root, 'features.h5'),
            osp.join(args.data_root, 'labels.h5'), EGAIT_CLASSES)
    ]
    groups = by_length(raw)
    gaits = grouped(lambda x: align_to_reference(x).astype(np.float64), raw,
                    groups)

    def feats_loop():
        return [affective_features(g) for g in gaits]

    def feats_vec():
        return grouped(affective_features, gaits, groups)

    def align_loop():
        return [align_to_reference(g) for g in raw]

    def align_vec():
        return grouped(align_to_reference, raw, groups)

    loop, vec = feats_loop(), feats_vec()  # warm-up, and the check
    diff = max(float(np.abs(a - b).max()) for a, b in zip(loop, vec))
    align_diff = max(
        float(np.abs(a - b).max())
        for a, b in zip(align_loop(), align_vec()))
    times = {k: [] for k in ('loop', 'vectorised', 'align_loop',
                             'align_vectorised')}
    for _ in range(args.repeats):
        for key, fn in (('loop', feats_loop), ('vectorised', feats_vec),
                        ('align_loop', align_loop),
                        ('align_vectorised', align_vec)):
            times[key] += median_time(fn, 1)
    med = {k: statistics.median(v) for k, v in times.items()}
    n = len(gaits)
    result = dict(
        num_gaits=n,
        num_lengths=len(groups),
        frames=dict(
            min=min(groups), max=max(groups),
            median=float(np.median([g.shape[0] for g in gaits]))),
        dtype='float64',
        features_loop_s=med['loop'],
        features_vectorised_s=med['vectorised'],
        features_speedup=med['loop'] / med['vectorised'],
        features_us_per_gait_vectorised=1e6 * med['vectorised'] / n,
        features_us_per_gait_loop=1e6 * med['loop'] / n,
        features_max_abs_diff=diff,
        align_loop_s=med['align_loop'],
        align_vectorised_s=med['align_vectorised'],
        align_max_abs_diff=align_diff,
        times_s=times,
        repeats=args.repeats,
        threads=args.threads,
        omp_wait_policy=omp_policy,
        load_average=dict(start=list(load_start), end=list(os.getloadavg())),
        torch=torch.__version__,
        command=' '.join(['python benchmarks/affective_speed.py', *argv]))
    from step_mm.utils.io import dump_json
    dump_json(result, args.out, indent=2)
    print(f'affective features of {n} gaits ({len(groups)} lengths, '
          f'{min(groups)}-{max(groups)} frames): vectorised '
          f'{1e3 * med["vectorised"]:.1f} ms, per-gait loop '
          f'{1e3 * med["loop"]:.1f} ms ({result["features_speedup"]:.1f}x); '
          f'max |diff| {diff:.2g}')
    print(f'Kabsch alignment: vectorised {1e3 * med["align_vectorised"]:.1f}'
          f' ms, per-gait loop {1e3 * med["align_loop"]:.1f} ms')
    print(f'wrote {args.out}')
    return result


if __name__ == '__main__':
    main()
