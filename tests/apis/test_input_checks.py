# Copyright (c) step_mm contributors. All rights reserved.
"""Inputs that were silently changed or accepted: a frame rate of 0, a
negative stride, complex joints; inputs that are not walks get a warning.
"""
import json

import numpy as np
import pytest

from step_mm.adapters import load_gait_file
from step_mm.apis import inference_gait, init_gait_model
from step_mm.cli import main
from step_mm.skeleton import REFERENCE_POSE
from step_mm.testing import make_fake_gait


@pytest.fixture(scope='module')
def model(tiny_step):
    return init_gait_model(*tiny_step)


def _walk(T=60):
    return make_fake_gait(T, 1, np.random.default_rng(3)).astype(np.float32)


def crouch(T=40, depth=(0.45, 0.65)):
    """Going down into a crouch and up again, feet still: hips lowered to
    ``depth`` (fractions of the leg length) of the reference pose, knees
    bent forward (hand-made from the reference pose's bone lengths)."""
    pose = REFERENCE_POSE.astype(np.float64)
    thigh = np.linalg.norm(pose[11] - pose[10])
    shin = np.linalg.norm(pose[12] - pose[11])
    frac = depth[0] + (depth[1] - depth[0]) * 0.5 * (
        1 + np.cos(np.linspace(0, 2 * np.pi, T)))
    out = np.repeat(pose[None], T, 0)
    for t, f in enumerate(frac):
        reach = f * (thigh + shin)  # hip-to-foot distance
        drop = pose[10, 1] - pose[12, 1] - reach
        upper = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13]
        out[t, upper, 1] -= drop  # the body goes down, the feet stay
        a = (thigh**2 - shin**2 + reach**2) / (2 * reach)
        for hip, knee in ((10, 11), (13, 14)):
            out[t, knee] = out[t, hip] + [0, -a, np.sqrt(thigh**2 - a**2)]
    return out.astype(np.float32)


def test_walk_check_on_hand_made_arrays():
    from step_mm.adapters.validation import (MIN_FOOT_TRAVEL,
                                             MIN_LEG_EXTENSION, walk_warnings)
    assert walk_warnings(_walk()) == []
    zero = walk_warnings(np.zeros((40, 16, 3)))
    assert len(zero) == 1 and 'all joints are at one point' in zero[0]
    still = np.repeat(REFERENCE_POSE[None], 40, 0)
    assert len(walk_warnings(still)) == 1
    assert 'the feet do not pass each other' in walk_warnings(still)[0]
    warned = walk_warnings(crouch())
    assert len(warned) == 2, warned
    assert warned[0].startswith('both knees stay bent (the straighter leg '
                                'reaches 55% of its length')
    assert 'the feet do not pass each other' in warned[1]
    # units and orientation do not matter
    turn = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], np.float32)
    assert walk_warnings(1000 * crouch() @ turn.T) == warned
    assert walk_warnings(100 * _walk() @ turn.T) == []
    assert 0 < MIN_FOOT_TRAVEL and MIN_LEG_EXTENSION < 1


def test_real_gaits_pass_the_walk_check(egait_root):
    from step_mm.adapters.validation import walk_warnings
    from step_mm.datasets import EGAIT_CLASSES, load_gait_files
    gaits = load_gait_files(f'{egait_root}/features.h5',
                            f'{egait_root}/labels.h5', EGAIT_CLASSES)
    warned = [g['key'] for g in gaits if walk_warnings(g['joints'])]
    assert len(gaits) == 342 and warned == []


def test_api_results_carry_the_warnings(model):
    res = inference_gait(model, [_walk(), np.zeros((40, 16, 3)), crouch()])
    assert res[0].warnings == ()
    assert 'all joints are at one point' in res[1].warnings[0]
    assert len(res[2].warnings) == 2
    assert res[2].to_dict()['warnings'] == list(res[2].warnings)


