# Copyright (c) step_mm contributors. All rights reserved.
"""The transforms' bases (repr from arguments, probability gate) and the
bone-vector helper shared by ``GaitToBone`` and ``GaitMultiInput``."""
import numpy as np
import pytest
from mmaction.registry import TRANSFORMS

from step_mm.datasets import transforms as T
from step_mm.datasets.transforms import (BaseGaitTransform, GaitToBone,
                                         RandomGaitTransform, gait_name,
                                         joints_to_bones)
from step_mm.skeleton import EGAIT_BONE_PAIRS


class _Shift(BaseGaitTransform):
    repr_args = ('offset', 'mode', 'window', 'none')

    def __init__(self, offset=1., mode='add', window=(2, 3)):
        self.offset, self.mode, self.window, self.none = (offset, mode,
                                                          window, None)

    def transform(self, results):
        return results


class _Count(RandomGaitTransform):
    repr_args = ('prob', )

    def __init__(self, prob=0.5):
        super().__init__(prob)
        self.calls = 0

    def apply(self, results):
        self.calls += 1
        results['drawn'] = np.random.rand()
        return results


def test_repr_lists_the_named_arguments_in_order():
    assert repr(_Shift()) == ("_Shift(offset=1.0, mode='add', window=(2, 3), "
                              'none=None)')
    assert repr(_Shift(2, "it's")) == ('_Shift(offset=2, mode="it\'s", '
                                       'window=(2, 3), none=None)')

    class _Empty(BaseGaitTransform):

        def transform(self, results):
            return results

    assert repr(_Empty()) == '_Empty()'


# the exact reprs the configs' logs have always shown
@pytest.mark.parametrize('cfg,expected', [
    (dict(type='GaitToLength', clip_len=48, test_mode=True),
     "GaitToLength(clip_len=48, pad_mode='loop', long_mode='uniform', "
     'test_mode=True)'),
    (dict(type='MirrorGait'), 'MirrorGait(prob=0.5)'),
    (dict(type='RandomRotateGait', max_angle=10.),
     'RandomRotateGait(max_angle=10.0, prob=1.0)'),
    (dict(type='RandomFrameRateGait', upsample='cubic'),
     'RandomFrameRateGait(fps_range=(8.0, 30.0), prob=0.5, min_frames=4, '
     "upsample='cubic')"),
    (dict(type='RandomDropFrames'),
     'RandomDropFrames(max_fraction=0.1, prob=0.5, min_frames=4)'),
    (dict(type='SmoothGait', noise_ref=0.005),
     'SmoothGait(window_s=0.3, polyorder=2, noise_ref=0.005, '
     'max_window_s=1.5)'),
    (dict(type='GaitAffectiveFeatures'),
     'GaitAffectiveFeatures(fps=None, with_motion_stats=False)'),
    (dict(type='GaitMultiInput', streams=('joint', 'motion')),
     "GaitMultiInput(streams=('joint', 'motion'))"),
    (dict(type='MediaPipeToEGait'), "MediaPipeToEGait(convention='camera')"),
])
def test_reprs_of_the_registered_transforms(cfg, expected):
    assert repr(TRANSFORMS.build(cfg)) == expected


def test_every_step_mm_transform_has_its_arguments_in_repr():
    for name in T.__all__:
        cls = getattr(T, name)
        if (isinstance(cls, type) and issubclass(cls, BaseGaitTransform)
                and cls not in (BaseGaitTransform, RandomGaitTransform)):
            assert cls.repr_args, name
            t = cls()
            assert repr(t).startswith(f'{name}(') and 'object at' not in repr(
                t)
            if isinstance(t, RandomGaitTransform):
                assert 'prob' in t.repr_args, name


def test_random_gate_draws_once_and_applies_below_prob():
    t = _Count(prob=0.5)
    for seed in range(20):
        np.random.seed(seed)
        gate = np.random.rand()
        after = np.random.rand()
        np.random.seed(seed)
        out = t({})
        if gate < 0.5:
            # apply() saw the state right after the one gate draw
            assert out['drawn'] == after
        else:
            assert 'drawn' not in out
            # nothing more than the gate was drawn
            assert np.random.rand() == after
    assert 0 < t.calls < 20
    never, always = _Count(prob=0.), _Count(prob=1.)
    for _ in range(10):
        never({}), always({})
    assert (never.calls, always.calls) == (0, 10)


def test_random_transform_needs_apply():

    class _NoApply(RandomGaitTransform):
        pass

    with pytest.raises(TypeError):
        _NoApply(0.5)


def test_gait_name():
    assert gait_name(dict(frame_dir='a/b')) == "'a/b'"
    assert gait_name({}) == "'<gait>'"


def test_joints_to_bones():
    rng = np.random.default_rng(0)
    kp = rng.standard_normal((2, 5, 16, 3)).astype(np.float32)
    bones = joints_to_bones(kp, EGAIT_BONE_PAIRS)
    assert bones.shape == kp.shape and bones.dtype == np.float32
    for child, parent in EGAIT_BONE_PAIRS:
        np.testing.assert_array_equal(bones[..., child, :],
                                      kp[..., child, :] - kp[..., parent, :])
    np.testing.assert_array_equal(bones[..., 0, :], 0)  # root (0, 0)
    # joints that are nobody's child stay zero
    partial = joints_to_bones(kp, [(2, 1)])
    np.testing.assert_array_equal(partial[..., 2, :],
                                  kp[..., 2, :] - kp[..., 1, :])
    assert not np.delete(partial, 2, axis=2).any()
    out = GaitToBone()(dict(keypoint=kp.copy()))['keypoint']
    np.testing.assert_array_equal(out, bones)
    multi = TRANSFORMS.build(
        dict(type='GaitMultiInput', streams=('joint', 'bone')))
    np.testing.assert_array_equal(
        multi(dict(keypoint=kp.copy()))['keypoint'][..., 3:], bones)
