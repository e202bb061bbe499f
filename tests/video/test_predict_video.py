# Copyright (c) step_mm contributors. All rights reserved.
"""``step-mm predict VIDEO`` end to end on a clip cut from vtest.avi, with
the real MediaPipe model (no download) and a randomly initialised STEP built
from the real config; the mmpose backend's offline error."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

cv2 = pytest.importorskip('cv2')

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VTEST = osp.normpath(
    osp.join(REPO, '..', 'shared', 'data', 'video', 'vtest.avi'))
# Frames 420-455 of vtest.avi, the part of the frame where a woman in a red
# jacket walks across (about 100 px tall) and a man walks away.
FIRST, NUM, CROP = 420, 36, (slice(150, 500), slice(480, 768))


def step_mm_cli(*args, env=None):
    """Run the real entry point (``python -m step_mm.cli``)."""
    return subprocess.run(
        [sys.executable, '-m', 'step_mm.cli', *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO)


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    if not osp.isfile(VTEST):
        pytest.skip(f'{VTEST} not found (the OpenCV sample video, see '
                    '../shared/data/video/README.md); never in the repo')
    path = str(tmp_path_factory.mktemp('clip') / 'street.avi')
    cap = cv2.VideoCapture(VTEST)
    cap.set(cv2.CAP_PROP_POS_FRAMES, FIRST)
    writer = None
    for _ in range(NUM):
        ok, frame = cap.read()
        assert ok
        frame = np.ascontiguousarray(frame[CROP])
        if writer is None:
            writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'),
                                     10, frame.shape[1::-1])
        writer.write(frame)
    writer.release()
    cap.release()
    return path


@pytest.fixture(scope='module')
def predicted(clip, tmp_path_factory):
    from step_mm.cli import default_config
    out = str(tmp_path_factory.mktemp('out'))
    proc = step_mm_cli('predict', clip, '--config', default_config(),
                       '--random-init', '--out-dir', out, '--detect-every',
                       '5')
    return proc, out


def test_json_schema(predicted, clip):
    proc, out = predicted
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr
    assert 'wrote' in proc.stdout and 'untrained model' in proc.stdout
    with open(osp.join(out, 'street.json')) as f:
        res = json.load(f)
    names = res['class_names']
    assert names == ['happy', 'angry', 'sad', 'neutral']
    assert res['fps'] == 10 and res['num_frames'] == NUM
    assert res['pose_backend'] == 'mediapipe'
    # MediaPipe finds the people on their crops in most frames
    assert res['frames_with_pose'] >= NUM * 0.8
    tracks = res['tracks']
    assert tracks and res['num_tracks'] == len(tracks)
    assert len({t['track_id'] for t in tracks}) == len(tracks)
    with_emotion = [t for t in tracks if t['emotion'] is not None]
    assert with_emotion and res['num_tracks_with_emotion'] == len(
        with_emotion)
    # the woman is followed for most of the clip by one track
    assert max(t['num_pose_frames'] for t in tracks) >= NUM * 0.75
    for t in tracks:
        assert set(t) >= {'track_id', 'first_frame', 'last_frame', 'emotion',
                          'probs', 'windows', 'num_pose_frames', 'segments',
                          'warnings'}
        assert isinstance(t['warnings'], list)
        assert 0 <= t['first_frame'] <= t['last_frame'] < NUM
        assert t['num_pose_frames'] <= t['last_frame'] - t['first_frame'] + 1
        if t['emotion'] is None:
            assert t['probs'] is None and t['windows'] == []
            continue
        assert list(t['probs']) == names
        assert abs(sum(t['probs'].values()) - 1) < 1e-4
        assert t['emotion'] == max(t['probs'], key=t['probs'].get)
        for w in t['windows']:
            assert t['first_frame'] <= w['start'] < w['end'] <= \
                t['last_frame'] + 1
            assert w['emotion'] == max(w['probs'], key=w['probs'].get)
            assert abs(sum(w['probs'].values()) - 1) < 1e-4
        mean = np.mean([[w['probs'][n] for n in names]
                        for w in t['windows']], 0)
        np.testing.assert_allclose([t['probs'][n] for n in names], mean,
                                   atol=1e-5)


def test_annotated_mp4(predicted, clip):
    _, out = predicted
    cap = cv2.VideoCapture(osp.join(out, 'street.mp4'))
    src = cv2.VideoCapture(clip)
    assert cap.isOpened()
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == NUM
    assert abs(cap.get(cv2.CAP_PROP_FPS) - 10) < 1e-3
    changed = 0
    for _ in range(NUM):
        ok, frame = cap.read()
        ok2, orig = src.read()
        assert ok and ok2 and frame.shape == orig.shape
        # boxes, skeletons and labels are drawn in (most) frames
        changed += np.abs(frame.astype(int) - orig).max(-1).__gt__(
            120).sum() > 50
    cap.release()
    src.release()
    assert changed >= NUM * 0.8
    assert not [f for f in os.listdir(out) if '.part' in f]


def test_unreadable_and_missing_videos(tmp_path, capsys):
    from step_mm.cli import default_config, main
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'not a video at all' * 100)
    for path, msg in ((str(bad), 'cannot read a frame'),
                      (str(tmp_path / 'nowhere.avi'), 'video not found')):
        assert main(['predict', path, '--config', default_config(),
                     '--random-init', '--out-dir', str(tmp_path)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and msg in err[0] and path in err[0], err
    assert main(['predict', str(bad), '--random-init', '--workers',
                 '-1']) == 2
    assert '--workers' in capsys.readouterr().err
    assert not list(tmp_path.glob('*.json'))


def test_mmpose_backend_offline_names_the_url(clip, tmp_path, monkeypatch,
                                              capsys):
    from step_mm.cli import default_config, main
    from step_mm.video.mmpose_backend import POSE2D_ZOO
    # No network: every download goes to a closed local port; an empty
    # TORCH_HOME holds no cached checkpoint.
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    for var in ('HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy'):
        monkeypatch.setenv(var, 'http://127.0.0.1:9')
    for var in ('NO_PROXY', 'no_proxy'):
        monkeypatch.delenv(var, raising=False)
    assert main(['predict', clip, '--config', default_config(),
                 '--random-init', '--out-dir', str(tmp_path),
                 '--pose-backend', 'mmpose']) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith('step-mm: cannot download the 2D pose')
    assert POSE2D_ZOO['url'] in err[0] and '--pose2d-checkpoint' in err[0]
    assert not list(tmp_path.glob('*.json'))


def test_pose_workers_match_in_process(clip):
    """Worker processes give exactly the poses of the in-process graphs."""
    from step_mm.video import (HOGPersonDetector, MediaPipePoseEstimator,
                               iter_frames)
    detector = HOGPersonDetector()
    frames = list(iter_frames(clip, 12))
    start = next(i for i, f in enumerate(frames) if len(detector(f)[0]))
    boxes, _ = detector(frames[start])
    frames = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB)
              for f in frames[start:start + 6]]
    todo = {i: b for i, b in enumerate(boxes[:2])}
    runs = []
    for workers in (0, 1):
        with MediaPipePoseEstimator(workers=workers) as est:
            runs.append([est.estimate(f, todo) for f in frames])
    local, remote = runs
    assert sum(len(p) for p in local) >= 2
    for a, b in zip(local, remote):
        assert sorted(a) == sorted(b)
        for tid in a:
            np.testing.assert_allclose(a[tid].keypoints, b[tid].keypoints,
                                       atol=1e-6)
            np.testing.assert_allclose(a[tid].box, b[tid].box, atol=1e-4)
