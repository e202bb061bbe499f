# Copyright (c) step_mm contributors. All rights reserved.
"""The mmpose backend (top-down 2D + VideoPose3D) end to end, through the
demo script, with models built from the real mmpose configs."""
import json
import os.path as osp

import numpy as np
import pytest

from step_mm.testing import load_script

cv2 = pytest.importorskip('cv2')
pytest.importorskip('mmpose.apis')

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'projects', 'gait_from_video', 'demo_gait_video.py')

# The real mmpose configs, made cheap for a CPU test: a 64x48 input instead
# of 256x192 and no flip test. With real checkpoints nothing is overridden.
FAST_2D = [
    '--pose2d-cfg-options', 'model.test_cfg.flip_test=False',
    'model.head.decoder.input_size=(48,64)',
    'model.head.decoder.heatmap_size=(12,16)',
    'test_dataloader.dataset.pipeline.2.input_size=(48,64)'
]


@pytest.fixture(scope='module')
def demo():
    return load_script(DEMO)


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """30 frames of 64x64 at 25 fps: a stick figure walking to the right."""
    path = str(tmp_path_factory.mktemp('video') / 'walk.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                             (64, 64))
    for t in range(30):
        img = np.zeros((64, 64, 3), np.uint8)
        x = 16 + t
        swing = int(6 * np.sin(t / 2))
        cv2.circle(img, (x, 12), 5, (255, 255, 255), -1)
        cv2.line(img, (x, 17), (x, 38), (255, 255, 255), 2)
        cv2.line(img, (x, 38), (x + swing, 58), (255, 255, 255), 2)
        cv2.line(img, (x, 38), (x - swing, 58), (255, 255, 255), 2)
        cv2.line(img, (x, 22), (x - swing, 34), (255, 255, 255), 2)
        writer.write(img)
    writer.release()
    return path


def test_mmpose_backend_random_init(demo, video, tmp_path):
    from mmengine.registry import DefaultScope

    from step_mm.cli import default_config
    out = str(tmp_path / 'out')
    result = demo.main([
        video, '--config', default_config(), '--random-init',
        '--pose-backend', 'mmpose', '--whole-frame', '--out-dir', out
    ] + FAST_2D)
    assert result.pose_backend == 'mmpose'
    assert len(result.tracks) == 1 and result.frames_with_pose == 30
    track = result.tracks[0]
    assert track.emotion in result.class_names and track.windows
    with open(osp.join(out, 'walk.json')) as f:
        saved = json.load(f)
    assert saved['tracks'][0]['emotion'] == track.emotion
    assert saved['pose_backend'] == 'mmpose'
    cap = cv2.VideoCapture(osp.join(out, 'walk.mp4'))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 30
    assert abs(cap.get(cv2.CAP_PROP_FPS) - 25) < 1e-3
    cap.release()
    # mmpose's scope does not leak into the caller's
    assert DefaultScope.get_current_instance().scope_name == 'mmaction'


def test_missing_files_are_named(demo, video, tmp_path):
    from step_mm.cli import default_config
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        demo.main([
            video, '--config', default_config(), '--random-init',
            '--pose-backend', 'mmpose', '--pose2d-checkpoint', 'nowhere.pth'
        ])
    with pytest.raises(FileNotFoundError, match='video not found'):
        demo.main(['nowhere.mp4', '--config', default_config(),
                   '--random-init', '--whole-frame', '--out-dir',
                   str(tmp_path)])


def test_lifter_windows():
    from step_mm.video.mmpose_backend import lifter_windows
    idx = lifter_windows(6, 5)
    assert idx.tolist() == [[0, 0, 0, 1, 2], [0, 0, 1, 2, 3],
                            [0, 1, 2, 3, 4], [1, 2, 3, 4, 5],
                            [2, 3, 4, 5, 5], [3, 4, 5, 5, 5]]
    assert lifter_windows(3, 3, causal=True).tolist() == [
        [0, 0, 0], [0, 0, 1], [0, 1, 2]]
    assert lifter_windows(5, 3, step=2)[2].tolist() == [0, 2, 4]
