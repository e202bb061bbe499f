# Copyright (c) step_mm contributors. All rights reserved.
import os.path as osp
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import load

from step_mm.apis import (CheckpointMismatchError, GaitResult,
                          find_discontinuities, inference_gait,
                          init_gait_model, sliding_windows,
                          split_at_discontinuities)
from step_mm.datasets import EGAIT_CLASSES, load_gait_files
from step_mm.datasets.transforms import resample_frames
from step_mm.testing import load_script, make_fake_gait


def _test_tool():
    return load_script('tools/test.py', 'step_tools_test')


def tool_predictions(cfg_file, ckpt, tmp_path) -> dict:
    """Gait key -> probabilities from ``tools/test.py --dump``."""
    dump = str(tmp_path / 'dump.pkl')
    _test_tool().main([
        cfg_file, ckpt, '--dump', dump, '--work-dir',
        str(tmp_path / 'work')
    ])
    return {
        r['frame_dir']: r['pred_scores']['item'].numpy()
        for r in load(dump)
    }


def dataset_gaits(data_root):
    return load_gait_files(
        osp.join(data_root, 'features.h5'),
        osp.join(data_root, 'labels.h5'), EGAIT_CLASSES)


def assert_same_as_tool(cfg_file, ckpt, data_root, tmp_path):
    start = time.time()
    expected = tool_predictions(cfg_file, ckpt, tmp_path)
    t_tool = time.time() - start
    gaits = dataset_gaits(data_root)
    assert set(expected) == {g['key'] for g in gaits}
    model = init_gait_model(cfg_file, ckpt)
    start = time.time()
    results = inference_gait(model, [g['joints'] for g in gaits])
    t_api = time.time() - start
    probs = np.stack([r.probs for r in results])
    ref = np.stack([expected[g['key']] for g in gaits])
    np.testing.assert_allclose(probs, ref, atol=1e-5)
    assert [r.label for r in results] == ref.argmax(1).tolist()
    assert all(len(r.window_starts) == 1 for r in results)
    print(f'\n{len(gaits)} gaits: inference_gait == tools/test.py '
          f'(max abs diff {np.abs(probs - ref).max():.1e}); tools/test.py '
          f'{t_tool:.1f} s, inference_gait {t_api:.1f} s')
    return results


def test_same_as_test_tool_tiny(tiny_step, tiny_egait, tmp_path):
    assert_same_as_tool(*tiny_step, tiny_egait, tmp_path)


def test_same_as_test_tool_real(real_step, egait_root, tmp_path):
    results = assert_same_as_tool(*real_step, egait_root, tmp_path)
    labels = np.array([g['label'] for g in dataset_gaits(egait_root)])
    pred = np.array([r.label for r in results])
    print(f'briefly trained STEP, accuracy on its training gaits '
          f'{(pred == labels).mean():.1%}')


@pytest.fixture(scope='module')
def tiny_model(tiny_step):
    return init_gait_model(*tiny_step)


def test_init_gait_model(tiny_step, tiny_model):
    cfg_file, ckpt = tiny_step
    assert isinstance(tiny_model.cfg, Config)
    assert tiny_model.dataset_meta['classes'] == EGAIT_CLASSES
    assert not tiny_model.training
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    for k, v in tiny_model.state_dict().items():
        torch.testing.assert_close(v, state[k])
    assert bool(tiny_model.cls_head.aff_fitted)
    untrained = init_gait_model(Config.fromfile(cfg_file))
    assert not bool(untrained.cls_head.aff_fitted)
    with pytest.raises(FileNotFoundError):
        init_gait_model(cfg_file + '.missing')


