# Copyright (c) step_mm contributors. All rights reserved.
"""Convert E-Gait h5 files into mmaction2's PoseDataset pickle.

The pickle holds ``split`` (one entry per protocol, fold and subset, e.g.
``random_f0_train``, ``subject_f3_test``, plus ``all``) and
``annotations`` (``frame_dir``, ``label``, ``total_frames``,
``keypoint [M=1, T, V=16, C=3]``), so stock ``PoseDataset`` configs run on
E-Gait with ``split='random_f0_train'``. The splits are the same as
``EGaitDataset``'s. The output is research data: keep it out of git.

Example::

    python tools/data/egait/convert_egait.py ../shared/data/egait \
        work_dirs/egait_3d.pkl
"""
import argparse
import os.path as osp
import pickle

from mmengine.logging import print_log

from step_mm.datasets import EGAIT_CLASSES, load_gait_files, make_split
from step_mm.utils.io import atomic_path


def convert(data_root: str, out: str, seed: int = 0, val_ratio: float = 0.1,
            random_folds: int = 10, subject_folds: int = 5) -> dict:
    """Write the PoseDataset pickle; returns its content."""
    gaits = load_gait_files(osp.join(data_root, 'features.h5'),
                            osp.join(data_root, 'labels.h5'), EGAIT_CLASSES)
    keys = [g['key'] for g in gaits]
    labels = [g['label'] for g in gaits]
    split = {'all': list(keys)}
    for protocol, folds in (('random', random_folds),
                            ('subject', subject_folds)):
        for fold in range(folds):
            s = make_split(keys, labels, protocol, folds, fold, seed,
                           val_ratio)
            for subset, idx in s.items():
                split[f'{protocol}_f{fold}_{subset}'] = [keys[i] for i in idx]
    annotations = [
        dict(frame_dir=g['key'], label=g['label'],
             total_frames=g['joints'].shape[0], keypoint=g['joints'][None])
        for g in gaits
    ]
    data = dict(split=split, annotations=annotations)
    with atomic_path(out) as tmp:
        with open(tmp, 'wb') as f:
            pickle.dump(data, f)
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='folder of features.h5/labels.h5')
    parser.add_argument('out', help='output .pkl')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--val-ratio', type=float, default=0.1)
    args = parser.parse_args()
    data = convert(args.data_root, args.out, args.seed, args.val_ratio)
    print_log(
        f"wrote {len(data['annotations'])} gaits and "
        f"{len(data['split'])} splits to {args.out}",
        logger='current')


if __name__ == '__main__':
    main()
