# Copyright (c) step_mm contributors. All rights reserved.
"""Print the per-fold subset sizes and class counts of the E-Gait splits."""
import argparse
import os

import numpy as np

from step_mm.datasets import EGAIT_CLASSES, load_gait_files, make_split


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root',
                        default=os.environ.get('EGAIT_ROOT',
                                               '../shared/data/egait'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--val-ratio', type=float, default=0.1)
    args = parser.parse_args()
    gaits = load_gait_files(f'{args.data_root}/features.h5',
                            f'{args.data_root}/labels.h5', EGAIT_CLASSES)
    keys = [g['key'] for g in gaits]
    labels = np.array([g['label'] for g in gaits])
    print('| protocol | fold | train | val | test | test class counts '
          f"({'/'.join(EGAIT_CLASSES)}) |")
    print('|---|---|---|---|---|---|')
    for protocol, folds in (('random', 10), ('subject', 5)):
        for fold in range(folds):
            s = make_split(keys, labels, protocol, folds, fold, args.seed,
                           args.val_ratio)
            counts = np.bincount(labels[s['test']], minlength=4)
            print(f"| {protocol} | {fold} | {len(s['train'])} | "
                  f"{len(s['val'])} | {len(s['test'])} | "
                  f"{'/'.join(map(str, counts))} |")


if __name__ == '__main__':
    main()
