# Copyright (c) step_mm contributors. All rights reserved.
"""Model-level bad inputs get a clear error, never a silent partial load, a
wrong answer or a half-written file."""
import glob
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config

from step_mm.apis import (CheckpointMismatchError, inference_gait,
                          init_gait_model)
from step_mm.testing import load_script, make_fake_gait

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STEP = glob.glob(
    osp.join(REPO, 'configs', 'step', 'step_stgcn-aff_*_egait-*.py'))[0]
STGCN = glob.glob(
    osp.join(REPO, 'configs', 'baselines', 'stgcn_1xb16-joint-*.py'))[0]
BASELINE_STEP = glob.glob(
    osp.join(REPO, 'configs', 'step', 'step_stgcn-baseline_*.py'))[0]
# a narrow STEP (same layers and pipeline) keeps these tests fast
SMALL = {
    'model.backbone.channels': (8, 16, 16),
    'model.cls_head.in_channels': 16,
    'model.cls_head.hidden_channels': 16
}


def _tool(name):
    return load_script(f'tools/{name}.py', 'tool_' + name.replace('/', '_'))


def _save(model, path, prefix=''):
    state = {prefix + k: v for k, v in model.state_dict().items()}
    torch.save(dict(state_dict=state, meta=dict()), path)
    return path


@pytest.fixture(scope='module')
def step_model():
    """A narrow, untrained STEP with fitted-looking affective statistics."""
    model = init_gait_model(STEP, cfg_options=SMALL)
    n = model.cls_head.num_affective
    model.cls_head.set_affective_stats(np.zeros(n), np.ones(n))
    return model


@pytest.fixture(scope='module')
def stgcn_ckpt(tmp_path_factory):
    model = MODELS.build(Config.fromfile(STGCN).model)
    return _save(model, str(tmp_path_factory.mktemp('stgcn') / 'stgcn.pth'))


def _test_tool(ckpt, data_root, work_dir, small=True):
    opts = [
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.dataset.protocol=all'
    ]
    if small:
        opts += [f'{k}={v}'.replace(' ', '') for k, v in SMALL.items()]
    return _tool('test').main(
        [STEP, ckpt, '--work-dir', work_dir, '--cfg-options'] + opts)


def _test_tool_error(ckpt, data_root, work_dir, small=True):
    """The one-line message ``tools/test.py`` exits with."""
    with pytest.raises(SystemExit) as e:
        _test_tool(ckpt, data_root, work_dir, small)
    message = str(e.value.code)
    assert message.startswith('tools/test.py: ') and '\n' not in message
    return message


def test_test_tool_refuses_another_architecture(stgcn_ckpt, tiny_egait,
                                                tmp_path):
    """mmengine alone would warn and test random STEP weights."""
    message = _test_tool_error(stgcn_ckpt, tiny_egait, str(tmp_path),
                               small=False)
    assert re.search(
        r'does not fit the model of .*step_stgcn-aff.*missing '
        r'from the checkpoint.*unexpected in the checkpoint.*nothing '
        'was tested', message), message


def test_test_tool_refuses_a_partly_fitting_checkpoint(tiny_egait, tmp_path):
    """Baseline-STEP shares STEP's backbone; its head does not fit."""
    baseline = init_gait_model(BASELINE_STEP, cfg_options=SMALL)
    ckpt = _save(baseline, str(tmp_path / 'baseline.pth'))
    message = _test_tool_error(ckpt, tiny_egait, str(tmp_path))
    assert 'weights with other shapes (e.g. cls_head' in message


def test_test_tool_accepts_a_fitting_checkpoint(step_model, tiny_egait,
                                                tmp_path):
    """The check passes a matching checkpoint, DDP's ``module.`` prefix
    included (the test then runs on all 40 gaits)."""
    ckpt = _save(step_model, str(tmp_path / 'step.pth'), prefix='module.')
    metrics = _test_tool(ckpt, tiny_egait, str(tmp_path))
    assert 0 <= metrics['acc/top1'] <= 1
    assert np.asarray(metrics['confusion_matrix/result']).sum() == 40


def test_test_tool_missing_checkpoint(tiny_egait, tmp_path):
    nope = str(tmp_path / 'nope.pth')
    assert _test_tool_error(nope, tiny_egait, str(tmp_path)) == (
        f'tools/test.py: checkpoint {nope} not found')


