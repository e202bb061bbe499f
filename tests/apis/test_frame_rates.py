# Copyright (c) step_mm contributors. All rights reserved.
"""Low, high and upsampled frame rates: no fake jumps, windows in input
frames."""
import numpy as np
import pytest

from step_mm.apis import (find_discontinuities, inference_gait,
                          init_gait_model, split_at_discontinuities)
from step_mm.datasets.egait_io import load_gait_files
from step_mm.datasets.transforms import resample_frames
from step_mm.skeleton.perturb import add_jitter, body_height, resample_time
from step_mm.testing import make_fake_gait


@pytest.fixture(scope='module')
def tiny_model(tiny_step):
    return init_gait_model(*tiny_step)


def _versions(gait):
    """The same walk at 10, 15, 24 and 60 fps, upsampled x4 by linear
    interpolation (piecewise-linear motion) and with 3 % jitter."""
    out = {f'{f} fps': resample_time(gait, 30., f) for f in (10, 15, 24, 60)}
    out['upsampled x4'] = resample_frames(gait[None], 4 * len(gait))[0]
    out['jitter 3%'] = add_jitter(gait, 0.03 * body_height(gait),
                                  np.random.default_rng(0))
    return out


def test_no_jump_in_resampled_fake_gaits():
    rng = np.random.default_rng(0)
    for label in range(4):
        gait = make_fake_gait(60, label, rng)
        for name, g in _versions(gait).items():
            assert find_discontinuities(g).tolist() == [], name


def test_no_jump_in_resampled_real_gaits(egait_root):
    gaits = load_gait_files(f'{egait_root}/features.h5',
                            f'{egait_root}/labels.h5',
                            ('happy', 'angry', 'sad', 'neutral'))
    split = {}
    for g in gaits:
        for name, x in _versions(g['joints']).items():
            split[name] = split.get(name, 0) + (
                len(split_at_discontinuities(x)) > 1)
    assert all(v == 0 for v in split.values()), split  # 342 gaits each


def test_jump_found_at_the_input_rate(tiny_model):
    """A cut in a 10 fps recording is found before it is resampled to the
    model's 30 fps, and windows/segments are in input frames."""
    rng = np.random.default_rng(1)
    a = resample_time(make_fake_gait(60, 0, rng), 30., 10.)  # 20 frames
    b = resample_time(make_fake_gait(60, 2, rng), 30., 10.) + [0.4, 0., 0.1]
    res = inference_gait(tiny_model, np.concatenate([a, b]), fps=10.)
    assert res.segments.tolist() == [[0, len(a)], [len(a), len(a) + len(b)]]
    assert res.window_ends.max() <= len(a) + len(b)
    whole = inference_gait(tiny_model, a, fps=10.)
    assert whole.segments.tolist() == [[0, len(a)]]
    assert whole.window_starts.tolist() == [0]
    assert whole.window_ends.tolist() == [len(a)]


@pytest.mark.parametrize('fps', (10., 60.))
def test_resampled_gait_predicted_like_the_original(tiny_model, fps):
    """The same walk at another frame rate is resampled, not split, and
    gets probabilities close to the 30 fps original's."""
    gait = make_fake_gait(60, 1, np.random.default_rng(2))
    ref = inference_gait(tiny_model, gait)
    res = inference_gait(tiny_model, resample_time(gait, 30., fps), fps=fps)
    assert len(res.segments) == 1 and len(res.window_probs) == 1
    assert np.abs(res.probs - ref.probs).max() < 0.2
