# Copyright (c) step_mm contributors. All rights reserved.
from ._utils import make_fake_gait, write_fake_egait

__all__ = ['make_fake_gait', 'write_fake_egait']
