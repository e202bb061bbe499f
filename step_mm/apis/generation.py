# Copyright (c) step_mm contributors. All rights reserved.
"""Labelled gaits from a trained STEP-Gen model.

:func:`load_generator` builds the model of a config and loads its weights;
:func:`generate_gait_files` samples gaits per class and
:func:`write_generated_gaits` writes them in the official E-Gait layout
(``features<suffix>.h5``, keys ``NNNNN_<Emotion>``, values ``(T, 48)``,
and ``labels<suffix>.h5``), loadable by ``EGaitDataset``. Used by
``tools/generate_gaits.py`` and ``benchmarks/stepgen_augment.py``.
"""
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from step_mm.datasets import EGAIT_CLASSES, write_gait_h5
from step_mm.utils.io import atomic_path

__all__ = [
    'load_generator', 'generate_gait_files', 'write_generated_gaits',
    'output_paths', 'check_outputs'
]


def load_generator(config, checkpoint: Optional[str],
                   device: str = 'cpu') -> Tuple[torch.nn.Module, tuple]:
    """Build STEP-Gen from a config (path or Config) and load weights.

    Args:
        config (str | Config): The config.
        checkpoint (str, optional): Weights; None keeps the initial ones.
        device (str): Defaults to ``'cpu'``.

    Returns:
        tuple: The model in eval mode and the class names of its data.
    """
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'generate'):
        raise TypeError(f'{type(model).__name__} from the config has no '
                        '`generate`; expected a STEPGen config')
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.to(device).eval()
    ds_cfg = cfg.get('train_dataloader', {}).get('dataset', {})
    class_names = tuple(ds_cfg.get('class_names', EGAIT_CLASSES))
    return model, class_names


def generate_gait_files(model: torch.nn.Module,
                        out_dir: str,
                        num_per_class: int,
                        class_names: Sequence[str] = EGAIT_CLASSES,
                        prior: Optional[str] = None,
                        seed: int = 0,
                        batch_size: int = 512,
                        suffix: str = '',
                        num_frames: Optional[int] = None,
                        overwrite: bool = False) -> Tuple[str, str]:
    """Generate ``num_per_class`` gaits per class and write them.

    Keys are ``NNNNN_<Emotion>`` (a running number and the capitalised
    class name), values ``(T, 48)``; both files are written atomically.

    Args:
        model (nn.Module): A STEP-Gen model (``generate(labels, ...)``).
        out_dir (str): Output folder.
        num_per_class (int): Gaits per class.
        class_names (Sequence[str]): Names of labels 0..K-1.
        prior (str, optional): ``'normal'``, ``'reference'`` or
            ``'fitted'``; None (default) is the model's ``default_prior``.
        seed (int): Random seed. Defaults to 0.
        batch_size (int): Gaits per forward. Defaults to 512.
        suffix (str): File name suffix. Defaults to ``''``.
        num_frames (int, optional): Output length; None = the model's.
        overwrite (bool): Replace existing files. Defaults to False.

    Returns:
        tuple[str, str]: Paths of the features and labels files.

    Raises:
        FileExistsError: If an output file exists and not ``overwrite``
            (checked before generating).
    """
    check_outputs(out_dir, suffix, overwrite)
    if num_per_class < 1:
        raise ValueError(f'num_per_class must be >= 1, got {num_per_class}')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    K = len(class_names)
    if getattr(model, 'num_classes', K) != K:
        raise ValueError(f'the model has {model.num_classes} classes but '
                         f'class_names has {K}: {tuple(class_names)}')
    num_frames = num_frames or getattr(model, 'num_frames', 75)
    labels = np.repeat(np.arange(K), num_per_class)
    generator = torch.Generator().manual_seed(seed)
    chunks = []
    for start in range(0, len(labels), batch_size):
        lab = torch.from_numpy(labels[start:start + batch_size])
        gaits = model.generate(
            lab, num_frames=num_frames, prior=prior, generator=generator)
        chunks.append(gaits.float().cpu().numpy())
    return write_generated_gaits(out_dir, np.concatenate(chunks), labels,
                                 class_names, suffix, overwrite)


def output_paths(out_dir: str, suffix: str = '') -> Tuple[str, str]:
    """Paths of the features and labels files written to ``out_dir``."""
    return (osp.join(out_dir, f'features{suffix}.h5'),
            osp.join(out_dir, f'labels{suffix}.h5'))


def check_outputs(out_dir: str, suffix: str = '',
                  overwrite: bool = False) -> None:
    """Refuse to replace existing output files unless ``overwrite``.

    Raises:
        FileExistsError: Naming the first existing file.
    """
    if overwrite:
        return
    for path in output_paths(out_dir, suffix):
        if osp.lexists(path):
            raise FileExistsError(
                f'{path} exists; pass --overwrite to replace it, or choose '
                'another --out or --suffix (nothing was written)')


def write_generated_gaits(out_dir: str,
                          gaits: Sequence[np.ndarray],
                          labels: Sequence[int],
                          class_names: Sequence[str] = EGAIT_CLASSES,
                          suffix: str = '',
                          overwrite: bool = False) -> Tuple[str, str]:
    """Write labelled gaits in the official layout, atomically.

    Keys are ``NNNNN_<Emotion>`` (a running number and the capitalised
    class name), values ``(T_i, V * 3)``. Both files are written to
    temporary names in ``out_dir`` and renamed once both are complete, so
    an interrupted or failed write replaces neither.

    Args:
        out_dir (str): Output folder.
        gaits (Sequence[np.ndarray]): ``(T_i, V, 3)`` gaits (lengths may
            differ).
        labels (Sequence[int]): Their labels.
        class_names (Sequence[str]): Names of labels 0..K-1.
        suffix (str): File name suffix. Defaults to ``''``.
        overwrite (bool): Replace existing files. Defaults to False.

    Returns:
        tuple[str, str]: Paths of the features and labels files.

    Raises:
        FileExistsError: If an output file exists and not ``overwrite``.
    """
    check_outputs(out_dir, suffix, overwrite)
    if not all(np.isfinite(g).all() for g in gaits):
        raise FloatingPointError(
            'the generator produced NaN/inf joints; check the checkpoint')
    width = max(5, len(str(len(labels))))
    keys = [f'{i + 1:0{width}d}_{class_names[k].capitalize()}'
            for i, k in enumerate(labels)]
    feat_path, label_path = output_paths(out_dir, suffix)
    with atomic_path(feat_path) as feat_tmp, \
            atomic_path(label_path) as label_tmp:
        write_gait_h5(feat_tmp, dict(zip(keys, gaits)))
        write_gait_h5(label_tmp,
                      {k: np.int64(lab) for k, lab in zip(keys, labels)})
        check_outputs(out_dir, suffix, overwrite)  # none appeared meanwhile
    return feat_path, label_path
