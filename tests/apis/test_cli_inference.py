# Copyright (c) step_mm contributors. All rights reserved.
import json
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest

from step_mm.apis import inference_gait, init_gait_model
from step_mm.cli import main
from step_mm.testing import make_fake_gait


@pytest.fixture(scope='module')
def gait_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('cli') / 'walk.npz')
    gait = make_fake_gait(120, 2, np.random.default_rng(0))  # 60 fps
    np.savez(path, joints=gait * 100, fps=np.float32(60))
    return path


def test_predict_json_matches_api(tiny_step, gait_file, capsys):
    cfg, ckpt = tiny_step
    assert main(['predict', gait_file, '--config', cfg, '--checkpoint', ckpt,
                 '--json']) == 0
    out = json.loads(capsys.readouterr().out)
    data = np.load(gait_file)
    expected = inference_gait(init_gait_model(cfg, ckpt), data['joints'],
                              fps=60)
    assert out['emotion'] == expected.class_name
    assert out['fps'] == 60 and out['num_frames'] == 120
    np.testing.assert_allclose(
        [out['scores'][n] for n in expected.class_names], expected.probs,
        atol=1e-6)


def test_predict_text_gif_and_fps_override(tiny_step, gait_file, tmp_path,
                                           capsys):
    cfg, ckpt = tiny_step
    gif = str(tmp_path / 'walk.gif')
    assert main(['predict', gait_file, '--config', cfg, '--checkpoint', ckpt,
                 '--fps', '30', '--gif', gif, '--gif-frames', '5']) == 0
    out = capsys.readouterr().out
    assert 'at 30 fps' in out and '120 frames' in out
    assert any(name in out for name in ('happy', 'angry', 'sad', 'neutral'))
    from PIL import Image
    with Image.open(gif) as im:
        assert im.n_frames == 5


def test_predict_h36m_and_errors(tiny_step, tmp_path, capsys):
    cfg, ckpt = tiny_step
    path = str(tmp_path / 'lifted.npy')
    np.save(path, np.random.default_rng(0).normal(size=(40, 17, 3)))
    assert main(['predict', path, '--config', cfg, '--checkpoint', ckpt]) == 1
    assert "fmt='h36m'" in capsys.readouterr().err
    assert main(['predict', path, '--config', cfg, '--checkpoint', ckpt,
                 '--format', 'h36m', '--convention', 'camera']) == 0
    assert main(['predict', path, '--config', cfg]) == 2
    assert '--checkpoint' in capsys.readouterr().err
    assert main(['predict', path, '--config', 'none.py', '--checkpoint',
                 ckpt]) == 2
    np.save(path, np.zeros((40, 17, 2)))
    assert main(['predict', path, '--config', cfg, '--checkpoint', ckpt]) == 1
    assert 'COCO-17' in capsys.readouterr().err


def test_info(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv('EGAIT_ROOT', str(tmp_path))
    assert main(['info']) == 0
    out = capsys.readouterr().out
    assert 'mmaction2' in out and 'STEPGCN' in out and 'EGaitDataset' in out
    assert 'NormalizeGait' in out and 'not found' in out


def test_console_script():
    exe = shutil.which('step-mm', path=osp.dirname(sys.executable))
    if exe is None:
        pytest.skip('step-mm is not installed (pip install -e .)')
    out = subprocess.run([exe, 'info'], capture_output=True, text=True,
                         check=True).stdout
    assert 'registered step_mm components' in out