def test_api_refuses_bad_stride_and_complex_joints(model):
    gait = _walk(200)
    for stride in (-3, 0, 2.5, True):
        with pytest.raises(ValueError, match=f'stride {stride!r} is not a '
                           'window step: give a positive number of frames'):
            inference_gait(model, gait, stride=stride)
    with pytest.raises(ValueError, match='gait: complex64 values; joint '
                       'coordinates must be real numbers'):
        inference_gait(model, gait.astype(np.complex64))
    assert len(inference_gait(model, gait, stride=30).window_starts) > 2


def test_cli_refuses_fps_0_and_negative_stride(tiny_step, tmp_path, capsys):
    cfg, ckpt = tiny_step
    path = str(tmp_path / 'walk.npy')
    np.save(path, _walk())
    base = ['predict', path, '--config', cfg, '--checkpoint', ckpt]
    for flag, value, kind in (('--fps', '0', 'float'),
                              ('--fps', '-30', 'float'),
                              ('--fps', 'nan', 'float'),
                              ('--stride', '-3', 'int'),
                              ('--stride', '0', 'int')):
        with pytest.raises(SystemExit) as e:
            main(base + [flag, value])
        assert e.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.endswith(f"argument {flag}: must be a positive {kind}, "
                            f"got '{value}'"), err
    with pytest.raises(ValueError, match="fps 0 is not a frame rate"):
        load_gait_file(path, fps=0)


def test_cli_refuses_stored_fps_0_and_complex(tiny_step, tmp_path, capsys):
    cfg, ckpt = tiny_step
    stored = str(tmp_path / 'walk.npz')
    np.savez(stored, joints=_walk(), fps=np.float32(0))
    assert main(['predict', stored, '--config', cfg, '--checkpoint',
                 ckpt]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f'step-mm: {stored}: the stored fps 0.0 is not a frame '
                   'rate: give a positive number of frames per second')
    # an explicit --fps overrides the stored value
    assert main(['predict', stored, '--config', cfg, '--checkpoint', ckpt,
                 '--fps', '30']) == 0
    capsys.readouterr()
    cplx = str(tmp_path / 'complex.npy')
    np.save(cplx, _walk() + 1j)
    assert main(['predict', cplx, '--config', cfg, '--checkpoint',
                 ckpt]) == 1
    assert capsys.readouterr().err.strip() == (
        f'step-mm: {cplx}: complex64 values; joint coordinates must be '
        'real numbers (integers or floats)')


def test_cli_warns_for_zeros_and_a_crouch(tiny_step, tmp_path, capsys):
    cfg, ckpt = tiny_step
    for name, gait, count in (('zeros', np.zeros((40, 16, 3)), 1),
                              ('crouch', crouch(), 2), ('walk', _walk(), 0)):
        path = str(tmp_path / f'{name}.npy')
        np.save(path, gait)
        assert main(['predict', path, '--config', cfg, '--checkpoint', ckpt,
                     '--json']) == 0
        captured = capsys.readouterr()
        out = json.loads(captured.out)
        assert len(out['warnings']) == count, out['warnings']
        lines = captured.err.strip().splitlines() if count else []
        assert lines == [f'step-mm: warning: {path}: {w}'
                         for w in out['warnings']]


def test_head_error_advises_pack_gait_inputs(tiny_step):
    """A test pipeline that drops the affective features: the STEP head's
    error names the transform that exists (PackGaitInputs)."""
    cfg, ckpt = tiny_step
    model = init_gait_model(cfg, ckpt)
    pack = [t['type'] for t in model.cfg.test_pipeline].index(
        'PackGaitInputs')
    model = init_gait_model(
        cfg, ckpt, cfg_options={f'test_pipeline.{pack}.algorithm_keys': []})
    with pytest.raises(ValueError, match=r'data sample 0 has no '
                       r'`affective_feats`; end the pipeline with '
                       r'GaitAffectiveFeatures and PackGaitInputs\('
                       r"algorithm_keys=\('affective_feats', \)\)"):
        inference_gait(model, _walk())
