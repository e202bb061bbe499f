# Copyright (c) step_mm contributors. All rights reserved.
from .affective_stats_hook import FitAffectiveStatsHook

__all__ = ['FitAffectiveStatsHook']
