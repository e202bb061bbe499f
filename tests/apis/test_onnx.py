# Copyright (c) step_mm contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest

from step_mm.apis import init_gait_model
from step_mm.datasets import EGAIT_CLASSES, load_gait_files
from step_mm.testing import load_script, make_fake_gait

pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')


@pytest.fixture(scope='module')
def exporter():
    return load_script('tools/deployment/export_onnx_step.py')


def test_export_tiny_matches_pytorch(exporter, tiny_step, tmp_path, capsys):
    cfg_file, ckpt = tiny_step
    out = str(tmp_path / 'step.onnx')
    assert exporter.main(
        [cfg_file, ckpt, '--output', out, '--num-frames', '75',
         '--verify']) == 0
    assert 'OK' in capsys.readouterr().out
    model = init_gait_model(cfg_file, ckpt)
    rng = np.random.default_rng(5)
    gaits = [make_fake_gait(int(rng.integers(18, 76)), k % 4, rng)
             for k in range(9)]
    diff = exporter.verify(model, out, 75, gaits)
    print(f"\nONNX vs PyTorch on {diff['num_gaits']} generated gaits: max abs "
          f"diff {diff['probs']:.2e} (probs), {diff['logits']:.2e} (logits)")
    assert diff['probs'] <= 1e-4 and diff['logits'] <= 1e-4
    # the batch axis is dynamic; the standardisation is in the graph
    _, joints, aff = exporter.prepare_inputs(model, gaits, 75)
    sess = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    assert [i.name for i in sess.get_inputs()] == ['joints',
                                                    'affective_feats']
    full = sess.run(['probs'], dict(joints=joints, affective_feats=aff))[0]
    for n in (1, 4):
        part = sess.run(['probs'],
                        dict(joints=joints[:n], affective_feats=aff[:n]))[0]
        np.testing.assert_allclose(part, full[:n], atol=1e-6)
    shifted = sess.run(['probs'],
                       dict(joints=joints, affective_feats=aff * 1.5))[0]
    assert np.abs(shifted - full).max() > 1e-3  # the features are used


def test_export_other_length(exporter, tiny_step, tmp_path):
    cfg_file, ckpt = tiny_step
    model = init_gait_model(cfg_file, ckpt)
    out = exporter.export(model, str(tmp_path / 'step48.onnx'), num_frames=48)
    diff = exporter.verify(model, out, num_frames=48)
    assert diff['probs'] <= 1e-4 and diff['logits'] <= 1e-4


def test_export_rejects_other_heads(exporter):
    from mmaction.registry import MODELS
    model = MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=dict(
                type='STEPGCN'),
            cls_head=dict(type='GCNHead', num_classes=4, in_channels=64)))
    with pytest.raises(TypeError, match='not a STEPHead'):
        exporter.STEPOnnxWrapper(model)


def test_export_real_gaits(exporter, real_step, egait_root, tmp_path):
    cfg_file, ckpt = real_step
    model = init_gait_model(cfg_file, ckpt)
    out = exporter.export(model, str(tmp_path / 'step.onnx'))
    gaits = [
        g['joints'] for g in load_gait_files(
            osp.join(egait_root, 'features.h5'),
            osp.join(egait_root, 'labels.h5'), EGAIT_CLASSES)
    ]
    diff = exporter.verify(model, out, 75, gaits)
    print(f"\nONNX vs PyTorch on {diff['num_gaits']} real gaits: max abs "
          f"diff {diff['probs']:.2e} (probs), {diff['logits']:.2e} (logits)")
    assert diff['num_gaits'] == 342
    assert diff['probs'] <= 1e-4 and diff['logits'] <= 1e-4
