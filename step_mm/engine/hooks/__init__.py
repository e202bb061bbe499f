# Copyright (c) step_mm contributors. All rights reserved.
from .affective_stats_hook import FitAffectiveStatsHook
from .checkpoint_hook import SafeCheckpointHook
from .latent_prior_hook import FitLatentPriorHook
from .seed_hook import EpochSeedHook
from .subset_check_hook import SubsetCheckHook

__all__ = [
    'FitAffectiveStatsHook', 'FitLatentPriorHook', 'EpochSeedHook',
    'SafeCheckpointHook', 'SubsetCheckHook'
]
