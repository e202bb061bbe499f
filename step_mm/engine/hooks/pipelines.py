# Copyright (c) step_mm contributors. All rights reserved.
"""What the fitting hooks read the training gaits through."""
from typing import Callable, Optional, Sequence, Tuple

from mmaction.registry import TRANSFORMS
from mmengine.dataset import Compose


def eval_pipeline(runner,
                  pipeline: Optional[Sequence[dict]] = None
                  ) -> Tuple[Optional[Callable], str]:
    """The pipeline without augmentation to read training gaits through,
    and a phrase saying where it came from.

    ``pipeline`` if given, else the config's ``val_dataloader`` dataset
    pipeline, else ``test_dataloader``'s (dataset wrappers are looked
    through); with none of them ``None``: the train items as the train
    pipeline gives them.

    Args:
        runner (Runner): Its ``cfg`` is read.
        pipeline (Sequence[dict], optional): An explicit pipeline.

    Returns:
        tuple[callable | None, str]: The composed pipeline and its source.
    """
    if pipeline is not None:
        cfg, source = pipeline, 'the hook\'s pipeline'
    else:
        cfg, source = None, ''
        run_cfg = getattr(runner, 'cfg', None) or {}
        for key in ('val_dataloader', 'test_dataloader'):
            dataset = (run_cfg.get(key) or {}).get('dataset')
            while dataset and 'pipeline' not in dataset and \
                    'dataset' in dataset:  # dataset wrappers
                dataset = dataset['dataset']
            if dataset and dataset.get('pipeline'):
                cfg, source = dataset['pipeline'], f'the {key} pipeline'
                break
    if cfg is None:
        return None, 'the train pipeline (no val/test pipeline found)'
    return Compose([
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in cfg
    ]), source
