# Copyright (c) step_mm contributors. All rights reserved.
"""The one axis-convention check of the adapters and the MediaPipe
transform."""
import numpy as np
import pytest
from mmaction.registry import TRANSFORMS

from step_mm.adapters import (H36M_CONVENTIONS, check_convention,
                              h36m_to_egait, mediapipe_to_egait, to_y_up)

MESSAGE = ("unknown axis convention 'up'; choose one of "
           "['camera', 'mmpose_demo', 'y_up', 'z_up']")


def test_check_convention_accepts_every_known_one():
    for name in H36M_CONVENTIONS:
        assert check_convention(name) is None


@pytest.mark.parametrize('call', [
    lambda: check_convention('up'),
    lambda: to_y_up(np.zeros((2, 3)), 'up'),
    lambda: h36m_to_egait(np.zeros((4, 17, 3)), 'up'),
    lambda: mediapipe_to_egait(np.zeros((4, 33, 3)), 'up'),
    lambda: TRANSFORMS.build(dict(type='MediaPipeToEGait', convention='up')),
], ids=['check', 'to_y_up', 'h36m', 'mediapipe', 'transform'])
def test_unknown_convention_is_refused_with_one_message(call):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == MESSAGE
