# Copyright (c) step_mm contributors. All rights reserved.
"""Export a STEP model (backbone + head) to ONNX, and check it.

Example::

    python tools/deployment/export_onnx_step.py CONFIG CKPT \\
        --output step.onnx --num-frames 75 --verify

The graph has two inputs and two outputs, all with a dynamic batch axis:

- ``joints`` ``(N, 1, T, 16, 3)`` float32: gaits after the test pipeline
  (``NormalizeGait``, ``GaitToLength(clip_len=T)``, ``FormatGCNInput``),
  i.e. ``data['inputs']`` of the pipeline without its clip axis;
- ``affective_feats`` ``(N, F)`` float32 (``F`` = the head's
  ``num_affective``: 194 for STEP, 29 for ``step-aff29``): the raw features of
  ``GaitAffectiveFeatures`` (``data_samples.affective_feats``); the head's
  standardisation (``aff_mean``/``aff_std``, fitted during training) is
  part of the graph;
- ``logits`` ``(N, C)`` and ``probs`` ``(N, C)`` (softmax).

``--verify`` runs onnxruntime on gaits prepared by the config's test
pipeline (generated ones, or ``--data-root`` E-Gait gaits) and compares
with PyTorch's ``model.test_step`` on the same gaits.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn

import step_mm  # noqa: F401  registers the plugin's modules


def specialize_temporal_convs(model: nn.Module, num_frames: int) -> nn.Module:
    """Copy of ``model`` whose ``LongTemporalConv`` layers are static convs.

    ``LongTemporalConv`` slices its weight to the taps the current length
    can reach, with bounds computed in Python from the input length. The
    TorchScript ONNX exporter turns that into a ``Slice`` of an initializer
    whose shape its ``Conv`` symbolic cannot infer ("Unsupported: ONNX
    export of convolution for kernel of unknown shape"). The exported graph
    has a fixed clip length, so each layer's input length is known: this
    replaces every ``LongTemporalConv`` by ``ZeroPad2d`` + ``Conv2d`` with
    the pre-sliced weight, the same computation for that length.

    Args:
        model (nn.Module): A recognizer (left unchanged).
        num_frames (int): Clip length the graph is exported for.

    Returns:
        nn.Module: The specialised copy, in eval mode.
    """
    import copy

    from step_mm.models.utils.temporal_conv import (LongTemporalConv,
                                                    reachable_taps)
    model = copy.deepcopy(model).eval()
    lengths = {}
    hooks = [
        m.register_forward_pre_hook(
            lambda mod, inp: lengths.__setitem__(mod, inp[0].shape[2]))
        for m in model.modules() if isinstance(m, LongTemporalConv)
    ]
    with torch.no_grad():
        model.backbone(torch.zeros(1, 1, num_frames, 16, 3))
    for h in hooks:
        h.remove()
    for name, mod in list(model.named_modules()):
        if not isinstance(mod, LongTemporalConv):
            continue
        first, last, before, after = reachable_taps(
            lengths[mod], mod.kernel_size, mod.stride, mod.padding)
        conv = nn.Conv2d(
            mod.in_channels,
            mod.out_channels, (last - first + 1, 1), (mod.stride, 1),
            bias=mod.bias is not None)
        with torch.no_grad():
            conv.weight.copy_(mod.weight[:, :, first:last + 1])
            if mod.bias is not None:
                conv.bias.copy_(mod.bias)
        static = nn.Sequential(nn.ZeroPad2d((0, 0, before, after)), conv)
        parent_name, _, child = name.rpartition('.')
        setattr(model.get_submodule(parent_name), child, static)
    return model


class STEPOnnxWrapper(nn.Module):
    """STEP as a plain two-input function for export.

    ``RecognizerGCN`` takes data samples, which ONNX cannot; this applies
    the backbone to the joints and the head's layers to the pooled features
    and the standardised affective features, as ``STEPHead.forward`` does.

    Args:
        model (nn.Module): A ``RecognizerGCN`` with a ``STEPHead``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        head = model.cls_head
        needed = ('bn', 'fc_hidden', 'relu', 'fc_cls', 'use_affective')
        if not all(hasattr(head, n) for n in needed):
            raise TypeError(f'{type(head).__name__} is not a STEPHead; this '
                            'exporter handles STEP models only')
        self.backbone = model.backbone
        self.head = head

    def forward(self, joints: torch.Tensor,
                affective_feats: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """``(N, 1, T, 16, 3)``, ``(N, F)`` -> logits, probs ``(N, C)``."""
        head = self.head
        x = self.backbone(joints).mean(dim=(1, 3, 4))
        if head.use_affective:
            aff = (affective_feats - head.aff_mean) / head.aff_std
            x = torch.cat([x, aff], dim=1)
        else:  # keep the input in the graph so both inputs always exist
            x = x + 0 * affective_feats.sum(dim=1, keepdim=True)
        x = head.relu(head.fc_hidden(head.bn(x)))
        logits = head.fc_cls(head.dropout(x))
        return logits, logits.softmax(dim=-1)


def prepare_inputs(model: nn.Module, gaits: List[np.ndarray],
                   num_frames: int) -> Tuple[List[dict], np.ndarray,
                                             np.ndarray]:
    """Run gaits through the config's test pipeline at a fixed length.

    Args:
        model (nn.Module): From ``init_gait_model``.
        gaits (list[np.ndarray]): ``(T, 16, 3)`` gaits at the model's fps.
        num_frames (int): The exported clip length.

    Returns:
        tuple: The pipeline outputs (for ``model.test_step``), joints
        ``(N, 1, num_frames, 16, 3)`` and affective features ``(N, F)``.
    """
    from mmengine.registry import DefaultScope

    from step_mm.apis import build_test_pipeline, model_fps
    cfg = model.cfg.copy()
    for t in cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline:
        if t.get('type') == 'GaitToLength':
            t['clip_len'] = num_frames
    pipeline = build_test_pipeline(cfg)
    data = []
    with DefaultScope.overwrite_default_scope('mmaction'):
        for i, g in enumerate(gaits):
            data.append(
                pipeline(
                    dict(
                        keypoint=np.asarray(g, np.float32)[None],
                        total_frames=len(g),
                        fps=model_fps(cfg),
                        frame_dir=f'gait_{i}',
                        start_index=0,
                        modality='Pose')))
    joints = np.stack([d['inputs'].numpy()[0] for d in data])
    if joints.shape[1:] != (1, num_frames, 16, 3):
        raise ValueError(f'the test pipeline gives inputs {joints.shape[1:]}'
                         f', expected (1, {num_frames}, 16, 3); does it end '
                         'with GaitToLength/FormatGCNInput(num_person=1)?')
    aff = np.stack(
        [d['data_samples'].affective_feats.numpy() for d in data])
    return data, joints.astype(np.float32), aff.astype(np.float32)


def export(model: nn.Module,
           output: str,
           num_frames: int = 75,
           opset: int = 17) -> str:
    """Export ``model`` to ``output`` with a dynamic batch axis.

    Returns:
        str: ``output``.
    """
    wrapper = STEPOnnxWrapper(specialize_temporal_convs(model,
                                                        num_frames)).eval()
    joints = torch.randn(2, 1, num_frames, 16, 3)
    aff = torch.randn(2, getattr(model.cls_head, 'num_affective', 0) or 29)
    os.makedirs(osp.dirname(osp.abspath(output)), exist_ok=True)
    batch = {0: 'batch'}
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (joints, aff),
            output,
            input_names=['joints', 'affective_feats'],
            output_names=['logits', 'probs'],
            dynamic_axes=dict(
                joints=batch,
                affective_feats=batch,
                logits=batch,
                probs=batch),
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False)
    return output


def verify(model: nn.Module,
           onnx_file: str,
           num_frames: int = 75,
           gaits: Optional[List[np.ndarray]] = None,
           seed: int = 0) -> Dict[str, float]:
    """Compare ONNX Runtime with PyTorch on gaits of the test pipeline.

    Probabilities are compared with ``model.test_step`` (the path of
    ``tools/test.py`` and ``inference_gait``); logits with
    :class:`STEPOnnxWrapper` on the unmodified model, which catches
    differences that saturated probabilities would hide.

    Args:
        model (nn.Module): The exported model.
        onnx_file (str): The exported file.
        num_frames (int): Exported clip length. Defaults to 75.
        gaits (list[np.ndarray], optional): Gaits ``(T, 16, 3)``; default 7
            generated gaits of 18..75 frames.
        seed (int): For the generated gaits. Defaults to 0.

    Returns:
        dict[str, float]: ``probs`` and ``logits``, the largest absolute
        differences, and ``num_gaits``.
    """
    import onnx
    import onnxruntime as ort
    from mmengine.dataset import pseudo_collate

    onnx.checker.check_model(onnx.load(onnx_file))
    if gaits is None:
        from step_mm.testing import make_fake_gait
        rng = np.random.default_rng(seed)
        gaits = [
            make_fake_gait(int(rng.integers(18, 76)), k % 4, rng) * 100.
            for k in range(7)
        ]
    data, joints, aff = prepare_inputs(model, gaits, num_frames)
    sess = ort.InferenceSession(
        onnx_file, providers=['CPUExecutionProvider'])
    logits, probs = sess.run(['logits', 'probs'],
                             dict(joints=joints, affective_feats=aff))
    ref_probs, ref_logits = [], []
    with torch.no_grad():
        for b in range(0, len(data), 64):
            samples = model.test_step(pseudo_collate(data[b:b + 64]))
            ref_probs += [s.pred_scores.item.numpy() for s in samples]
            ref_logits.append(STEPOnnxWrapper(model)(
                torch.from_numpy(joints[b:b + 64]),
                torch.from_numpy(aff[b:b + 64]))[0].numpy())
    return dict(
        probs=float(np.abs(probs - np.stack(ref_probs)).max()),
        logits=float(np.abs(logits - np.concatenate(ref_logits)).max()),
        num_gaits=len(gaits))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export STEP (backbone + head) to ONNX')
    parser.add_argument('config', help='STEP config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--output', default='step.onnx', help='output .onnx file')
    parser.add_argument(
        '--num-frames',
        type=int,
        default=75,
        help='fixed clip length T of the exported graph (the config\'s '
        'GaitToLength clip_len)')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument(
        '--verify',
        action='store_true',
        help='compare onnxruntime with PyTorch on gaits prepared by the test '
        'pipeline')
    parser.add_argument(
        '--data-root',
        help='with --verify: use the gaits of this E-Gait folder (layout of '
        'docs/egait.md) instead of generated ones')
    parser.add_argument(
        '--tol', type=float, default=1e-4, help='--verify tolerance')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from step_mm.apis import init_gait_model
    model = init_gait_model(args.config, args.checkpoint)
    export(model, args.output, args.num_frames, args.opset)
    print(f'exported {args.output} (opset {args.opset}, inputs joints '
          f'(N, 1, {args.num_frames}, 16, 3) and affective_feats '
          f'(N, {getattr(model.cls_head, "num_affective", 0) or 29}))')
    if args.verify:
        gaits = None
        if args.data_root:
            from step_mm.datasets import EGAIT_CLASSES, load_gait_files
            labels = osp.join(args.data_root, 'labels.h5')
            gaits = [
                g['joints'] for g in load_gait_files(
                    osp.join(args.data_root, 'features.h5'),
                    labels if osp.isfile(labels) else None, EGAIT_CLASSES)
            ]
        diff = verify(model, args.output, args.num_frames, gaits)
        ok = max(diff['probs'], diff['logits']) <= args.tol
        print(f'onnxruntime vs PyTorch on {diff["num_gaits"]} gaits: max abs '
              f'diff {diff["probs"]:.2e} (probabilities), '
              f'{diff["logits"]:.2e} (logits): {"OK" if ok else "FAILED"} '
              f'(tolerance {args.tol:g})')
        return 0 if ok else 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
