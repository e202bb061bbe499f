# Copyright (c) step_mm contributors. All rights reserved.
from typing import Optional, Sequence

import torch
from mmaction.registry import HOOKS
from mmengine.dataset import RepeatDataset
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from .pipelines import eval_pipeline


@HOOKS.register_module()
class FitLatentPriorHook(Hook):
    """Fit STEP-Gen's ``'fitted'`` latent prior on the training gaits.

    Every ``interval`` training epochs and after the last one (before the
    checkpoint of that epoch is written and before validation, so both see
    it), every gait of the training dataset is read once through the
    *evaluation* pipeline (no augmentation; the hook's ``pipeline``, else the
    val/test dataloader's), and ``model.fit_prior`` fits one Gaussian per
    emotion to their posterior means. The prior then lives in the model's
    buffers and every later checkpoint. A ``RepeatDataset`` is unwrapped.
    Every rank reads the whole dataset, so all ranks fit the same prior.

    Args:
        interval (int): Fit every ``interval`` epochs (and after the last).
            Defaults to 1.
        pipeline (Sequence[dict], optional): Transforms to read the gaits
            with. Defaults to None (the val/test pipeline).
        shrinkage (float): Covariance shrinkage towards its diagonal
            (``STEPGen.fit_prior``). Defaults to 0.1.

    Example:
        >>> custom_hooks = [dict(type='FitLatentPriorHook', interval=25)]
    """

    # before SafeCheckpointHook (VERY_LOW) in after_train_epoch
    priority = 'NORMAL'

    def __init__(self,
                 interval: int = 1,
                 pipeline: Optional[Sequence[dict]] = None,
                 shrinkage: float = 0.1) -> None:
        if int(interval) < 1:
            raise ValueError(
                f'FitLatentPriorHook: interval must be >= 1, got {interval}')
        self.interval = int(interval)
        self.pipeline = pipeline
        self.shrinkage = shrinkage

    def after_train_epoch(self, runner) -> None:
        """Fit on the epochs the interval names and after the last."""
        if self.every_n_epochs(runner, self.interval) or \
                self.is_last_train_epoch(runner):
            self.fit(runner)

    def fit(self, runner) -> torch.Tensor:
        """Read the training gaits, fit the prior and log it.

        Returns:
            torch.Tensor: Gaits per class used.
        """
        model = runner.model
        if is_model_wrapper(model) or hasattr(model, 'module'):
            model = model.module
        if not callable(getattr(model, 'fit_prior', None)):
            raise TypeError(
                'FitLatentPriorHook: the model '
                f'({type(model).__name__}) has no fit_prior(); use it with '
                'STEPGen')
        dataset = runner.train_dataloader.dataset
        while isinstance(dataset, RepeatDataset):
            dataset = dataset.dataset
        if len(dataset) == 0:
            raise ValueError('FitLatentPriorHook: the training dataset is '
                             'empty')
        pipeline, source = eval_pipeline(runner, self.pipeline)
        inputs, labels = [], []
        for i in range(len(dataset)):
            item = dataset[i] if pipeline is None else pipeline(
                dataset.get_data_info(i))
            inputs.append(torch.as_tensor(item['inputs']))
            labels.append(
                int(item['data_samples'].gt_labels.item.reshape(-1)[0]))
        counts = model.fit_prior(
            torch.stack(inputs), labels, shrinkage=self.shrinkage)
        runner.logger.info(
            f'FitLatentPriorHook: fitted the latent prior of '
            f'{type(model).__name__} on {len(labels)} training gaits '
            f'through {source} (per class {counts.tolist()})')
        return counts
