# Copyright (c) step_mm contributors. All rights reserved.
"""Gait-level feature sets of a folder of gaits (linear probes, sklearn)."""
from typing import Dict

import numpy as np

__all__ = ['load_features']


def load_features(data_root: str) -> Dict[str, np.ndarray]:
    """Keys, labels and every feature set of the gaits in ``data_root``,
    computed by the dataset and transforms the configs use."""
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    from mmengine.utils import track_iter_progress

    init_default_scope('mmaction')
    ds = DATASETS.build(
        dict(
            type='EGaitDataset',
            data_root=data_root,
            affective_file='affectiveFeatures.h5',
            protocol='all',
            pipeline=[
                dict(type='NormalizeGait'),
                dict(type='GaitAffectiveFeatures', with_motion_stats=True)
            ]))
    keys, labels, feats, official = [], [], [], []
    for i in track_iter_progress(range(len(ds))):
        info = ds.get_data_info(i)
        keys.append(info['frame_dir'])
        labels.append(int(info['label']))
        official.append(info['official_affective'])
        feats.append(ds.pipeline(info)['affective_feats'])
    feats = np.stack(feats).astype(np.float64)
    return dict(
        keys=keys,
        labels=np.asarray(labels),
        affective29=feats[:, :29],
        official29=np.stack(official).astype(np.float64),
        motion165=feats[:, 29:],
        **{'affective29+motion165': feats})
