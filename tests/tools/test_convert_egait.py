# Copyright (c) step_mm contributors. All rights reserved.
import os.path as osp
import subprocess
import sys

from mmaction.registry import DATASETS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_convert_to_pose_dataset(tiny_egait, tmp_path):
    out = tmp_path / 'egait.pkl'
    subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools/data/egait/convert_egait.py'), tiny_egait,
        str(out)
    ], check=True, cwd=REPO)
    train = DATASETS.build(
        dict(type='PoseDataset', ann_file=str(out), split='random_f0_train',
             pipeline=[]))
    test = DATASETS.build(
        dict(type='PoseDataset', ann_file=str(out), split='random_f0_test',
             pipeline=[]))
    ours = DATASETS.build(
        dict(type='EGaitDataset', data_root=tiny_egait, pipeline=[],
             subset='test'))
    keys = {test.get_data_info(i)['frame_dir'] for i in range(len(test))}
    assert keys == {ours.get_data_info(i)['frame_dir']
                    for i in range(len(ours))}
    assert not keys & {train.get_data_info(i)['frame_dir']
                       for i in range(len(train))}
    info = train.get_data_info(0)
    assert info['keypoint'].shape == (1, info['total_frames'], 16, 3)
