# Copyright (c) step_mm contributors. All rights reserved.
"""STEP models trained briefly once per session, for the inference tests.

Models are built from the real STEP config (``configs/step/step_*egait*.py``)
and trained with mmengine's Runner on every gait of a data set
(``protocol='all'``); the checkpoints live in a session temp folder and are
never written into the repository.
"""
import os.path as osp
import time
from glob import glob

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def step_config_path() -> str:
    """The repository's STEP E-Gait config."""
    found = sorted(glob(osp.join(REPO, 'configs', 'step',
                                 'step_*egait*.py')))
    assert found, 'no configs/step/step_*egait*.py'
    return found[0]


def step_config(data_root: str, protocol: str = 'all') -> Config:
    """The STEP config on ``data_root`` with every dataloader's split set."""
    cfg = Config.fromfile(step_config_path())
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            cfg[key].dataset.data_root = data_root
            cfg[key].dataset.protocol = protocol
    return cfg


def train_briefly(data_root: str, tmp_dir: str, epochs: int, lr: float
                  ) -> tuple:
    """Train STEP on every gait of ``data_root``; return (config, ckpt)."""
    from mmengine.runner import Runner
    cfg = step_config(data_root)
    cfg.work_dir = tmp_dir
    cfg.randomness = dict(seed=0)
    cfg.train_dataloader.batch_size = 16
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.param_scheduler = None
    cfg.optim_wrapper = dict(optimizer=dict(type='Adam', lr=lr))
    cfg.default_hooks.checkpoint = dict(
        type='SafeCheckpointHook', interval=epochs, save_best=None)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1000)
    cfg.visualizer = dict(type='ActionVisualizer', vis_backends=[])
    hooks = [h.get('type') for h in cfg.get('custom_hooks', [])]
    assert 'FitAffectiveStatsHook' in hooks, (
        'the STEP config must fit the affective statistics')
    start = time.time()
    Runner.from_cfg(cfg).train()
    print(f'\n[tests/apis] trained STEP {epochs} epochs on {data_root} in '
          f'{time.time() - start:.0f} s')
    cfg_file = osp.join(tmp_dir, 'step_trained.py')
    cfg.dump(cfg_file)
    return cfg_file, osp.join(tmp_dir, f'epoch_{epochs}.pth')


@pytest.fixture(scope='session')
def tiny_step(tiny_egait, tmp_path_factory):
    """(config file, checkpoint) of STEP trained 1 epoch on ``tiny_egait``.
    """
    return train_briefly(tiny_egait, str(tmp_path_factory.mktemp('tiny_step')),
                         epochs=1, lr=1e-3)


@pytest.fixture(scope='session')
def real_step(egait_root, tmp_path_factory):
    """(config file, checkpoint) of STEP trained briefly on all real gaits.
    """
    return train_briefly(egait_root, str(tmp_path_factory.mktemp('real_step')),
                         epochs=2, lr=3e-3)
