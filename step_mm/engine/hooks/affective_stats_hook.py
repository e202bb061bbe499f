# Copyright (c) step_mm contributors. All rights reserved.
from typing import Callable, Optional, Sequence, Tuple

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dataset import RepeatDataset
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..errors import RunConfigError
from .pipelines import eval_pipeline


@HOOKS.register_module()
class FitAffectiveStatsHook(Hook):
    """Fit the head's affective-feature standardisation on the train set.

    Before training, if the model's ``cls_head`` has ``set_affective_stats``
    and its ``aff_fitted`` buffer is False (the model was neither resumed nor
    loaded from a fitted checkpoint), every gait of the training dataset is
    loaded once, passed through the *evaluation* pipeline (no augmentation:
    the features are standardised as the model sees them at val/test
    time), and the mean and standard deviation of
    ``item['data_samples'].affective_feats`` are computed in float64 and set
    on the head. The statistics then live in the head's buffers, so they
    come only from the training subset and are saved in every checkpoint.

    The evaluation pipeline is ``pipeline`` if given, else the config's
    ``val_dataloader`` dataset pipeline, else ``test_dataloader``'s; with
    none of them the training items are used as the train pipeline gives
    them (and the log says so). A ``RepeatDataset`` is unwrapped so each
    gait is read once. Every rank reads the whole dataset, so all ranks get
    identical statistics.

    Args:
        pipeline (Sequence[dict], optional): Transforms to compute the
            features with. Defaults to None (the val/test pipeline).

    Example:
        >>> custom_hooks = [dict(type='FitAffectiveStatsHook')]
    """

    priority = 'NORMAL'

    def __init__(self, pipeline: Optional[Sequence[dict]] = None):
        self.pipeline = pipeline

    def _eval_pipeline(self, runner) -> Tuple[Optional[Callable], str]:
        """The pipeline without augmentation and where it came from."""
        return eval_pipeline(runner, self.pipeline)

    def before_train(self, runner) -> None:
        """Fit the statistics unless the head has them already.

        Args:
            runner (Runner): The runner of the training process.
        """
        model = runner.model
        if is_model_wrapper(model) or hasattr(model, 'module'):
            model = model.module
        head = getattr(model, 'cls_head', None)
        name = type(head).__name__
        if not callable(getattr(head, 'set_affective_stats', None)):
            runner.logger.info(f'FitAffectiveStatsHook: the head ({name}) '
                               'has no set_affective_stats(); nothing to fit')
            return
        if not getattr(head, 'use_affective', True):
            runner.logger.info(f'FitAffectiveStatsHook: {name} does not use '
                               'affective features; nothing to fit')
            return
        if bool(head.aff_fitted):
            runner.logger.info(
                f'FitAffectiveStatsHook: {name} already holds affective '
                'statistics (resumed or loaded); keeping them')
            return

        dataset = runner.train_dataloader.dataset
        # the head trains on what the train pipeline gives: check it too
        if len(dataset) and 'affective_feats' not in dataset[0].get(
                'data_samples', {}):
            raise RunConfigError(
                'FitAffectiveStatsHook: training item 0 has no '
                '`affective_feats`; end the train pipeline with '
                'GaitAffectiveFeatures and PackGaitInputs(algorithm_keys='
                "('affective_feats', ))")
        pipeline, source = self._eval_pipeline(runner)
        mean, std, num = self.fit(dataset, pipeline)
        head.set_affective_stats(mean, std)
        runner.logger.info(
            f'FitAffectiveStatsHook: fitted the standardisation of '
            f'{mean.size} affective features on {num} training samples '
            f'through {source} '
            f'(mean in [{mean.min():.4g}, {mean.max():.4g}], std in '
            f'[{std.min():.4g}, {std.max():.4g}]) and set it on {name}')

    @staticmethod
    def fit(dataset,
            pipeline: Optional[Callable] = None
            ) -> Tuple[np.ndarray, np.ndarray, int]:
        """Mean and standard deviation of the affective features.

        Args:
            dataset (Dataset): A dataset whose items are dicts with
                ``data_samples`` carrying ``affective_feats``.
            pipeline (callable, optional): Applied to each
                ``dataset.get_data_info(i)`` instead of the dataset's own
                pipeline (``dataset[i]``). Defaults to None.

        Returns:
            tuple[ndarray, ndarray, int]: Float32 mean and (population)
            standard deviation, and the number of items read.
        """
        while isinstance(dataset, RepeatDataset):
            dataset = dataset.dataset
        if len(dataset) == 0:
            raise ValueError('FitAffectiveStatsHook: the training dataset is '
                             'empty')
        feats = []
        for i in range(len(dataset)):
            item = dataset[i] if pipeline is None else pipeline(
                dataset.get_data_info(i))
            sample = item['data_samples']
            if 'affective_feats' not in sample:
                raise RunConfigError(
                    f'FitAffectiveStatsHook: training item {i} has no '
                    '`affective_feats`; end the train pipeline with '
                    "GaitAffectiveFeatures and PackGaitInputs(algorithm_keys="
                    "('affective_feats', ))")
            feat = sample.affective_feats
            if isinstance(feat, torch.Tensor):
                feat = feat.detach().cpu().numpy()
            feats.append(np.asarray(feat, dtype=np.float64).reshape(-1))
        feats = np.stack(feats)
        if not np.isfinite(feats).all():
            raise ValueError('FitAffectiveStatsHook: affective features of '
                             'the training set contain NaN or inf')
        mean = feats.mean(axis=0).astype(np.float32)
        std = feats.std(axis=0).astype(np.float32)
        return mean, std, len(feats)
