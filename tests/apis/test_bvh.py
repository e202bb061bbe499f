# Copyright (c) step_mm contributors. All rights reserved.
import re

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from step_mm.adapters import (BVHError, bvh_positions, bvh_to_egait,
                              euler_to_matrix, load_gait_file, read_bvh)
from step_mm.skeleton import JOINT_NAMES

CHAIN = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Arm
  {
    OFFSET 1 0 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 2 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.0333333
0 0 0 0 0 0 0 0 0
1 2 3 90 0 0 0 0 90
0 0 0 0 0 0 90 0 0
"""


def test_fk_two_joint_chain():
    motion = read_bvh(CHAIN)
    assert motion.names == ['Hips', 'Arm', 'Arm_end']
    assert motion.parents.tolist() == [-1, 0, 1]
    assert motion.num_frames == 3 and abs(motion.fps - 30) < 1e-3
    pos = bvh_positions(motion)
    assert pos.shape == (3, 3, 3)
    # rest pose: offsets add up
    np.testing.assert_allclose(pos[0], [[0, 0, 0], [1, 0, 0], [1, 2, 0]])
    # root moved to (1, 2, 3) and turned 90 deg about Z: (1,0,0) -> (0,1,0);
    # the arm turned 90 deg about Y, which leaves its (0,2,0) end as is,
    # then the root's turn maps it to (-2, 0, 0)
    np.testing.assert_allclose(
        pos[1], [[1, 2, 3], [1, 3, 3], [-1, 3, 3]], atol=1e-9)
    # the arm alone turned 90 deg about Z: its end (0,2,0) -> (-2,0,0)
    np.testing.assert_allclose(
        pos[2], [[0, 0, 0], [1, 0, 0], [-1, 0, 0]], atol=1e-9)


@pytest.mark.parametrize('order', ['zxy', 'xyz', 'yzx', 'zyx'])
def test_euler_order_matches_scipy_intrinsic(order):
    angles = np.array([[30., -50., 70.], [10., 20., -130.]])
    expected = Rotation.from_euler(
        order.upper(), angles, degrees=True).as_matrix()
    np.testing.assert_allclose(euler_to_matrix(angles, order), expected,
                               atol=1e-12)


def _limb(side: str, names, offsets, depth: int) -> str:
    if not names:
        return ''
    pad = '  ' * depth
    inner = _limb(side, names[1:], offsets[1:], depth + 1) or (
        f'{pad}  End Site\n{pad}  {{\n{pad}    OFFSET 0 -1 0\n{pad}  }}\n')
    return (f'{pad}JOINT {side}{names[0]}\n{pad}{{\n{pad}  OFFSET '
            f'{offsets[0]}\n{pad}  CHANNELS 3 Zrotation Xrotation Yrotation\n'
            f'{inner}{pad}}}\n')


def full_bvh(prefix: str = '', frames: int = 4) -> str:
    """A CMU/Mixamo-like skeleton, person facing +Z, left on +X, cm."""
    arm = ('Shoulder', 'Arm', 'ForeArm', 'Hand')
    leg = ('UpLeg', 'Leg', 'Foot')
    s = {'Left': 1, 'Right': -1}
    arms = ''.join(
        _limb(prefix + side, arm, [f'{3 * k} 0 0', f'{15 * k} 0 0',
                                   f'0 -28 0', '0 -25 0'], 3)
        for side, k in s.items())
    legs = ''.join(
        _limb(prefix + side, leg, [f'{10 * k} 0 0', '0 -42 0', '0 -43 0'], 1)
        for side, k in s.items())
    text = f"""HIERARCHY
ROOT {prefix}Hips
{{
  OFFSET 0 90 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT {prefix}Spine
  {{
    OFFSET 0 20 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT {prefix}Neck
    {{
      OFFSET 0 25 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT {prefix}Head
      {{
        OFFSET 0 17 0
        CHANNELS 3 Zrotation Xrotation Yrotation
        End Site
        {{
          OFFSET 0 10 0
        }}
      }}
{arms}    }}
  }}
{legs}}}
MOTION
Frames: {frames}
Frame Time: 0.008333
"""
    n = sum(int(c) for c in re.findall(r'CHANNELS (\d+)', text))
    rows = np.zeros((frames, n))
    rows[:, 2] = np.arange(frames) * 1.5  # walk forward along +Z
    return text + '\n'.join(' '.join(f'{v:g}' for v in r) for r in rows)


def test_bvh_to_egait_names_and_rest_pose(tmp_path):
    path = tmp_path / 'walk.bvh'
    path.write_text(full_bvh())
    joints, fps = bvh_to_egait(str(path))
    assert joints.shape == (4, 16, 3) and joints.dtype == np.float32
    assert abs(fps - 120) < 0.1
    j = dict(zip(JOINT_NAMES, joints[0]))
    np.testing.assert_allclose(j['root'], [0, 90, 0])
    np.testing.assert_allclose(j['spine'], [0, 110, 0])
    np.testing.assert_allclose(j['head'], [0, 152, 0])
    # the shoulder is LeftArm (the clavicle LeftShoulder sits at x=3)
    np.testing.assert_allclose(j['left_shoulder'], [18, 135, 0])
    np.testing.assert_allclose(j['right_hand'], [-18, 82, 0])
    np.testing.assert_allclose(j['left_foot'], [10, 5, 0])
    np.testing.assert_allclose(joints[3, 0], [0, 90, 4.5])
    # the dispatcher gives the same
    joints2, fps2 = load_gait_file(str(path))
    np.testing.assert_array_equal(joints2, joints)
    assert fps2 == fps


def test_bvh_namespace_override_and_z_up():
    text = full_bvh(prefix='mixamorig:')
    joints, _ = bvh_to_egait(text)
    assert joints.shape == (4, 16, 3)
    # override: the clavicle as shoulder, by name and by index
    over, _ = bvh_to_egait(
        text, joint_map={'left_shoulder': 'mixamorig:LeftShoulder', 7:
                         'mixamorig:RightShoulder'})
    np.testing.assert_allclose(over[0, 4], [3, 135, 0])
    np.testing.assert_allclose(over[0, 7], [-3, 135, 0])
    zup, _ = bvh_to_egait(text, up_axis='z')  # y of a Z-up file is depth
    np.testing.assert_allclose(zup[0, 0], [0, 0, -90])


def test_bvh_errors(tmp_path):
    text = full_bvh()
    with pytest.raises(BVHError, match="'left_hip'.*LThighBone.*joint_map"):
        bvh_to_egait(text.replace('LeftUpLeg', 'LThighBone'))
    with pytest.raises(BVHError, match='not an E-Gait joint'):
        bvh_to_egait(text, joint_map={'tail': 'Hips'})
    with pytest.raises(BVHError, match='not a joint of the file'):
        bvh_to_egait(text, joint_map={'head': 'Skull'})
    with pytest.raises(BVHError, match='values, expected'):
        read_bvh(CHAIN + ' 1.0')
    with pytest.raises(BVHError, match='no MOTION'):
        read_bvh(CHAIN.split('MOTION')[0])
    with pytest.raises(BVHError, match='unbalanced'):
        read_bvh(CHAIN.replace('}\nMOTION', 'MOTION', 1))
    with pytest.raises(BVHError, match='unknown channel'):
        read_bvh(CHAIN.replace('Zrotation Xrotation Yrotation\n  JOINT',
                               'Zrotation Xrotation Wrotation\n  JOINT'))
    with pytest.raises(BVHError, match='Frame Time'):
        read_bvh(CHAIN.replace('Frame Time:', 'FrameTime:'))
    with pytest.raises(BVHError, match='file not found'):
        read_bvh(str(tmp_path / 'none.bvh'))
    (tmp_path / 'x.bvh').write_text('not a bvh')
    with pytest.raises(BVHError, match='no HIERARCHY'):
        load_gait_file(str(tmp_path / 'x.bvh'))
