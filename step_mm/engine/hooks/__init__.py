# Copyright (c) step_mm contributors. All rights reserved.
from .affective_stats_hook import FitAffectiveStatsHook
from .seed_hook import EpochSeedHook

__all__ = ['FitAffectiveStatsHook', 'EpochSeedHook']
