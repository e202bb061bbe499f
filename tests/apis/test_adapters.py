# Copyright (c) step_mm contributors. All rights reserved.
import numpy as np
import pytest

from step_mm.adapters import (H36M_CONVENTIONS, H36M_JOINT_NAMES,
                              H36M_TO_EGAIT, UnsupportedSkeletonError,
                              coco_to_egait, h36m_to_egait, load_gait_file,
                              to_y_up)
from step_mm.datasets import write_gait_h5
from step_mm.skeleton import JOINT_NAMES, REFERENCE_POSE
from step_mm.testing import make_fake_gait

# E-Gait joint -> the Human3.6M-17 joint it must come from (mmpose 1.1.0
# names, configs/_base_/datasets/h36m.py).
EXPECTED_SOURCE = dict(
    root='root', spine='spine', neck='thorax', head='head',
    left_shoulder='left_shoulder', left_elbow='left_elbow',
    left_hand='left_wrist', right_shoulder='right_shoulder',
    right_elbow='right_elbow', right_hand='right_wrist', left_hip='left_hip',
    left_knee='left_knee', left_foot='left_foot', right_hip='right_hip',
    right_knee='right_knee', right_foot='right_foot')


def test_h36m_names_match_mmpose_metainfo():
    import os.path as osp

    import mmpose
    from mmengine.config import Config
    info = Config.fromfile(
        osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_',
                 'datasets', 'h36m.py')).dataset_info.keypoint_info
    assert tuple(info[i]['name'] for i in range(17)) == H36M_JOINT_NAMES


def test_h36m_mapping_by_name():
    got = {e: H36M_JOINT_NAMES[h] for e, h in zip(JOINT_NAMES, H36M_TO_EGAIT)}
    assert got == EXPECTED_SOURCE
    assert 'neck_base' not in got.values()


def _h36m_from_egait(pose16: np.ndarray) -> np.ndarray:
    """A Human3.6M-17 pose whose E-Gait subset is ``pose16``."""
    h36m = np.zeros(pose16.shape[:-2] + (17, 3))
    h36m[..., list(H36M_TO_EGAIT), :] = pose16
    h36m[..., 9, :] = (pose16[..., 2, :] + pose16[..., 3, :]) / 2  # nose
    return h36m


@pytest.mark.parametrize('convention, to_source', [
    ('y_up', lambda p: p),
    ('camera', lambda p: p * [1, -1, -1]),  # x right, y down, z forward
    ('mmpose_demo', lambda p: np.stack(  # (-x, z, -y) of the camera frame
        [-p[..., 0], -p[..., 2], p[..., 1]], -1)),
    ('z_up', lambda p: np.stack([p[..., 0], -p[..., 2], p[..., 1]], -1)),
])
def test_h36m_known_pose_each_convention(convention, to_source):
    # The reference pose (Y up, facing +Z, left on +X) written in the
    # source convention must come back exactly, so nothing is mirrored.
    src = _h36m_from_egait(to_source(REFERENCE_POSE.astype(np.float64)))
    out = h36m_to_egait(src, convention)
    assert out.shape == (16, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, REFERENCE_POSE, atol=1e-6)


def test_conventions_keep_handedness():
    # Rotations, except undoing mmpose's demo post-processing, a mirror.
    for name in H36M_CONVENTIONS:
        det = np.linalg.det(to_y_up(np.eye(3), name))
        assert np.isclose(det, -1. if name == 'mmpose_demo' else 1.), name


def test_h36m_batch_shape_and_errors():
    assert h36m_to_egait(np.zeros((5, 30, 17, 3))).shape == (5, 30, 16, 3)
    with pytest.raises(ValueError, match='lift them to 3D'):
        h36m_to_egait(np.zeros((30, 17, 2)))
    with pytest.raises(ValueError, match=r'\(\.\.\., 17, 3\)'):
        h36m_to_egait(np.zeros((30, 16, 3)))
    with pytest.raises(ValueError, match='unknown axis convention'):
        h36m_to_egait(np.zeros((30, 17, 3)), 'x_up')


