# Copyright (c) step_mm contributors. All rights reserved.
"""Bad checkpoints and files at every inference entry point: one line
naming the file and the problem, a non-zero exit, no traceback, and never
torch's advice to load with ``weights_only=False``."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

from step_mm.apis import CheckpointReadError, init_gait_model
from step_mm.cli import default_config, main
from step_mm.testing import make_fake_gait

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'projects', 'gait_from_video', 'demo_gait_video.py')
CUT = ('the file is cut short or is not a PyTorch checkpoint (a run killed '
       'while saving it leaves such a file): take the previous checkpoint')
PROBLEMS = {
    'truncated': CUT,
    'empty': 'the file is empty (a run killed while saving it leaves such '
    'a file): take the previous checkpoint',
    'random': 'not a PyTorch checkpoint (unreadable content)',
    'code': 'it holds posix.system, which the safe loader refuses (a '
    'checkpoint must not run code): only plain weights are loaded; re-save '
    'its state_dict from a process you trust',
}


class _Payload:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


@pytest.fixture(scope='module')
def bad_checkpoints(tmp_path_factory):
    """name -> (path, marker the 'code' checkpoint would create)."""
    root = tmp_path_factory.mktemp('bad_ckpt')
    model = init_gait_model(default_config())
    good = str(root / 'good.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), good)
    data = open(good, 'rb').read()
    marker = str(root / 'created_by_the_checkpoint')
    contents = dict(
        truncated=data[:len(data) // 2],
        empty=b'',
        random=np.random.default_rng(0).bytes(5000))
    out = {}
    for name, content in contents.items():
        out[name] = str(root / f'{name}.pth')
        with open(out[name], 'wb') as f:
            f.write(content)
    out['code'] = str(root / 'code.pth')
    torch.save(dict(state_dict=dict(w=_Payload(marker))), out['code'])
    return out, marker


@pytest.fixture(scope='module')
def walk(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('walk') / 'x.npy')
    np.save(path, make_fake_gait(80, 1, np.random.default_rng(0)))
    return path


def _last_line(err):
    lines = err.strip().splitlines()
    assert lines, 'no message'
    assert 'Traceback' not in err and 'weights_only' not in err, err
    return lines[-1]


@pytest.mark.parametrize('name', sorted(PROBLEMS))
def test_predict_refuses_a_bad_checkpoint(name, bad_checkpoints, walk,
                                          capsys):
    paths, marker = bad_checkpoints
    code = main(['predict', walk, '--checkpoint', paths[name]])
    assert code == 1
    assert _last_line(capsys.readouterr().err) == (
        f'step-mm: cannot read checkpoint {paths[name]}: {PROBLEMS[name]}')
    assert not osp.exists(marker)


def test_predict_console_random_bytes_checkpoint(bad_checkpoints, walk):
    """The installed command: no traceback, no torch advice (the issue's
    reproduction)."""
    paths, _ = bad_checkpoints
    proc = subprocess.run(
        [sys.executable, '-m', 'step_mm.cli', 'predict', walk,
         '--checkpoint', paths['random']],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 1
    assert _last_line(proc.stderr) == (
        f'step-mm: cannot read checkpoint {paths["random"]}: '
        f'{PROBLEMS["random"]}')


@pytest.mark.parametrize('name', sorted(PROBLEMS))
def test_init_gait_model_refuses_a_bad_checkpoint(name, bad_checkpoints):
    paths, marker = bad_checkpoints
    with pytest.raises(CheckpointReadError) as e:
        init_gait_model(default_config(), paths[name])
    assert str(e.value) == (
        f'cannot read checkpoint {paths[name]}: {PROBLEMS[name]}')
    assert not osp.exists(marker)
    with pytest.raises(FileNotFoundError,
                       match=r'^checkpoint nowhere\.pth not found$'):
        init_gait_model(default_config(), 'nowhere.pth')


def test_gif_into_a_missing_folder(walk, tmp_path, capsys):
    gif = str(tmp_path / 'missing' / 'walk.gif')
    assert main(['predict', walk, '--random-init', '--gif', gif]) == 2
    assert _last_line(capsys.readouterr().err) == (
        f'step-mm: --gif {gif}: the folder {tmp_path / "missing"} does not '
        'exist; create it or give another path')


def test_npz_whose_fps_is_an_array(tmp_path, capsys):
    gait = make_fake_gait(80, 1, np.random.default_rng(0))
    path = str(tmp_path / 'fps_array.npz')
    np.savez(path, joints=gait, fps=np.array([30., 60.]))
    assert main(['predict', path, '--random-init']) == 1
    assert _last_line(capsys.readouterr().err) == (
        f'step-mm: {path}: the stored fps is an array of shape (2,), not '
        'one frame rate: give a positive number of frames per second')
    # --fps overrides it; an fps stored as a 1-element array is read
    assert main(['predict', path, '--random-init', '--fps', '30']) == 0
    np.savez(path, joints=gait, fps=np.array([60.]))
    assert main(['predict', path, '--random-init']) == 0
    assert 'at 60 fps' in capsys.readouterr().out


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    cv2 = pytest.importorskip('cv2')
    path = str(tmp_path_factory.mktemp('video') / 'walk.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                             (64, 64))
    for t in range(10):
        img = np.zeros((64, 64, 3), np.uint8)
        cv2.circle(img, (16 + t, 12), 5, (255, 255, 255), -1)
        writer.write(img)
    writer.release()
    return path


def test_video_demo_and_predict_video_name_a_bad_checkpoint(
        video, bad_checkpoints, tmp_path, capsys):
    paths, _ = bad_checkpoints
    nowhere = str(tmp_path / 'nowhere.pth')
    for ckpt, problem in ((nowhere, None), (paths['random'],
                                            PROBLEMS['random'])):
        expected = (f'checkpoint {ckpt} not found' if problem is None else
                    f'cannot read checkpoint {ckpt}: {problem}')
        proc = subprocess.run(
            [sys.executable, DEMO, video, '--config', default_config(),
             '--checkpoint', ckpt, '--out-dir', str(tmp_path)],
            capture_output=True, text=True, timeout=300,
            env=dict(os.environ, OMP_NUM_THREADS='1'))
        assert proc.returncode == 1
        assert _last_line(proc.stderr) == f'demo_gait_video.py: {expected}'
        assert main(['predict', video, '--checkpoint', ckpt, '--out-dir',
                     str(tmp_path)]) == 1
        assert _last_line(capsys.readouterr().err) == f'step-mm: {expected}'
