# Copyright (c) step_mm contributors. All rights reserved.
from .temporal_conv import (LongTemporalConv, long_temporal_conv,
                            reachable_taps)

__all__ = ['LongTemporalConv', 'long_temporal_conv', 'reachable_taps']