def test_coco_is_refused_with_a_way_out():
    with pytest.raises(UnsupportedSkeletonError) as e:
        coco_to_egait(np.zeros((30, 17, 3)))
    assert '2D' in str(e.value) and 'gait_from_video' in str(e.value)
    assert isinstance(e.value, ValueError)


@pytest.fixture()
def gait():
    return make_fake_gait(33, 2).astype(np.float32)


def test_npy_shapes(tmp_path, gait):
    for i, arr in enumerate((gait, gait.reshape(33, 48), gait[None])):
        path = str(tmp_path / f'g{i}.npy')
        np.save(path, arr)
        joints, fps = load_gait_file(path)
        assert joints.shape == (33, 16, 3) and fps == 30.
        np.testing.assert_array_equal(joints, gait)
    joints, fps = load_gait_file(path, fps=60)
    assert fps == 60.


def test_npz_keys_and_fps(tmp_path, gait):
    path = str(tmp_path / 'g.npz')
    np.savez(path, joints=gait, fps=np.float32(120))
    joints, fps = load_gait_file(path)
    assert joints.shape == (33, 16, 3) and fps == 120.
    assert load_gait_file(path, fps=25)[1] == 25.
    path = str(tmp_path / 'two.npz')
    np.savez(path, a=gait, b=gait[:10])
    with pytest.raises(ValueError, match='pass key'):
        load_gait_file(path)
    assert load_gait_file(path, key='b')[0].shape == (10, 16, 3)
    with pytest.raises(ValueError, match="no array 'c'"):
        load_gait_file(path, key='c')


def test_npy_h36m_flag(tmp_path, gait):
    h36m = _h36m_from_egait(gait * [1, -1, -1])
    path = str(tmp_path / 'lifted.npy')
    np.save(path, h36m)
    with pytest.raises(ValueError, match="fmt='h36m'"):
        load_gait_file(path)
    joints, _ = load_gait_file(path, fmt='h36m', convention='camera')
    np.testing.assert_allclose(joints, gait, atol=1e-6)
    np.save(path, h36m.reshape(33, 51))
    assert load_gait_file(path, fmt='h36m')[0].shape == (33, 16, 3)


def test_wrong_arrays(tmp_path, gait):
    cases = {
        'coco2d.npy': (np.zeros((30, 17, 2)), UnsupportedSkeletonError),
        'j15.npy': (np.zeros((30, 15, 3)), ValueError),
        'flat.npy': (np.zeros(48), ValueError),
        'nan.npy': (np.where(np.arange(16)[:, None] == 3, np.nan, gait),
                    ValueError),
    }
    for name, (arr, err) in cases.items():
        path = str(tmp_path / name)
        np.save(path, arr)
        with pytest.raises(err, match=name):
            load_gait_file(path)
    with pytest.raises(ValueError, match=r'\(T, 16, 3\)'):
        load_gait_file(str(tmp_path / 'j15.npy'), fmt='npy')
    with pytest.raises(ValueError, match='17 3D joints'):
        load_gait_file(str(tmp_path / 'j15.npy'), fmt='h36m')
    with pytest.raises(UnsupportedSkeletonError):
        load_gait_file(str(tmp_path / 'j15.npy'), fmt='coco')
    with pytest.raises(FileNotFoundError):
        load_gait_file(str(tmp_path / 'missing.npy'))
    (tmp_path / 'gait.txt').write_text('1 2 3')
    with pytest.raises(ValueError, match='extension'):
        load_gait_file(str(tmp_path / 'gait.txt'))
    with pytest.raises(ValueError, match='unknown gait format'):
        load_gait_file(str(tmp_path / 'gait.txt'), fmt='csv')


def test_h5_gait(tmp_path, gait):
    path = str(tmp_path / 'features.h5')
    write_gait_h5(path, {'a_Happy': gait, 'b_Sad': gait[:20]})
    with pytest.raises(ValueError, match='pass key'):
        load_gait_file(path)
    joints, fps = load_gait_file(path, key='b_Sad')
    assert joints.shape == (20, 16, 3) and fps == 30.
