# Copyright (c) step_mm contributors. All rights reserved.
from .checks import check_choice
from .graph_conv import (regroup_graph_conv, residual_branch,
                         skeleton_to_maps)
from .temporal_conv import (LongTemporalConv, long_temporal_conv,
                            reachable_taps)

__all__ = [
    'LongTemporalConv', 'long_temporal_conv', 'reachable_taps',
    'residual_branch', 'skeleton_to_maps', 'regroup_graph_conv',
    'check_choice'
]
