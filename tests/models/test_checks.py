# Copyright (c) step_mm contributors. All rights reserved.
import pytest

from step_mm.models import CTRGCN, GaitReconstructionLoss, PushPullLoss
from step_mm.models.generators.stepgen_modules import STEPGenDecoder
from step_mm.models.utils import check_choice
from step_mm.skeleton import EGAIT_LAYOUT


def test_check_choice_passes_allowed_values():
    for value in ('a', 'b', 'c'):
        assert check_choice('mode', value, ('a', 'b', 'c')) is None
    assert check_choice('k', 2, (1, 2)) is None


@pytest.mark.parametrize('choices,owner,message', [
    (('a', ), None, "mode must be 'a', got 'x'"),
    (('a', 'b'), None, "mode must be 'a' or 'b', got 'x'"),
    (('a', 'b', 'c'), 'Thing', "Thing: mode must be 'a', 'b' or 'c', got 'x'"),
])
def test_check_choice_message(choices, owner, message):
    with pytest.raises(ValueError) as err:
        check_choice('mode', 'x', choices, owner)
    assert str(err.value) == message


def test_check_choice_quotes_any_value():
    with pytest.raises(ValueError, match=r"got None$"):
        check_choice('reduction', None, ('mean', 'sum'))
    with pytest.raises(ValueError, match=r"must be 1 or 2, got 3$"):
        check_choice('k', 3, (1, 2))


def test_models_report_a_bad_choice():
    with pytest.raises(ValueError, match="^data_bn_type must be 'VC', 'MVC' "
                       "or 'none', got 'X'$"):
        CTRGCN(dict(layout=EGAIT_LAYOUT, mode='spatial'), data_bn_type='X')
    with pytest.raises(ValueError, match='^PushPullLoss: realism_reference'):
        PushPullLoss(realism_reference='X')
    with pytest.raises(ValueError, match='^GaitReconstructionLoss: reduction'):
        GaitReconstructionLoss(reduction='sum')
    with pytest.raises(ValueError, match="^STEPGenDecoder: output_mode must "
                       "be 'positions' or 'kinematic'"):
        STEPGenDecoder(output_mode='angles')
