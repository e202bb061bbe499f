# Copyright (c) step_mm contributors. All rights reserved.
import random
from functools import partial
from typing import Optional

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A 32-bit seed that depends only on the run seed, epoch and rank.

    Args:
        seed (int): The run's seed (``runner.seed``).
        epoch (int): The 0-based epoch about to start.
        rank (int): The process rank. Defaults to 0.

    Returns:
        int: A seed in ``[0, 2**32)``.
    """
    entropy = [int(seed) % 2**32, int(epoch), int(rank)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, numpy's global RNG and torch's CPU RNG.

    Args:
        seed (int): A seed in ``[0, 2**32)``.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def seed_worker(worker_id: int, base_seed: int) -> None:
    """``worker_init_fn`` seeding a dataloader worker from the epoch seed.

    Args:
        worker_id (int): The worker's index, given by the DataLoader.
        base_seed (int): The epoch seed of this rank.
    """
    seed_everything(
        int(np.random.SeedSequence([base_seed, worker_id]).generate_state(1)
            [0]))


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Reseed the global RNGs at each training epoch from (seed, epoch, rank).

    The gait augmentations (``MirrorGait``, ``RandomRotateGait``,
    ``RandomScaleGait``, ``RandomSpeedGait``, ``GaitToLength`` crops) draw
    from numpy's global RNG. mmengine seeds it once, when the runner is
    built, and does not store its state in checkpoints, so a run resumed
    with ``--resume`` draws different augmentations from the run it
    continues, and its weights and metrics drift away from an uninterrupted
    run. mmengine's ``DefaultSampler`` is not affected: it shuffles with
    ``seed + epoch``.

    Before every training epoch this hook seeds Python's ``random``, numpy
    and torch (CPU) with :func:`epoch_seed` of ``(runner.seed, epoch,
    rank)``, so an epoch's random draws are the same whether or not the run
    was interrupted before it. With ``num_workers > 0`` and non-persistent
    workers it also gives the train dataloader a ``worker_init_fn`` seeding
    each worker from the same epoch seed and its worker id (mmengine's
    default reuses one seed per worker in every epoch, so every epoch would
    repeat the same augmentations). Persistent workers are seeded once; a
    warning says that resuming is then not exact.

    Resumption is exact at epoch boundaries, which is where the epoch-based
    ``CheckpointHook`` saves.

    Example:
        >>> default_hooks = dict(epoch_seed=dict(type='EpochSeedHook'))
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._warned = False

    def before_train_epoch(self, runner) -> None:
        """Reseed the RNGs (and the dataloader workers) for this epoch.

        Args:
            runner (Runner): The runner of the training process.
        """
        seed: Optional[int] = runner.seed
        if seed is None:  # mmengine always sets one; be safe anyway
            return
        base = epoch_seed(seed, runner.epoch, get_rank())
        seed_everything(base)
        loader = runner.train_dataloader
        if getattr(loader, 'num_workers', 0) > 0:
            if getattr(loader, 'persistent_workers', False):
                if not self._warned:
                    runner.logger.warning(
                        'EpochSeedHook: persistent dataloader workers are '
                        'seeded once, so a resumed run will not draw the '
                        'same augmentations; set persistent_workers=False '
                        'for exactly reproducible resumption')
                    self._warned = True
            else:
                loader.worker_init_fn = partial(seed_worker, base_seed=base)
