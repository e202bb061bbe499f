# Copyright (c) step_mm contributors. All rights reserved.
from ._utils import make_fake_gait, write_fake_egait
from .scripts import load_script

__all__ = ['make_fake_gait', 'write_fake_egait', 'load_script']
