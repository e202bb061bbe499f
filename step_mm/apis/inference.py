# Copyright (c) step_mm contributors. All rights reserved.
"""Emotion from gaits in two calls: :func:`init_gait_model` and
:func:`inference_gait`, in the style of mmaction2's ``init_recognizer`` /
``inference_skeleton``.

Gaits are preprocessed by the model config's own ``test_pipeline``, built
with mmengine's ``Compose`` from mmaction2's ``TRANSFORMS``, and predicted
through ``model.test_step``: exactly what ``tools/test.py`` does, so both
give the same scores for the same gait. On top of that
:func:`inference_gait` accepts gaits of any frame rate (resampled to the
model's), any length (windows of the model's clip length slide over long
gaits; their probabilities are averaged), jumps in the motion (the gait is
split there) and any orientation and units (the test pipeline's
``NormalizeGait`` removes them).
"""
import hashlib
import os.path as osp
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from step_mm.adapters.validation import (check_real, check_stride,
                                         walk_warnings)
from step_mm.datasets.transforms import resample_frames
from step_mm.skeleton import NUM_JOINTS

__all__ = [
    'GaitResult', 'CheckpointMismatchError', 'init_gait_model',
    'inference_gait', 'build_test_pipeline', 'sliding_windows',
    'find_discontinuities', 'split_at_discontinuities',
    'model_clip_len', 'model_fps', 'model_class_names'
]

#: Fewest frames a gait may have (the affective features need a jerk).
MIN_FRAMES = 4

