# Copyright (c) step_mm contributors. All rights reserved.
"""MediaPipe's 33 landmarks -> E-Gait 16 joints on hand-made landmarks."""
import numpy as np
import pytest

from step_mm.adapters import (MEDIAPIPE_LANDMARK_NAMES, mediapipe_to_egait)

# A person in MediaPipe's world frame (metres; x to the image right, y down,
# z away from the camera), facing the camera: their left is on +x.
LANDMARKS = {
    'left_hip': (0.10, 0.0, 0.0),
    'right_hip': (-0.10, 0.0, 0.0),
    'left_shoulder': (0.18, -0.44, 0.02),
    'right_shoulder': (-0.18, -0.44, -0.02),
    'left_elbow': (0.21, -0.16, 0.0),
    'right_elbow': (-0.21, -0.16, 0.0),
    'left_wrist': (0.22, 0.10, -0.04),
    'right_wrist': (-0.22, 0.10, -0.04),
    'left_knee': (0.10, 0.42, -0.03),
    'right_knee': (-0.10, 0.42, -0.03),
    'left_ankle': (0.10, 0.85, 0.0),
    'right_ankle': (-0.10, 0.85, 0.0),
    'left_ear': (0.07, -0.60, 0.0),
    'right_ear': (-0.07, -0.60, 0.0),
    'nose': (0.0, -0.62, -0.10),  # towards the camera
}

# The known answer, E-Gait order, Y up, facing +Z, the person's left on +X.
EXPECTED = np.array([
    [0.00, 0.00, 0.00],  # root: mid-hips
    [0.00, 0.22, 0.00],  # spine: mid(root, neck)
    [0.00, 0.44, 0.00],  # neck: mid-shoulders
    [0.00, 0.60, 0.00],  # head: mid-ears
    [0.18, 0.44, -0.02],  # left shoulder
    [0.21, 0.16, 0.00],  # left elbow
    [0.22, -0.10, 0.04],  # left hand (wrist)
    [-0.18, 0.44, 0.02],  # right shoulder
    [-0.21, 0.16, 0.00],
    [-0.22, -0.10, 0.04],
    [0.10, 0.00, 0.00],  # left hip
    [0.10, -0.42, 0.03],
    [0.10, -0.85, 0.00],  # left foot (ankle)
    [-0.10, 0.00, 0.00],
    [-0.10, -0.42, 0.03],
    [-0.10, -0.85, 0.00],
])


def hand_made(rng=None) -> np.ndarray:
    """(33, 4) landmarks + visibility; the unmapped ones are noise."""
    rng = rng or np.random.default_rng(0)
    lm = np.concatenate([rng.normal(size=(33, 3)), np.ones((33, 1))], 1)
    for name, xyz in LANDMARKS.items():
        lm[MEDIAPIPE_LANDMARK_NAMES.index(name), :3] = xyz
    return lm


def test_known_answer_axes_and_sides():
    assert len(MEDIAPIPE_LANDMARK_NAMES) == 33
    out = mediapipe_to_egait(hand_made())
    assert out.shape == (16, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, EXPECTED, atol=1e-6)
    # only the mapped landmarks matter (the others were random)
    np.testing.assert_allclose(
        mediapipe_to_egait(hand_made(np.random.default_rng(1))), EXPECTED,
        atol=1e-6)
    # Y up: head above root above feet; no mirroring: a person facing the
    # camera faces +Z in E-Gait with the left shoulder on +X
    assert out[3, 1] > out[0, 1] > out[12, 1]
    assert out[4, 0] > 0 > out[7, 0]
    lm = hand_made()
    nose = lm[0, :3] - (lm[23, :3] + lm[24, :3]) / 2
    assert -nose[2] > 0  # the nose points to +Z after the conversion
    torso = np.cross(out[4] - out[7], out[2] - out[0])  # left x up
    assert torso[2] > 0  # right-handed: the chest faces +Z


def test_root_centred_sequences_and_transform():
    from mmaction.registry import TRANSFORMS
    seq = np.stack([hand_made() + [0.3 * t, 0.1, 2.0 + t, 0]
                    for t in range(5)])  # the hips move
    out = mediapipe_to_egait(seq)
    assert out.shape == (5, 16, 3)
    np.testing.assert_allclose(out, np.broadcast_to(EXPECTED, out.shape),
                               atol=1e-5)
    assert np.abs(out[:, 0]).max() < 1e-6
    adapter = TRANSFORMS.build(dict(type='MediaPipeToEGait'))
    res = adapter(dict(keypoint=seq[None], frame_dir='walk'))
    assert res['keypoint'].shape == (1, 5, 16, 3)
    np.testing.assert_allclose(res['keypoint'][0], out)
    assert 'MediaPipeToEGait' in repr(adapter)


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match=r'\(\.\.\., 33, 3\+\)'):
        mediapipe_to_egait(np.zeros((10, 17, 3)))
    with pytest.raises(ValueError, match='33'):
        mediapipe_to_egait(np.zeros((10, 33, 2)))
    from mmaction.registry import TRANSFORMS
    with pytest.raises(ValueError, match="'walk'"):
        TRANSFORMS.build(dict(type='MediaPipeToEGait'))(
            dict(keypoint=np.zeros((10, 33, 3)), frame_dir='walk'))
    with pytest.raises(ValueError, match='convention'):
        TRANSFORMS.build(dict(type='MediaPipeToEGait', convention='up'))