def test_checkpoint_of_another_architecture(tiny_step, tmp_path):
    cfg_file, _ = tiny_step
    from mmaction.registry import MODELS
    cfg = Config.fromfile(cfg_file)
    other = MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=dict(
                type='STGCN', graph_cfg=cfg.model.backbone.get(
                    'graph_cfg', dict(
                        layout=dict(num_node=16, inward=[(i, 0) for i in
                                                         range(1, 16)],
                                    center=0), mode='stgcn_spatial'))),
            cls_head=dict(type='GCNHead', num_classes=4, in_channels=256)))
    path = str(tmp_path / 'stgcn.pth')
    torch.save(dict(state_dict=other.state_dict()), path)
    with pytest.raises(CheckpointMismatchError,
                       match='missing from the checkpoint.*unexpected'):
        init_gait_model(cfg_file, path)
    # same architecture, another number of classes: shapes differ
    five = init_gait_model(cfg_file, cfg_options={
        'model.cls_head.num_classes': 5})
    path = str(tmp_path / 'five.pth')
    torch.save(dict(state_dict=five.state_dict()), path)
    with pytest.raises(CheckpointMismatchError,
                       match=r'fc_cls.weight: checkpoint \(5, 96\)'):
        init_gait_model(cfg_file, path)


def test_input_validation(tiny_model):
    gait = make_fake_gait(30)
    bad = {
        r'shape \(30, 17, 3\).*h36m_to_egait': np.zeros((30, 17, 3)),
        r'shape \(30, 16, 2\)': np.zeros((30, 16, 2)),
        'an array of shape': np.zeros((2, 2, 30, 16, 3)),
        '3 frames': gait[:3],
        'NaN/inf joints .first at frame 5, joint 2': np.where(
            (np.arange(30)[:, None, None] == 5)
            & (np.arange(16)[None, :, None] == 2), np.inf, gait),
    }
    for msg, x in bad.items():
        with pytest.raises(ValueError, match=msg):
            inference_gait(tiny_model, x)
    with pytest.raises(ValueError, match='gait 1: .*17'):
        inference_gait(tiny_model, [gait, np.zeros((30, 17, 3))])
    with pytest.raises(ValueError, match='fps must be positive'):
        inference_gait(tiny_model, gait, fps=0)
    with pytest.raises(ValueError, match='2 frame rates for 3 gaits'):
        inference_gait(tiny_model, [gait] * 3, fps=[30, 60])
    with pytest.raises(ValueError, match='at least 4'):
        inference_gait(tiny_model, gait[:6], fps=60)  # 3 frames at 30 fps
    with pytest.raises(TypeError):
        inference_gait(tiny_model, 'gait.npy')


def test_batch_list_and_single_agree(tiny_model):
    rng = np.random.default_rng(3)
    gaits = [make_fake_gait(40, k, rng) for k in range(3)]
    single = [inference_gait(tiny_model, g) for g in gaits]
    assert isinstance(single[0], GaitResult)
    batch = inference_gait(tiny_model, np.stack(gaits))
    flat = inference_gait(tiny_model, torch.from_numpy(
        np.stack(gaits)).reshape(3, 40, 48)[1])
    listed = inference_gait(tiny_model, [gaits[0], gaits[1][:25], gaits[2]])
    for a, b in zip(single, batch):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-6)
    np.testing.assert_allclose(flat.probs, single[1].probs, atol=1e-6)
    assert listed[1].num_frames == 25
    for r in single:
        assert r.probs.shape == (4, ) and abs(r.probs.sum() - 1) < 1e-5
        assert r.class_name == EGAIT_CLASSES[r.label] == max(
            r.scores, key=r.scores.get)


def test_long_gait_windows(tiny_model):
    gait = make_fake_gait(200, 1, np.random.default_rng(0))
    res = inference_gait(tiny_model, gait)
    assert res.window_starts.tolist() == [0, 37, 74, 111, 125]
    assert res.window_ends.tolist() == [75, 112, 149, 186, 200]
    assert res.segments.tolist() == [[0, 200]]
    assert res.window_probs.shape == (5, 4)
    np.testing.assert_allclose(res.probs, res.window_probs.mean(0),
                               atol=1e-6)
    # each window is predicted like a gait of its own
    third = inference_gait(tiny_model, gait[74:149])
    np.testing.assert_allclose(res.window_probs[2], third.probs, atol=1e-5)
    # at 60 fps the windows are reported in input frames
    fast = resample_frames(gait[None], 400)[0]
    res60 = inference_gait(tiny_model, fast, fps=60, stride=75)
    assert res60.window_starts.tolist() == [0, 150, 250]
    assert res60.window_ends.tolist() == [150, 300, 400]
    d = res60.to_dict()
    assert d['emotion'] == res60.class_name and len(d['windows']) == 3