GaitInput = Union[np.ndarray, torch.Tensor, Sequence[np.ndarray]]


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not fit the model built from the config."""


@dataclass
class GaitResult:
    """The emotion predicted for one gait.

    Attributes:
        label (int): Predicted class index (argmax of ``probs``).
        class_name (str): Name of the predicted class.
        probs (np.ndarray): ``(C,)`` class probabilities, the mean of the
            windows' probabilities.
        class_names (tuple[str]): Names of classes ``0..C-1``.
        window_probs (np.ndarray): ``(W, C)`` probabilities of each window
            (``W = 1`` for a gait no longer than the model's clip).
        window_starts (np.ndarray): ``(W,)`` first input frame of each
            window.
        window_ends (np.ndarray): ``(W,)`` input frame after each window.
        segments (np.ndarray): ``(S, 2)`` ``[start, end)`` input frames of
            the continuous pieces the gait was split into at
            discontinuities (one piece, the whole gait, when none).
        num_frames (int): Frames of the input gait.
        fps (float): Frame rate of the input gait.
        warnings (tuple[str]): Why the input does not look like a walk
            (:func:`step_mm.adapters.validation.walk_warnings`); the
            emotion is unreliable when there are any.
    """
    label: int
    class_name: str
    probs: np.ndarray
    class_names: Tuple[str, ...]
    window_probs: np.ndarray
    window_starts: np.ndarray
    window_ends: np.ndarray
    segments: np.ndarray
    num_frames: int
    fps: float
    warnings: Tuple[str, ...] = ()

    @property
    def scores(self) -> Dict[str, float]:
        """Class name -> probability."""
        return {n: float(p) for n, p in zip(self.class_names, self.probs)}

    @property
    def window_labels(self) -> np.ndarray:
        """``(W,)`` predicted class of each window."""
        return self.window_probs.argmax(-1)

    def to_dict(self) -> dict:
        """A JSON-serialisable summary."""
        return dict(
            label=int(self.label),
            emotion=self.class_name,
            scores=self.scores,
            num_frames=int(self.num_frames),
            fps=float(self.fps),
            segments=self.segments.tolist(),
            warnings=list(self.warnings),
            windows=[
                dict(
                    start=int(s),
                    end=int(e),
                    emotion=self.class_names[int(p.argmax())],
                    scores={
                        n: float(v)
                        for n, v in zip(self.class_names, p)
                    }) for s, e, p in zip(self.window_starts,
                                          self.window_ends, self.window_probs)
            ])


def _to_config(config: Union[str, Path, Config]) -> Config:
    if isinstance(config, (str, Path)):
        if not osp.isfile(str(config)):
            raise FileNotFoundError(f'config file not found: {config}')
        return Config.fromfile(str(config))
    if isinstance(config, Config):
        return config.copy()
    raise TypeError('config must be a path or an mmengine Config, got '
                    f'{type(config).__name__}')


def _state_dict_of(checkpoint: dict) -> Dict[str, torch.Tensor]:
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict):
        raise CheckpointMismatchError('the checkpoint holds no state dict')
    return {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state.items()
    }


def _check_checkpoint(model: nn.Module, checkpoint: dict, path: str,
                      config_name: str) -> None:
    """Raise if the checkpoint's keys or shapes differ from the model's."""
    state = _state_dict_of(checkpoint)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [
        f'{k}: checkpoint {tuple(state[k].shape)} vs model '
        f'{tuple(own[k].shape)}' for k in own
        if k in state and hasattr(state[k], 'shape')
        and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if not (missing or unexpected or mismatched):
        return
    parts = []
    for what, items in (('missing from the checkpoint', missing),
                        ('unexpected in the checkpoint', unexpected),
                        ('with other shapes', mismatched)):
        if items:
            parts.append(f'{len(items)} weights {what} (e.g. '
                         f'{", ".join(items[:3])})')
    raise CheckpointMismatchError(
        f'checkpoint {path} does not fit the model of {config_name}: '
        + '; '.join(parts) + '. It was probably trained with another '
        'architecture or config; pass the config it was trained with. '
        'Nothing was loaded.')


def init_gait_model(config: Union[str, Path, Config],
                    checkpoint: Optional[str] = None,
                    device: Union[str, torch.device] = 'cpu',
                    cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a gait recognizer from a config and load its checkpoint.

    Args:
        config (str | Path | Config): Config file or object, e.g. a STEP
            config of ``configs/step/``.
        checkpoint (str, optional): Checkpoint path or URL. None keeps the
            random initialisation. Defaults to None.
        device (str | torch.device): Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with ``model.cfg`` (the config)
        and ``model.dataset_meta`` (``classes``).

    Raises:
        FileNotFoundError: If the config or the checkpoint file is missing.
        CheckpointReadError: If the checkpoint cannot be read (empty, cut
            short, not a checkpoint, unsafe content); one line naming it.
        CheckpointMismatchError: If the checkpoint's weights do not match the
            model (missing, unexpected or differently shaped weights);
            nothing is loaded partially.
    """
    from mmaction.registry import MODELS

    from step_mm.utils import read_checkpoint
    config_name = config if isinstance(config, (str, Path)) else 'the config'
    cfg = _to_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise KeyError(f'{config_name} has no `model` field')
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmaction')):
        model = MODELS.build(cfg.model)
    classes = None
    if checkpoint is not None:
        ckpt = read_checkpoint(checkpoint)
        _check_checkpoint(model, ckpt, checkpoint, str(config_name))
        # the file is read once: load the weights already in memory
        model.load_state_dict(_state_dict_of(ckpt), strict=True)
        classes = ckpt.get('meta', {}).get('dataset_meta',
                                           {}).get('classes')
    model.cfg = cfg
    model.dataset_meta = dict(
        classes=tuple(classes or model_class_names(cfg, model)))
    model.to(device)
    model.eval()
    return model


def _test_dataset_cfg(cfg: Config) -> dict:
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
    return loader.get('dataset', {}) if loader else {}


def build_test_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline, built from mmaction2's TRANSFORMS.

    Args:
        cfg (Config): A model config (``model.cfg``).

    Returns:
        Compose: The pipeline (``cfg.test_pipeline``, else the test
        dataloader's).
    """
    pipeline = cfg.get('test_pipeline') or _test_dataset_cfg(cfg).get(
        'pipeline')
    if not pipeline:
        raise KeyError('the config has no test_pipeline (nor '
                       'test_dataloader.dataset.pipeline)')
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmaction')):
        return Compose(pipeline)


def model_clip_len(cfg: Config) -> Optional[int]:
    """Clip length of the test pipeline's ``GaitToLength`` (None if absent).
    """
    pipeline = cfg.get('test_pipeline') or _test_dataset_cfg(cfg).get(
        'pipeline') or []
    for t in pipeline:
        if isinstance(t, dict) and t.get('type') == 'GaitToLength':
            return int(t.get('clip_len', 75))
    return None


def model_fps(cfg: Config) -> float:
    """Frame rate the model was trained at (the test data set's ``fps``)."""
    return float(_test_dataset_cfg(cfg).get('fps', 30.0))


def model_class_names(cfg: Config,
                      model: Optional[nn.Module] = None) -> Tuple[str, ...]:
    """Class names: the test data set's ``class_names``, else E-Gait's."""
    from step_mm.datasets import EGAIT_CLASSES
    meta = getattr(model, 'dataset_meta', None) or {}
    if meta.get('classes'):
        return tuple(meta['classes'])
    names = _test_dataset_cfg(cfg).get('class_names')
    if names:
        return tuple(names)
    num = None
    head = cfg.get('model', {}).get('cls_head') or {}
    if head:
        num = head.get('num_classes')
    if num is None or num == len(EGAIT_CLASSES):
        return EGAIT_CLASSES
    return tuple(f'class_{i}' for i in range(num))


def sliding_windows(num_frames: int, window: Optional[int],
                    stride: Optional[int] = None) -> np.ndarray:
    """Start frames of windows covering a sequence.

    A sequence no longer than ``window`` is one window; otherwise windows of
    ``window`` frames start every ``stride`` frames, the last one ending at
    the last frame.

    Args:
        num_frames (int): Sequence length.
        window (int, optional): Window length; None means one window.
        stride (int, optional): Step; defaults to half the window.

    Returns:
        np.ndarray: ``(W,)`` start frames.
    """
    if window is None or num_frames <= window:
        return np.zeros(1, dtype=np.int64)
    stride = max(1, stride or window // 2)
    starts = np.arange(0, num_frames - window + 1, stride)
    if starts[-1] != num_frames - window:
        starts = np.append(starts, num_frames - window)
    return starts.astype(np.int64)


def find_discontinuities(joints: np.ndarray,
                         threshold: float = 5.0) -> np.ndarray:
    """Frames after which a gait jumps: cuts, lost tracks, looped clips.

    A jump between frames ``c`` and ``c + 1`` breaks the smoothness of the
    motion at one or two consecutive second differences. The mean (over
    joints) magnitude of the second difference is compared with a
    reference: the larger of its median over the gait and half the median
    first difference. The second term keeps piecewise-linear motion (a gait
    upsampled by linear interpolation, whose second differences are zero
    between the original frames) from turning every original frame into a
    "jump". Isolated runs of at most two values above ``threshold`` times
    the reference are candidates, placed at the larger of the two
    candidate first differences; a candidate is a discontinuity when that
    first difference is also more than three times its median (a jump moves
    the joints further than a frame of motion; noise that linear
    upsampling turned into alternating second differences does not).
    Longer runs are a change of motion (e.g. standing, then walking), not a
    jump. Scale-free and, run at the
    recording's own frame rate (as :func:`inference_gait` does), rate-free:
    on the 342 E-Gait gaits, at 30 fps, resampled to 10 or 60 fps,
    upsampled x4, or with jitter of up to 3 % of body height, nothing is
    found at the default threshold, while 99 % of cuts between two of them
    are.

    Args:
        joints (np.ndarray): ``(T, V, 3)`` joints.
        threshold (float): Ratio to the reference second difference.
            Defaults to 5.

    Returns:
        np.ndarray: Sorted frame indices ``c``: the gait jumps between
        ``c`` and ``c + 1``.
    """
    x = np.asarray(joints, dtype=np.float64)
    if len(x) < 4:
        return np.zeros(0, dtype=np.int64)
    d1 = np.linalg.norm(np.diff(x, axis=0), axis=-1).mean(-1)  # (T-1,)
    d2 = np.linalg.norm(np.diff(x, 2, axis=0), axis=-1).mean(-1)  # (T-2,)
    ref = max(np.median(d2), 0.5 * np.median(d1))
    if not ref > 0:
        return np.zeros(0, dtype=np.int64)
    flag = np.concatenate([[False], d2 > threshold * ref, [False]])
    edges = np.flatnonzero(np.diff(flag.astype(np.int8)))
    starts, ends = edges[::2], edges[1::2]  # runs [start, end) of d2 idx
    short = (ends - starts) <= 2
    starts, ends = starts[short], ends[short]
    # a run over d2[i .. j] involves jumps d1[i .. j + 1]; take the largest
    cand = starts[:, None] + np.arange(3)[None]  # (R, 3) d1 indices
    valid = cand <= ends[:, None]
    score = np.where(valid, d1[np.minimum(cand, len(d1) - 1)], -1.)
    cuts = np.unique(cand[np.arange(len(cand)), score.argmax(1)])
    # a jump moves the joints further than a frame of motion does
    return cuts[d1[cuts] > 3.0 * np.median(d1)]


def split_at_discontinuities(joints: np.ndarray,
                             threshold: Optional[float] = 5.0,
                             min_frames: int = 4) -> np.ndarray:
    """``[start, end)`` of the continuous pieces of a gait.

    Pieces shorter than ``min_frames`` are dropped; when none is left the
    whole gait is one piece.

    Args:
        joints (np.ndarray): ``(T, V, 3)`` joints.
        threshold (float, optional): See :func:`find_discontinuities`;
            None never splits. Defaults to 5.
        min_frames (int): Shortest piece kept. Defaults to 4.

    Returns:
        np.ndarray: ``(S, 2)`` int64.
    """
    T = len(joints)
    cuts = (find_discontinuities(joints, threshold)
            if threshold is not None else np.zeros(0, np.int64))
    bounds = np.concatenate([[0], cuts + 1, [T]])
    pieces = np.stack([bounds[:-1], bounds[1:]], 1)
    pieces = pieces[pieces[:, 1] - pieces[:, 0] >= min_frames]
    if not len(pieces):
        pieces = np.array([[0, T]])
    return pieces.astype(np.int64)


def _validate(gait: GaitInput) -> Tuple[List[np.ndarray], bool]:
    """Split the input into ``(T, 16, 3)`` float arrays; say if it was one.
    """
    if isinstance(gait, torch.Tensor):
        gait = gait.detach().cpu().numpy()
    if isinstance(gait, np.ndarray):
        if gait.ndim == 4:
            items, single = list(gait), False
        elif gait.ndim in (2, 3):
            items, single = [gait], True
        else:
            raise ValueError(
                f'gait must be (T, 16, 3), (N, T, 16, 3) or a list of '
                f'(T, 16, 3) arrays; got an array of shape {gait.shape}')
    elif isinstance(gait, (list, tuple)):
        if not gait:
            raise ValueError('got an empty list of gaits')
        items, single = list(gait), False
    else:
        raise TypeError('gait must be a numpy array, a tensor or a list of '
                        f'arrays, got {type(gait).__name__}')
    out = []
    for i, g in enumerate(items):
        name = 'gait' if single else f'gait {i}'
        if isinstance(g, torch.Tensor):
            g = g.detach().cpu().numpy()
        g = np.asarray(g)
        check_real(g, name)
        if g.ndim == 2 and g.shape[1] == NUM_JOINTS * 3:
            g = g.reshape(len(g), NUM_JOINTS, 3)
        if g.ndim != 3 or g.shape[1:] != (NUM_JOINTS, 3):
            hint = ''
            if g.ndim == 3 and g.shape[1] == 17:
                hint = (' (Human3.6M-17 joints: convert with '
                        'step_mm.adapters.h36m_to_egait; COCO-17 2D '
                        'keypoints must be lifted to 3D first)')
            raise ValueError(f'{name}: shape {g.shape}, expected (T, 16, 3) '
                             f'E-Gait joints (x, y, z){hint}')
        if len(g) < MIN_FRAMES:
            raise ValueError(f'{name}: {len(g)} frames; at least {MIN_FRAMES} '
                             'are needed (the affective features use a '
                             'jerk, the third difference)')
        if not np.isfinite(g).all():
            t, v = np.argwhere(~np.isfinite(g))[0][:2]
            raise ValueError(f'{name}: NaN/inf joints (first at frame {t}, '
                             f'joint {v}); fill or drop those frames')
        out.append(g.astype(np.float32))
    return out, single


def _fps_list(fps, n: int, default: float) -> List[float]:
    if fps is None:
        return [default] * n
    values = list(fps) if isinstance(fps, (list, tuple, np.ndarray)) \
        else [fps] * n
    if len(values) != n:
        raise ValueError(f'{len(values)} frame rates for {n} gaits')
    for v in values:
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f'fps must be positive, got {v}')
    return [float(v) for v in values]


def _scores_to_probs(scores: torch.Tensor, model: nn.Module) -> np.ndarray:
    """Class probabilities from ``pred_scores`` (softmax unless already)."""
    head = getattr(model, 'cls_head', None)
    scores = scores.float().reshape(scores.shape[0], -1)
    if getattr(head, 'average_clips', None) != 'prob':
        scores = scores.softmax(-1)
    return scores.cpu().numpy()


def inference_gait(model: nn.Module,
                   gait: GaitInput,
                   fps: Union[None, float, Sequence[float]] = None,
                   stride: Optional[int] = None,
                   split_threshold: Optional[float] = 5.0,
                   batch_size: int = 64
                   ) -> Union[GaitResult, List[GaitResult]]:
    """Predict the emotion of one gait or of many.

    Each gait is split where it jumps (:func:`find_discontinuities`, at
    the input's own frame rate: cuts, lost tracks, looped clips; a piece is
    a gait of its own), each piece is resampled to the model's frame rate
    (:func:`step_mm.datasets.transforms.resample_frames`: a cubic spline
    when upsampling, linear when downsampling), and every piece
    longer than the model's
    clip is cut into windows of the clip length (``stride`` apart, the last
    one ending at the piece's last frame). Each window runs through the
    config's test pipeline (normalisation, affective features, length,
    packing) and the model's ``test_step``, like a gait of ``tools/test.py``;
    the gait's probabilities are the mean over its windows (windows with
    identical joints, as in looped clips, are computed once). A gait that
    is neither longer than the clip nor split is therefore predicted
    exactly as ``tools/test.py`` predicts it.

    Args:
        model (nn.Module): From :func:`init_gait_model`.
        gait (np.ndarray | Tensor | list): ``(T, 16, 3)`` (or ``(T, 48)``)
            E-Gait joints, a batch ``(N, T, 16, 3)``, or a list of gaits of
            different lengths. Any units and orientation.
        fps (float | Sequence[float], optional): Frame rate of the input(s).
            Defaults to None: the model's (30 for E-Gait models).
        stride (int, optional): Window step in model frames for long gaits.
            Defaults to half the clip length.
        split_threshold (float, optional): Jump detection threshold of
            :func:`find_discontinuities`; None never splits. Defaults to 5.
        batch_size (int): Windows per forward pass. Defaults to 64.

    Returns:
        GaitResult | list[GaitResult]: One result for a single ``(T, 16, 3)``
        gait, else a list in input order.

    Raises:
        ValueError: On a wrong shape or joint count, non-real values,
            NaN/inf joints, fewer than 4 frames, a non-positive frame rate or
            a stride that is not a positive integer. A gait that does not
            look like a walk is predicted, with ``warnings``.

    Examples:
        >>> model = init_gait_model(config, checkpoint)  # doctest: +SKIP
        >>> res = inference_gait(model, joints, fps=60)  # doctest: +SKIP
        >>> res.class_name, res.scores  # doctest: +SKIP
        ('sad', {'happy': 0.05, 'angry': 0.02, 'sad': 0.81, 'neutral': 0.12})
    """
    check_stride(stride)
    gaits, single = _validate(gait)
    cfg = model.cfg
    target_fps = model_fps(cfg)
    fps_in = _fps_list(fps, len(gaits), target_fps)
    clip_len = model_clip_len(cfg)
    pipeline = build_test_pipeline(cfg)
    class_names = model_class_names(cfg, model)

    # Windows with identical joints (looped clips) are computed once.
    data, unique, owner, which, spans = [], {}, [], [], []
    scope = cfg.get('default_scope', 'mmaction')
    for i, (g, f) in enumerate(zip(gaits, fps_in)):
        model_len = int(round(len(g) * target_fps / f))
        if model_len < MIN_FRAMES:
            raise ValueError(
                f'gait {i}: {len(g)} frames at {f:g} fps are {model_len} '
                f'frames at the model\'s {target_fps:g} fps; at least '
                f'{MIN_FRAMES} are needed')
        # jumps are found at the recording's own rate: interpolated frames
        # would hide them or fake them
        pieces = split_at_discontinuities(g, split_threshold, MIN_FRAMES)
        lengths = np.round((pieces[:, 1] - pieces[:, 0]) * target_fps / f)
        pieces = pieces[lengths >= MIN_FRAMES]  # drop scraps between jumps
        if not len(pieces):
            pieces = np.array([[0, len(g)]], dtype=np.int64)
        scale = f / target_fps  # model frames -> input frames
        windows, clips = [], []
        for p0, p1 in pieces:
            piece = g[p0:p1]
            if abs(f - target_fps) > 1e-6:
                # a cubic spline upsamples low-rate inputs without a kink at
                # every input frame (RandomFrameRateGait trains the same way)
                piece = resample_frames(
                    piece[None], int(round(len(piece) * target_fps / f)),
                    mode='cubic')[0]
            starts = sliding_windows(len(piece), clip_len, stride)
            ends = np.minimum(starts + (clip_len or len(piece)), len(piece))
            for s, e in zip(starts, ends):
                clips.append(piece[s:e])
                windows.append((min(p1, p0 + int(round(s * scale))),
                                min(p1, p0 + int(round(e * scale)))))
        spans.append((np.asarray(windows, dtype=np.int64).reshape(-1, 2),
                      pieces))
        with DefaultScope.overwrite_default_scope(scope):
            for (s, _), clip in zip(windows, clips):
                kp = np.ascontiguousarray(clip[None])
                key = hashlib.sha1(kp.tobytes()).digest()
                if key not in unique:
                    unique[key] = len(data)
                    data.append(
                        pipeline(
                            dict(
                                keypoint=kp,
                                total_frames=len(clip),
                                fps=target_fps,
                                frame_dir=f'gait_{i}_frame_{int(s)}',
                                start_index=0,
                                modality='Pose')))
                which.append(unique[key])
                owner.append(i)

    probs = []
    with torch.no_grad():
        for b in range(0, len(data), batch_size):
            samples = model.test_step(pseudo_collate(data[b:b + batch_size]))
            scores = torch.stack([s.pred_scores.item for s in samples])
            probs.append(_scores_to_probs(scores, model))
    probs = np.concatenate(probs)[which]
    owner = np.asarray(owner)

    results = []
    for i, (g, f) in enumerate(zip(gaits, fps_in)):
        win = probs[owner == i]
        mean = win.mean(0)
        label = int(mean.argmax())
        windows, pieces = spans[i]
        results.append(
            GaitResult(
                label=label,
                class_name=class_names[label],
                probs=mean,
                class_names=class_names,
                window_probs=win,
                window_starts=windows[:, 0],
                window_ends=windows[:, 1],
                segments=pieces,
                num_frames=len(g),
                fps=f,
                warnings=tuple(walk_warnings(g))))
    return results[0] if single else results
