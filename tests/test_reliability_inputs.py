# Copyright (c) step_mm contributors. All rights reserved.
"""Bad inputs get a clear error naming the file, key and problem (or a
documented, logged skip), never a crash deep in torch or a wrong sample."""
import logging
import shutil

import h5py
import numpy as np
import pytest
from mmaction.registry import DATASETS

from step_mm.datasets import GaitFileError, write_gait_h5
from step_mm.testing import make_fake_gait

PIPELINE = [
    dict(type='NormalizeGait'),
    dict(type='GaitAffectiveFeatures'),
    dict(type='GaitToLength', clip_len=75),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs'),
]


def _set(root, n=12, bad=None, labels=None):
    """Write a small set; ``bad`` maps a key index to a replacement array."""
    rng = np.random.default_rng(0)
    feats = {f'{i:03d}_Happy_positions.csv': make_fake_gait(30, i % 4, rng)
             for i in range(n)}
    keys = sorted(feats)
    labs = {k: np.int32(i % 4) for i, k in enumerate(keys)}
    for i, arr in (bad or {}).items():
        feats[keys[i]] = arr
    for i, lab in (labels or {}).items():
        labs[keys[i]] = lab
    write_gait_h5(str(root / 'features.h5'), feats)
    write_gait_h5(str(root / 'labels.h5'), labs)
    return keys


def _build(root, **kw):
    cfg = dict(type='EGaitDataset', data_root=str(root), pipeline=PIPELINE,
               protocol='all')
    cfg.update(kw)
    return DATASETS.build(cfg)


def test_missing_features_file(tmp_path):
    with pytest.raises(GaitFileError, match=r'features\.h5: file not found'):
        _build(tmp_path)


def test_missing_labels_file(tmp_path):
    _set(tmp_path)
    (tmp_path / 'labels.h5').unlink()
    with pytest.raises(GaitFileError, match=r'labels\.h5: file not found'):
        _build(tmp_path)


def test_keys_differ(tmp_path):
    keys = _set(tmp_path)
    with h5py.File(tmp_path / 'labels.h5', 'a') as f:
        del f[keys[3]]
    with pytest.raises(GaitFileError, match='keys differ.*1 missing from '
                       r'labels\.h5'):
        _build(tmp_path)


def test_truncated_h5(tmp_path):
    _set(tmp_path)
    data = (tmp_path / 'features.h5').read_bytes()
    (tmp_path / 'features.h5').write_bytes(data[:len(data) // 2])
    with pytest.raises(GaitFileError, match=r'features\.h5: cannot read'):
        _build(tmp_path)


def test_not_an_h5_file(tmp_path):
    _set(tmp_path)
    (tmp_path / 'features.h5').write_text('key,x,y,z\n1,2,3,4\n')
    with pytest.raises(GaitFileError, match=r'features\.h5: cannot read as '
                       'HDF5'):
        _build(tmp_path)


def test_row_width_not_16x3(tmp_path):
    keys = _set(tmp_path, bad={2: np.zeros((30, 45))})
    with pytest.raises(GaitFileError,
                       match=f'key {keys[2]!r} has shape \\(30, 45\\)'):
        _build(tmp_path)


@pytest.mark.parametrize('value', [np.nan, np.inf])
def test_nan_inf_joints(tmp_path, value):
    g = make_fake_gait(30).reshape(30, 48)
    g[7, 5] = value
    keys = _set(tmp_path, bad={1: g})
    with pytest.raises(GaitFileError, match=f'{keys[1]!r} holds NaN/inf '
                       'joints \\(first at frame 7, column 5\\)'):
        _build(tmp_path)


def test_zero_length_gait(tmp_path):
    keys = _set(tmp_path, bad={0: np.zeros((0, 48))})
    with pytest.raises(GaitFileError, match=f'{keys[0]!r} has 0 frames'):
        _build(tmp_path)


def test_one_frame_gait_error_or_logged_skip(tmp_path):
    keys = _set(tmp_path, bad={4: np.zeros((1, 48))})
    with pytest.raises(GaitFileError, match=f'{keys[4]!r} has 1 frames, '
                       'at least 4 needed'):
        _build(tmp_path)
    from mmengine.logging import MMLogger
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        ds = _build(tmp_path, skip_invalid=True)
    finally:
        logger.removeHandler(handler)
    log = '\n'.join(r.getMessage() for r in records
                    if r.levelno == logging.WARNING)
    assert len(ds) == 11
    assert keys[4] not in {ds.get_data_info(i)['frame_dir']
                           for i in range(len(ds))}
    assert 'skipped an invalid gait' in log and keys[4] in log


def test_too_short_for_features_in_pipeline(tmp_path):
    _set(tmp_path, bad={0: np.zeros((3, 48))})
    ds = _build(tmp_path, min_frames=1)
    with pytest.raises(ValueError, match='has 3 frames; the features need '
                       'at least 4'):
        ds[0]


@pytest.mark.parametrize('label', [4, -1, 2.5])
def test_label_outside_class_list(tmp_path, label):
    keys = _set(tmp_path, labels={5: np.float64(label)})
    with pytest.raises(GaitFileError, match=keys[5]):
        _build(tmp_path)


def test_label_from_key_unknown_emotion(tmp_path):
    write_gait_h5(str(tmp_path / 'gen.h5'),
                  {'00001_Bored': make_fake_gait(75)})
    with pytest.raises(GaitFileError, match="'00001_Bored': no class name"):
        _build(tmp_path, features_file='gen.h5', labels_file=None)


def test_empty_split(tmp_path):
    _set(tmp_path, n=4)
    with pytest.raises(ValueError, match='cannot make 5 folds from 4'):
        _build(tmp_path, protocol='random', num_folds=5)


def test_empty_subset_is_named(tmp_path):
    _set(tmp_path, n=8)
    with pytest.raises(GaitFileError, match="'val' subset .* is empty"):
        _build(tmp_path, protocol='random', num_folds=4, subset='val',
               val_ratio=0.)


def test_bad_class_names(tmp_path):
    _set(tmp_path)
    with pytest.raises(ValueError, match='distinct'):
        _build(tmp_path, class_names=('happy', 'happy', 'sad', 'neutral'))


def test_config_naming_an_unknown_type(tmp_path):
    _set(tmp_path)
    with pytest.raises(KeyError, match='EGaitDatset is not in the'):
        DATASETS.build(dict(type='EGaitDatset', data_root=str(tmp_path),
                            pipeline=[]))


def test_wrong_keypoint_shape_in_pipeline():
    from step_mm.datasets import NormalizeGait
    with pytest.raises(ValueError, match="'x' keypoint has shape"):
        NormalizeGait()(dict(keypoint=np.zeros((1, 10, 17, 3)),
                             frame_dir='x'))


def test_atomic_write_leaves_no_partial_file(tmp_path):
    out = tmp_path / 'gen.h5'
    write_gait_h5(str(out), {'00001_Happy': make_fake_gait(75)})
    before = out.read_bytes()

    class Boom:

        def __array__(self, *a, **k):
            raise RuntimeError('disk full')

    with pytest.raises(RuntimeError, match='disk full'):
        write_gait_h5(str(out), {'a': make_fake_gait(75), 'b': Boom()})
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['gen.h5']
    shutil.rmtree(tmp_path)
