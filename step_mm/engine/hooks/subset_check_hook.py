# Copyright (c) step_mm contributors. All rights reserved.
"""Check, before training, that a run's subsets are what they claim."""
import copy
import logging
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmaction.registry import DATASETS, HOOKS
from mmengine.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import BaseLoop

from ..errors import RunConfigError

ROLES = ('train', 'val', 'test')
#: Dataset options that do not decide which gaits two subsets share
#: (``extra_train`` / ``train_fraction`` only add to / thin out ``train``).
_NOT_SPLIT = ('pipeline', 'subset', 'test_mode', 'lazy_init', 'serialize_data',
              'extra_train', 'train_fraction')


@HOOKS.register_module()
class SubsetCheckHook(Hook):
    """Refuse to train when the train, val and test subsets share gaits.

    Before training, the gaits of ``train_dataloader``, ``val_dataloader``
    and ``test_dataloader`` (built from the config if the runner has not
    built it; if that fails, e.g. its data are elsewhere, it is skipped
    with a warning) are compared by data file and key (``frame_dir``);
    generated gaits (``synthetic``) are ignored. Two datasets that declare
    different subsets (``subset``, else their dataloader's role) must not
    share a gait: e.g. ``--cfg-options train_dataloader.dataset.fold=3``
    alone trains on the test gaits of fold 0. The error names the options
    that differ between the two dataloaders. Two datasets of
    ``protocol='all'`` (every gait in every subset, for smoke tests) only
    get a warning. It also warns when a class has no training gait.

    Args:
        allow_overlap (bool): Warn instead of raising. Defaults to False.

    Example:
        >>> default_hooks = dict(subset_check=dict(type='SubsetCheckHook'))
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_overlap: bool = False) -> None:
        self.allow_overlap = allow_overlap

    def before_train(self, runner) -> None:
        """Compare the subsets' gaits; check the training classes.

        Args:
            runner (Runner): The runner.

        Raises:
            RunConfigError: If two subsets share gaits.
        """
        datasets = {role: _dataset_of(runner, role) for role in ROLES}
        datasets = {r: d for r, d in datasets.items() if d is not None}
        gaits = {role: _gaits(ds) for role, ds in datasets.items()}
        gaits = {r: g for r, g in gaits.items() if g is not None}
        overlaps = []
        for i, a in enumerate(ROLES):
            for b in ROLES[i + 1:]:
                if a in gaits and b in gaits:
                    found = self._overlap(runner, a, b, datasets, gaits)
                    if found:
                        overlaps.append(found)
        if overlaps:
            msg = ('; '.join(overlaps) + '. Training, selecting a checkpoint '
                   'and testing must use disjoint gaits: give every '
                   'dataloader the same split options (e.g. --cfg-options '
                   'train_dataloader.dataset.fold=F val_dataloader.dataset.'
                   'fold=F test_dataloader.dataset.fold=F), or set '
                   'default_hooks.subset_check.allow_overlap=True if it is '
                   'intended')
            if not self.allow_overlap:
                raise RunConfigError(msg)
            print_log(f'SubsetCheckHook: {msg}', logger='current',
                      level=logging.WARNING)
        if 'train' in datasets:
            _warn_missing_classes(datasets['train'])

    @staticmethod
    def _overlap(runner, a: str, b: str, datasets: dict,
                 gaits: dict) -> Optional[str]:
        """Describe the gaits that ``a`` and ``b`` share, or None."""
        subset_a = getattr(datasets[a], 'subset', a)
        subset_b = getattr(datasets[b], 'subset', b)
        if subset_a == subset_b:
            return None  # the same subset on purpose (e.g. test = val)
        shared = sorted(set(gaits[a]) & set(gaits[b]))
        if not shared:
            return None
        what = (f'{a}_dataloader.dataset (subset {subset_a!r}, '
                f'{len(gaits[a])} gaits) and {b}_dataloader.dataset (subset '
                f'{subset_b!r}, {len(gaits[b])} gaits) share {len(shared)} '
                f'gaits (e.g. {[key for _, key in shared[:3]]})')
        if getattr(datasets[a], 'protocol', None) == getattr(
                datasets[b], 'protocol', None) == 'all':
            print_log(f"SubsetCheckHook: {what}: protocol='all' puts every "
                      'gait in every subset; their metrics are not held out',
                      logger='current', level=logging.WARNING)
            return None
        return f'{what}: {_option_diff(runner.cfg, a, b)}'


def _dataset_of(runner, role: str):
    """The runner's dataset of ``role``; built from the config if its loop
    is not built yet (the test set while training); None if it has none."""
    loop = getattr(runner, f'_{role}_loop', None)
    if loop is None:
        return None
    if isinstance(loop, BaseLoop):
        return loop.dataloader.dataset
    cfg = runner.cfg.get(f'{role}_dataloader')
    if not cfg:
        return None
    dataset = cfg.get('dataset')
    if not isinstance(dataset, dict):
        return dataset
    try:
        return DATASETS.build(copy.deepcopy(dataset))
    except (OSError, ValueError, KeyError) as e:  # e.g. no data there yet
        print_log(f'SubsetCheckHook: cannot build {role}_dataloader.dataset '
                  f'to compare it with the others ({e}); not checked',
                  logger='current', level=logging.WARNING)
        return None


def _leaves(dataset) -> List:
    """The datasets inside mmengine's dataset wrappers."""
    if isinstance(dataset, ConcatDataset):
        return [leaf for d in dataset.datasets for leaf in _leaves(d)]
    if isinstance(dataset, (RepeatDataset, ClassBalancedDataset)):
        return _leaves(dataset.dataset)
    return [dataset]