def test_sliding_windows():
    assert sliding_windows(40, 75).tolist() == [0]
    assert sliding_windows(75, 75).tolist() == [0]
    assert sliding_windows(76, 75).tolist() == [0, 1]
    assert sliding_windows(150, 75, 75).tolist() == [0, 75]
    assert sliding_windows(160, 75, 75).tolist() == [0, 75, 85]
    assert sliding_windows(500, None).tolist() == [0]


def test_discontinuities():
    rng = np.random.default_rng(0)
    a = make_fake_gait(50, 0, rng)
    b = make_fake_gait(30, 2, rng) + [0.3, 0., 0.1]  # a cut to another clip
    joined = np.concatenate([a, b])
    assert find_discontinuities(a).tolist() == []
    assert find_discontinuities(joined).tolist() == [49]
    assert split_at_discontinuities(joined).tolist() == [[0, 50], [50, 80]]
    assert split_at_discontinuities(joined, None).tolist() == [[0, 80]]
    # standing still, then walking: a change of motion, not a jump
    still = np.repeat(a[:1], 40, 0) + rng.normal(0, 1e-4, (40, 16, 3))
    assert find_discontinuities(np.concatenate([still, a])).tolist() == []
    # a jump 2 frames before the end leaves a piece too short to keep
    assert split_at_discontinuities(
        np.concatenate([a, b[:2]])).tolist() == [[0, 50]]


def test_split_gaits_predicted_per_piece(tiny_model):
    rng = np.random.default_rng(1)
    a, b = make_fake_gait(50, 0, rng), make_fake_gait(30, 2, rng)
    res = inference_gait(tiny_model, np.concatenate([a, b + 0.3]))
    assert res.segments.tolist() == [[0, 50], [50, 80]]
    parts = inference_gait(tiny_model, [a, b])
    np.testing.assert_allclose(res.window_probs,
                               np.stack([p.probs for p in parts]), atol=1e-5)


# --- invariance of the predictions on the 342 real gaits --------------------


@pytest.fixture(scope='module')
def real_case(real_step, egait_root):
    model = init_gait_model(*real_step)
    gaits = [g['joints'] for g in dataset_gaits(egait_root)]
    labels = np.array([r.label for r in inference_gait(model, gaits)])
    counts = np.bincount(labels, minlength=4)
    print(f'\nbriefly trained STEP predicts class counts {counts.tolist()}')
    # invariance of a constant classifier would prove nothing
    assert (counts > 0).sum() >= 2 and counts.max() < 0.9 * len(gaits)
    return model, gaits, labels


def _rotate_y(gait, theta):
    c, s = np.cos(theta), np.sin(theta)
    return gait @ np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]).T


TRANSFORMS = {
    'rotated about the vertical': lambda gs, rng: (
        [_rotate_y(g, rng.uniform(-np.pi, np.pi)) for g in gs], 30.),
    'scaled x100': lambda gs, rng: ([g * 100. for g in gs], 30.),
    'resampled 30 -> 60 fps': lambda gs, rng: (
        [resample_frames(g[None], 2 * len(g))[0] for g in gs], 60.),
    'tiled 10x': lambda gs, rng: ([np.tile(g, (10, 1, 1)) for g in gs], 30.),
}


@pytest.mark.parametrize('name', list(TRANSFORMS))
def test_invariance_real(real_case, name):
    model, gaits, labels = real_case
    changed, fps = TRANSFORMS[name](gaits, np.random.default_rng(0))
    start = time.time()
    pred = np.array(
        [r.label for r in inference_gait(model, changed, fps=fps)])
    rate = (pred == labels).mean()
    print(f'\n{name}: prediction unchanged for {rate:.1%} of '
          f'{len(gaits)} real gaits ({time.time() - start:.0f} s)')
    assert rate >= 0.95
