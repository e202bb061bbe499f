# Copyright (c) step_mm contributors. All rights reserved.
from .dumps import load_dump  # noqa: F401
from .metrics import *  # noqa: F401,F403
from .statistics import mean_std, paired_values, paired_wilcoxon  # noqa: F401