def _gaits(dataset) -> Optional[List[Tuple[str, str]]]:
    """``(data file, key)`` of each real gait; None if they have no key."""
    out = []
    for leaf in _leaves(dataset):
        if hasattr(leaf, 'full_init'):
            leaf.full_init()
        source = osp.realpath(str(getattr(leaf, 'ann_file', '') or ''))
        for i in range(len(leaf)):
            info = leaf.get_data_info(i)
            key = info.get('frame_dir', info.get('filename'))
            if key is None:
                return None
            if not info.get('synthetic', False):
                out.append((source, str(key)))
    return out


def _option_diff(cfg, a: str, b: str) -> str:
    """``'a_dataloader.dataset.fold=3 but b_dataloader.dataset.fold=0'``."""
    get = (lambda role: dict((cfg.get(f'{role}_dataloader') or {}).get(
        'dataset') or {}))
    opts_a, opts_b = get(a), get(b)
    parts = []
    for key in sorted(set(opts_a) | set(opts_b)):
        if key in _NOT_SPLIT or opts_a.get(key) == opts_b.get(key):
            continue
        parts.append(f'{a}_dataloader.dataset.{key}={opts_a.get(key)!r} but '
                     f'{b}_dataloader.dataset.{key}={opts_b.get(key)!r}')
    return '; '.join(parts) or 'their split options are the same, so the ' \
        'data files themselves overlap'


def _warn_missing_classes(dataset) -> None:
    """Warn for each class that has no gait in the training set."""
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    if not classes:
        return
    counts: Dict[int, int] = {}
    for leaf in _leaves(dataset):
        for i in range(len(leaf)):
            label = leaf.get_data_info(i).get('label')
            if label is not None:
                counts[int(label)] = counts.get(int(label), 0) + 1
    missing = [f'{name!r} (label {k})' for k, name in enumerate(classes)
               if not counts.get(k)]
    if missing:
        print_log(
            f'SubsetCheckHook: no training gait of class '
            f'{", ".join(missing)} in train_dataloader.dataset: the model '
            'cannot learn it; check class_names, the labels and the split',
            logger='current', level=logging.WARNING)
