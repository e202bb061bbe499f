# Copyright (c) step_mm contributors. All rights reserved.
import importlib.util
import json
import os.path as osp
import re

import numpy as np
import pytest

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
    spec = importlib.util.spec_from_file_location('demo_gait_video', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """16 frames of 64x64: a stick figure walking to the right."""
    path = str(tmp_path_factory.mktemp('video') / 'walk.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                             (64, 64))
    for t in range(16):
        img = np.zeros((64, 64, 3), np.uint8)
        x = 16 + 2 * t
        swing = int(6 * np.sin(t / 2))
        cv2.circle(img, (x, 12), 5, (255, 255, 255), -1)
        cv2.line(img, (x, 17), (x, 38), (255, 255, 255), 2)
        cv2.line(img, (x, 38), (x + swing, 58), (255, 255, 255), 2)
        cv2.line(img, (x, 38), (x - swing, 58), (255, 255, 255), 2)
        cv2.line(img, (x, 22), (x - swing, 34), (255, 255, 255), 2)
        writer.write(img)
    writer.release()
    return path


def test_video_to_emotion_random_init(demo, video, tmp_path, capsys):
    from mmengine.registry import DefaultScope
    step_cfg = demo.default_step_config()  # the real STEP config
    assert step_cfg and osp.isfile(step_cfg)
    out = str(tmp_path / 'out' / 'walk_emotion.mp4')
    result = demo.main([
        video, '--random-init', '--step-config', step_cfg, '--out-file', out,
        '--out-json',
        str(tmp_path / 'res.json'), '--save-joints',
        str(tmp_path / 'joints.npz')
    ] + FAST_2D)
    printed = capsys.readouterr().out
    assert re.search(r'emotion: (happy|angry|sad|neutral) \(', printed)
    assert result.class_name in printed
    cap = cv2.VideoCapture(out)
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 16
    assert abs(cap.get(cv2.CAP_PROP_FPS) - 25) < 1e-3
    ok, frame = cap.read()
    assert ok and frame.shape[0] >= 256  # small videos are drawn upscaled
    cap.release()
    saved = np.load(str(tmp_path / 'joints.npz'))
    assert saved['joints'].shape == (16, 16, 3) and saved['fps'] == 25
    assert np.isfinite(saved['joints']).all()
    with open(tmp_path / 'res.json') as f:
        assert json.load(f)['emotion'] == result.class_name
    # mmpose's scope does not leak into the caller's
    assert DefaultScope.get_current_instance().scope_name == 'mmaction'


def test_missing_checkpoints_are_explained(demo, video, tiny_step):
    with pytest.raises(SystemExit, match='td-hm_res50_8xb64-210e_coco'):
        demo.main([video, '--step-config', tiny_step[0]])
    with pytest.raises(SystemExit, match='videopose3d-243frm'):
        demo.main([
            video, '--step-config', tiny_step[0], '--pose2d-checkpoint',
            tiny_step[1]
        ])
    with pytest.raises(SystemExit, match='tools/train.py'):
        demo.main([
            video, '--step-config', tiny_step[0], '--pose2d-checkpoint',
            tiny_step[1], '--lifter-checkpoint', tiny_step[1]
        ])
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        demo.main([
            video, '--step-config', tiny_step[0], '--pose2d-checkpoint',
            'nowhere.pth'
        ])
    with pytest.raises(SystemExit, match='video not found'):
        demo.main(['nowhere.mp4', '--random-init'])


def test_lifter_windows(demo):
    idx = demo.lifter_windows(6, 5)
    assert idx.tolist() == [[0, 0, 0, 1, 2], [0, 0, 1, 2, 3],
                            [0, 1, 2, 3, 4], [1, 2, 3, 4, 5],
                            [2, 3, 4, 5, 5], [3, 4, 5, 5, 5]]
    assert demo.lifter_windows(3, 3, causal=True).tolist() == [[0, 0, 0],
                                                                [0, 0, 1],
                                                                [0, 1, 2]]
    assert demo.lifter_windows(5, 3, step=2)[2].tolist() == [0, 2, 4]


def test_coco_to_h36m_uses_mmpose_converter(demo):
    coco = np.random.default_rng(0).random((4, 17, 2))
    h36m = demo.coco_to_h36m_2d(coco)
    assert h36m.shape == (4, 17, 2)
    np.testing.assert_allclose(h36m[:, 0], (coco[:, 11] + coco[:, 12]) / 2)
    np.testing.assert_allclose(h36m[:, 13], coco[:, 9])  # left wrist
    np.testing.assert_allclose(h36m[:, 3], coco[:, 16])  # right ankle
