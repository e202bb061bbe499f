# Copyright (c) step_mm contributors. All rights reserved.
"""E-Gait (and any gait set in its h5 layout) as an mmaction2 dataset."""
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmengine.logging import print_log

from .egait_io import GaitFileError, load_gait_files
from .env_path import resolve_env_path
from .splits import actor_of, make_split

#: Label index -> emotion. The public sources disagree; this order agrees
#: best with the acted emotion named in the keys (see docs/egait.md).
EGAIT_CLASSES = ('happy', 'angry', 'sad', 'neutral')


@DATASETS.register_module()
class EGaitDataset(BaseActionDataset):
    """Gaits in the official E-Gait h5 layout, with deterministic splits.

    Reads ``features.h5`` (key -> ``(T, 48)``), ``labels.h5`` (key -> int)
    and optionally ``affectiveFeatures.h5`` directly, matching keys by name.
    The same layout serves ELMD (``features_ELMD.h5``, T = 240) and
    synthetic sets (``featuresCVAEGCN_*.h5`` with ``labels_file=None``: the
    label is read from the key).

    Each data info carries ``frame_dir`` (the key), ``label``,
    ``total_frames``, ``keypoint`` ``[M=1, T, V=16, C=3]`` float32, ``fps``
    and ``actor``; with ``affective_file`` also ``official_affective``.

    Splits (see :func:`step_mm.datasets.splits.make_split`):
    ``protocol='all'`` uses every gait for every subset; ``'random'`` is a
    stratified k-fold; ``'subject'`` a subject-independent stratified group
    k-fold (actor = key prefix before the first underscore). ``subset``
    selects ``'train'``, ``'val'`` (a stratified part of the training folds,
    for model selection) or ``'test'`` (fold ``fold``).

    Args:
        data_root (str): Folder of the h5 files, or a placeholder
            ``'${ENV_VAR:-default}'`` resolved from the environment when the
            dataset is built (see :func:`resolve_env_path`).
        pipeline (list[dict | callable]): Data transforms.
        features_file (str): Defaults to ``'features.h5'``.
        labels_file (str, optional): Defaults to ``'labels.h5'``; None reads
            labels from keys.
        affective_file (str, optional): Official precomputed features, only
            kept as ``official_affective`` for reference. Defaults to None.
        class_names (Sequence[str]): Names of labels 0..n-1.
            Defaults to ``('happy', 'angry', 'sad', 'neutral')``.
        protocol (str): ``'all'``, ``'random'`` or ``'subject'``.
            Defaults to ``'random'``.
        num_folds (int): Defaults to 10.
        fold (int): Test fold. Defaults to 0.
        seed (int): Split seed. Defaults to 0.
        subset (str): ``'train'``, ``'val'`` or ``'test'``.
            Defaults to ``'train'``.
        val_ratio (float): Fraction of training folds used as ``val``.
            Defaults to 0.1.
        min_frames (int): Shorter gaits are an error (the affective
            features need 4 frames). Defaults to 4.
        fps (float): Frame rate of the files. Defaults to 30.
        skip_invalid (bool): Skip and log gaits with a per-gait problem
            (wrong width, too short, NaN/inf, bad label) instead of raising.
            Defaults to False.
        extra_train (list[dict]): Additional gait files added to the
            ``train`` subset only (e.g. generated gaits), each
            ``dict(data_root=..., features_file=..., labels_file=None)``.
            Never added to ``val`` or ``test``. Defaults to ().
        train_fraction (float): Keep this fraction of the real ``train``
            subset, per class (at least one gait of each class it holds),
            drawn with ``seed``; ``val``, ``test`` and ``extra_train`` are
            unchanged. For learning curves. Defaults to 1.0.
    """

    def __init__(self,
                 data_root: str,
                 pipeline: List[Union[dict, Callable]],
                 features_file: str = 'features.h5',
                 labels_file: Optional[str] = 'labels.h5',
                 affective_file: Optional[str] = None,
                 class_names: Sequence[str] = EGAIT_CLASSES,
                 protocol: str = 'random',
                 num_folds: int = 10,
                 fold: int = 0,
                 seed: int = 0,
                 subset: str = 'train',
                 val_ratio: float = 0.1,
                 min_frames: int = 4,
                 fps: float = 30.0,
                 skip_invalid: bool = False,
                 extra_train: Sequence[dict] = (),
                 train_fraction: float = 1.0,
                 **kwargs) -> None:
        if subset not in ('train', 'val', 'test'):
            raise ValueError(f"subset must be 'train', 'val' or 'test', got "
                             f'{subset!r}')
        if len(class_names) < 2 or len(set(class_names)) != len(class_names):
            raise ValueError(f'class_names must be >= 2 distinct names, got '
                             f'{class_names!r}')
        self.features_file = features_file
        self.labels_file = labels_file
        self.affective_file = affective_file
        self.class_names = tuple(class_names)
        self.protocol = protocol
        self.num_folds = num_folds
        self.fold = fold
        self.seed = seed
        self.subset = subset
        self.val_ratio = val_ratio
        self.min_frames = min_frames
        self.fps = fps
        self.skip_invalid = skip_invalid
        self.extra_train = list(extra_train)
        if not 0.0 < train_fraction <= 1.0:
            raise ValueError(f'train_fraction must be in (0, 1], got '
                             f'{train_fraction}')
        self.train_fraction = float(train_fraction)
        metainfo = dict(classes=self.class_names)
        metainfo.update(kwargs.pop('metainfo', None) or {})
        root = resolve_env_path(data_root)
        if root != data_root:  # the config shows only the placeholder
            print_log(f'EGaitDataset: data_root {data_root!r} is {root!r}',
                      logger='current')
        super().__init__(
            ann_file=features_file,
            pipeline=pipeline,
            data_root=root,
            metainfo=metainfo,
            modality='Pose',
            num_classes=len(self.class_names),
            **kwargs)

    def _path(self, root: str, name: Optional[str]) -> Optional[str]:
        return None if name is None else osp.join(root, name)

    def _load(self, root: str, features_file: str,
              labels_file: Optional[str],
              affective_file: Optional[str] = None) -> List[dict]:
        gaits = load_gait_files(
            self._path(root, features_file),
            self._path(root, labels_file),
            self.class_names,
            affective_path=self._path(root, affective_file),
            min_frames=self.min_frames,
            skip_invalid=self.skip_invalid)
        infos = []
        for g in gaits:
            joints = g.pop('joints')
            info = dict(
                frame_dir=g.pop('key'),
                label=g.pop('label'),
                total_frames=joints.shape[0],
                keypoint=joints[None],
                fps=float(self.fps))
            info['actor'] = actor_of(info['frame_dir'])
            info.update(g)
            infos.append(info)
        return infos

    def load_data_list(self) -> List[dict]:
        """Load the gaits of this fold's subset."""
        root = self.data_root or ''
        infos = self._load(root, self.features_file, self.labels_file,
                           self.affective_file)
        split = make_split([i['frame_dir'] for i in infos],
                           [i['label'] for i in infos], self.protocol,
                           self.num_folds, self.fold, self.seed,
                           self.val_ratio)
        data_list = [infos[i] for i in split[self.subset]]
        if self.subset == 'train' and self.train_fraction < 1.0:
            data_list = self._subsample(data_list)
        if self.subset == 'train':
            for extra in self.extra_train:
                extra = dict(extra)
                extra_root = resolve_env_path(extra.pop('data_root', root))
                extra_infos = self._load(
                    extra_root, extra.pop('features_file'),
                    extra.pop('labels_file', None))
                if extra:
                    raise ValueError(f'extra_train: unknown keys {extra}')
                for info in extra_infos:
                    info['synthetic'] = True
                data_list += extra_infos
                print_log(
                    f'EGaitDataset: added {len(extra_infos)} gaits from '
                    f'{extra_root} to the train subset', logger='current')
        if not data_list:
            raise GaitFileError(
                f'{osp.join(root, self.features_file)}: the {self.subset!r} '
                f'subset of protocol={self.protocol!r} fold={self.fold} is '
                'empty')
        return data_list

    def _subsample(self, data_list: List[dict]) -> List[dict]:
        """A stratified ``train_fraction`` of ``data_list`` (order kept)."""
        rng = np.random.default_rng(self.seed)
        labels = np.array([info['label'] for info in data_list])
        keep = []
        for label in np.unique(labels):
            idx = np.flatnonzero(labels == label)
            n = max(1, int(round(self.train_fraction * len(idx))))
            keep.append(rng.permutation(idx)[:n])
        keep = np.sort(np.concatenate(keep))
        print_log(
            f'EGaitDataset: train_fraction={self.train_fraction} keeps '
            f'{len(keep)} of {len(data_list)} train gaits', logger='current')
        return [data_list[i] for i in keep]

    def summary(self) -> dict:
        """Counts per class, number of gaits and the length range."""
        labels = np.array([self.get_data_info(i)['label']
                           for i in range(len(self))])
        lengths = np.array([self.get_data_info(i)['total_frames']
                            for i in range(len(self))])
        return dict(
            num_gaits=len(self),
            class_counts={
                c: int((labels == k).sum())
                for k, c in enumerate(self.class_names)
            },
            min_frames=int(lengths.min()),
            median_frames=float(np.median(lengths)),
            max_frames=int(lengths.max()))