def test_test_tool_truncated_checkpoint(step_model, tiny_egait, tmp_path):
    """A checkpoint cut short (run killed while saving) is named as such."""
    ckpt = _save(step_model, str(tmp_path / 'epoch_3.pth'))
    data = open(ckpt, 'rb').read()
    with open(ckpt, 'wb') as f:
        f.write(data[:len(data) // 2])
    assert _test_tool_error(ckpt, tiny_egait, str(tmp_path)) == (
        f'tools/test.py: cannot read checkpoint {ckpt}: the file is cut '
        'short or is not a PyTorch checkpoint (a run killed while saving it '
        'leaves such a file): take the previous checkpoint')


@pytest.mark.parametrize('content', [b'', b'random bytes' * 100])
def test_test_tool_empty_or_random_checkpoint(content, tiny_egait, tmp_path):
    """Once torch's advice to load with weights_only=False, a traceback."""
    ckpt = str(tmp_path / 'bad.pth')
    with open(ckpt, 'wb') as f:
        f.write(content)
    message = _test_tool_error(ckpt, tiny_egait, str(tmp_path))
    assert message == (
        f'tools/test.py: cannot read checkpoint {ckpt}: ' +
        ('the file is empty (a run killed while saving it leaves such a '
         'file): take the previous checkpoint' if not content else
         'not a PyTorch checkpoint (unreadable content)'))


def test_init_gait_model_refuses_another_architecture(stgcn_ckpt):
    with pytest.raises(CheckpointMismatchError,
                       match='missing from the checkpoint.*Nothing was '
                       'loaded'):
        init_gait_model(STEP, stgcn_ckpt)


@pytest.mark.parametrize('joints', [17, 15])
def test_inference_wrong_joint_count(step_model, joints):
    gait = np.random.default_rng(0).normal(size=(40, joints, 3))
    with pytest.raises(ValueError,
                       match=rf'shape \(40, {joints}, 3\), expected '
                       r'\(T, 16, 3\)'):
        inference_gait(step_model, gait)


def test_inference_h36m_gets_a_conversion_hint(step_model):
    with pytest.raises(ValueError, match='h36m_to_egait'):
        inference_gait(step_model, np.zeros((40, 17, 3)))


@pytest.mark.parametrize('value', [np.nan, np.inf])
def test_inference_nan_joints(step_model, value):
    good = make_fake_gait(40)
    bad = good.copy()
    bad[7, 3] = value
    with pytest.raises(ValueError,
                       match=r'gait 1: NaN/inf joints \(first at frame 7, '
                       'joint 3\)'):
        inference_gait(step_model, [good, bad])
    # the good gait alone still works, with finite probabilities
    res = inference_gait(step_model, good)
    assert np.isfinite(res.probs).all() and abs(res.probs.sum() - 1) < 1e-5


def _head_inputs(model, num=2):
    feats = torch.randn(num, 1, 16, 19, 16)
    samples = []
    for i in range(num):
        s = ActionDataSample()
        s.set_gt_labels(torch.tensor([i % 4]))
        samples.append(s)
    return feats, samples


def test_step_head_without_affective_feats(step_model):
    feats, samples = _head_inputs(step_model)
    head = step_model.cls_head
    with pytest.raises(ValueError,
                       match=r'data sample 0 has no `affective_feats`.*'
                       r"PackGaitInputs\(algorithm_keys=\('affective_feats', "
                       r'\)\)'):
        head.loss(feats, samples)
    with pytest.raises(ValueError, match='needs the data samples'):
        head(feats)
    n = head.num_affective
    samples[0].affective_feats = torch.zeros(n)
    samples[1].affective_feats = torch.zeros(n - 1)
    with pytest.raises(ValueError,
                       match=f'data sample 1 has {n - 1} affective features, '
                       f'expected num_affective={n}'):
        head.predict(feats, samples)
    samples[1].affective_feats = torch.full((n, ), float('nan'))
    with pytest.raises(ValueError, match=r'NaN or inf in data samples \[1\]'):
        head.predict(feats, samples)


def test_onnx_model_fed_17_joints(step_model, tmp_path):
    """The exported graph has a static joint axis (and clip length):
    onnxruntime names the input and the offending axis."""
    pytest.importorskip('onnx')
    ort = pytest.importorskip('onnxruntime')
    exporter = _tool('deployment/export_onnx_step')
    out = exporter.export(step_model, str(tmp_path / 'step.onnx'),
                          num_frames=32)
    sess = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    aff = np.zeros((1, step_model.cls_head.num_affective), np.float32)
    ok = sess.run(['probs'],
                  dict(joints=np.zeros((1, 1, 32, 16, 3), np.float32),
                       affective_feats=aff))[0]
    assert ok.shape == (1, 4)
    for shape, axis in (((1, 1, 32, 17, 3), 'index: 3 Got: 17 Expected: 16'),
                        ((1, 1, 75, 16, 3), 'index: 2 Got: 75 Expected: 32')):
        with pytest.raises(Exception, match=f'(?s)joints.*{axis}'):
            sess.run(['probs'],
                     dict(joints=np.zeros(shape, np.float32),
                          affective_feats=aff))


class _FailingGenerator:
    """A stand-in STEP-Gen whose ``generate`` fails on call ``fail_at`` or
    returns NaN joints (``nan=True``)."""
    num_classes, num_frames = 4, 30

    def __init__(self, fail_at=None, nan=False):
        self.calls, self.fail_at, self.nan = 0, fail_at, nan

    def generate(self, labels, num_frames, prior, generator):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError('simulated failure in batch 2')
        rng = np.random.default_rng(self.calls)
        gaits = np.stack(
            [make_fake_gait(num_frames, int(k), rng) for k in labels])
        if self.nan:
            gaits[0, 3] = np.nan
        return torch.from_numpy(gaits)


@pytest.mark.parametrize('failure', ['exception', 'nan'])
def test_generate_gaits_failure_leaves_no_partial_h5(failure, tmp_path):
    """A failed generation writes nothing and keeps an earlier good set."""
    gen = _tool('generate_gaits')
    out = str(tmp_path)
    feat, labels = gen.generate_gait_files(
        _FailingGenerator(), out, 3, batch_size=4)
    before = {p: open(p, 'rb').read() for p in (feat, labels)}
    bad = _FailingGenerator(fail_at=2) if failure == 'exception' else \
        _FailingGenerator(nan=True)
    error = RuntimeError if failure == 'exception' else FloatingPointError
    with pytest.raises(error):  # a failed --overwrite keeps the good set
        gen.generate_gait_files(bad, out, 5, batch_size=4, overwrite=True)
    with pytest.raises(error):
        gen.generate_gait_files(bad.__class__(
            fail_at=bad.fail_at, nan=bad.nan), out, 5, batch_size=4,
            suffix='_new')
    assert sorted(os.listdir(out)) == ['features.h5', 'labels.h5']
    for p, data in before.items():
        assert open(p, 'rb').read() == data
