# Copyright (c) step_mm contributors. All rights reserved.
"""`make demo`: summarise E-Gait, then train and evaluate STEP on one fold."""
import argparse
import os

import step_mm  # noqa: F401
from mmaction.registry import DATASETS
from mmengine.registry import init_default_scope


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--data-root',
        default=os.environ.get('EGAIT_ROOT', '../shared/data/egait'),
        help='folder with features.h5 / labels.h5 (official E-Gait layout)')
    return parser.parse_args()


def summarize(data_root: str) -> dict:
    """Print and return the summary of every gait in ``data_root``."""
    init_default_scope('mmaction')
    ds = DATASETS.build(
        dict(type='EGaitDataset', data_root=data_root, pipeline=[],
             protocol='all'))
    s = ds.summary()
    counts = '/'.join(str(v) for v in s['class_counts'].values())
    print(f"E-Gait at {data_root}: {s['num_gaits']} gaits, class counts "
          f"{counts} ({', '.join(s['class_counts'])}), length "
          f"{s['min_frames']}-{s['max_frames']} frames "
          f"(median {s['median_frames']:g})")
    return s


def main():
    args = parse_args()
    summarize(args.data_root)


if __name__ == '__main__':
    main()
