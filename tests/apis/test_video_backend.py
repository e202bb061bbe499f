# Copyright (c) step_mm contributors. All rights reserved.
"""Who builds and who closes the pose backend of ``inference_video``."""
from types import SimpleNamespace

import pytest


class FakeBackend:
    name = 'fake'

    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True


@pytest.fixture
def api(monkeypatch):
    """``step_mm.apis.video`` with no video, no poses and no model: what
    is left is the backend's life."""
    from step_mm.apis import video as api
    from step_mm.video import pipeline
    built = []

    def build(name, **kwargs):
        built.append((name, kwargs, FakeBackend()))
        return built[-1][2]

    def track_poses(info, backend, *args, **kwargs):
        assert not backend.closed  # open while the poses are estimated
        return [], dict(frames=7)

    monkeypatch.setattr(api, 'build_pose_backend', build)
    monkeypatch.setattr(
        pipeline, 'video_info',
        lambda video, fps: SimpleNamespace(fps=10., width=64, height=48))
    monkeypatch.setattr(pipeline, 'track_poses', track_poses)
    monkeypatch.setattr(api, 'model_class_names', lambda cfg, model: ['a'])
    api.built = built
    yield api
    del api.built


def _infer(api, pose_backend):
    return api.inference_video(
        SimpleNamespace(cfg=None),
        'walk.mp4',
        pose_backend=pose_backend,
        detector=object(),
        progress=False)


def test_a_dict_is_built_with_its_arguments_and_closed(api):
    cfg = dict(type='mediapipe', workers=2)
    result = _infer(api, cfg)
    (name, kwargs, backend), = api.built
    assert name == 'mediapipe' and kwargs == dict(workers=2)
    assert backend.closed and result.pose_backend == 'fake'
    assert result.num_frames == 7 and result.tracks == []
    assert cfg == dict(type='mediapipe', workers=2)  # not consumed


def test_a_name_is_built_and_closed(api):
    result = _infer(api, 'mmpose')
    (name, kwargs, backend), = api.built
    assert name == 'mmpose' and kwargs == {} and backend.closed
    assert result.pose_backend == 'mmpose'


def test_a_built_backend_is_left_open(api):
    backend = FakeBackend()
    result = _infer(api, backend)
    assert not api.built and not backend.closed
    assert result.pose_backend == 'fake'


def test_pose_backend_cfg_from_a_command_line():
    from step_mm.video.cli import pose_backend_cfg
    args = SimpleNamespace(
        pose_backend='mediapipe', workers=2, pose2d_checkpoint='p.pth',
        lifter_checkpoint=None, device='cpu', pose2d_config='p.py',
        random_init=True)
    assert pose_backend_cfg(args) == dict(type='mediapipe', workers=2)
    args.pose_backend = 'mmpose'
    assert pose_backend_cfg(args) == dict(
        type='mmpose', pose2d_checkpoint='p.pth', lifter_checkpoint=None,
        device='cpu')  # random_init only when asked for
    assert pose_backend_cfg(args, 'pose2d_config', 'random_init') == dict(
        type='mmpose', pose2d_checkpoint='p.pth', lifter_checkpoint=None,
        device='cpu', pose2d_config='p.py', random_init=True)
