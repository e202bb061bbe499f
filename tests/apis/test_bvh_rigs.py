# Copyright (c) step_mm contributors. All rights reserved.
"""BVH rigs of other naming conventions, without a neck, or with position
channels on every joint; ``step-mm predict --joint-map/--up-axis``."""
import json

import numpy as np
import pytest

from step_mm.adapters import BVHError, bvh_to_egait, load_gait_file
from step_mm.cli import main
from step_mm.skeleton import JOINT_NAMES, REFERENCE_POSE

# E-Gait joint -> parent, the hierarchy every rig below has
PARENT = dict(spine='root', neck='spine', head='neck',
              left_shoulder='neck', left_elbow='left_shoulder',
              left_hand='left_elbow', right_shoulder='neck',
              right_elbow='right_shoulder', right_hand='right_elbow',
              left_hip='root', left_knee='left_hip', left_foot='left_knee',
              right_hip='root', right_knee='right_hip',
              right_foot='right_knee')
REST = {n: 100 * REFERENCE_POSE[i].astype(np.float64)
        for i, n in enumerate(JOINT_NAMES)}  # cm
ROOT_HEIGHT = 90.0
UNITY = dict(root='Hips', spine='Spine', neck='Neck', head='Head',
             left_shoulder='UpperArm_L', left_elbow='LowerArm_L',
             left_hand='Hand_L', right_shoulder='UpperArm_R',
             right_elbow='LowerArm_R', right_hand='Hand_R',
             left_hip='UpperLeg_L', left_knee='LowerLeg_L',
             left_foot='Foot_L', right_hip='UpperLeg_R',
             right_knee='LowerLeg_R', right_foot='Foot_R')
CMU = dict(UNITY, left_shoulder='LeftArm', left_elbow='LeftForeArm',
           left_hand='LeftHand', right_shoulder='RightArm',
           right_elbow='RightForeArm', right_hand='RightHand',
           left_hip='LeftUpLeg', left_knee='LeftLeg', left_foot='LeftFoot',
           right_hip='RightUpLeg', right_knee='RightLeg',
           right_foot='RightFoot')
BLENDER = dict(UNITY, left_shoulder='upper_arm.L', left_elbow='forearm.L',
               left_hand='hand.L', right_shoulder='upper_arm.R',
               right_elbow='forearm.R', right_hand='hand.R',
               left_hip='thigh.L', left_knee='shin.L', left_foot='foot.L',
               right_hip='thigh.R', right_knee='shin.R', right_foot='foot.R')


def rig(names=UNITY, neck=True, positions=None, frames=3, z_up=False):
    """BVH text of the reference pose (cm) walking along +Z.

    Args:
        names (dict): E-Gait joint -> BVH joint name.
        neck (bool): Whether the rig has a neck (else the head and the
            shoulders hang from the spine).
        positions (str, optional): ``'offset'``: every joint gets 6
            channels, its position channels holding its OFFSET (as some
            exporters write); ``'zero'``: the same, holding zeros
            (Biovision's displacement).
        z_up (bool): Write the file Z-up (Y-up x -> x, y -> z, z -> -y).
    """
    parent = dict(PARENT)
    if not neck:
        for child in ('head', 'left_shoulder', 'right_shoulder'):
            parent[child] = 'spine'
        del parent['neck']
    children = {}
    for child, par in parent.items():
        children.setdefault(par, []).append(child)

    def conv(v):
        return np.array([v[0], -v[2], v[1]]) if z_up else np.asarray(v)

    def offset(joint):
        if joint == 'root':
            return conv([0., ROOT_HEIGHT, 0.])
        return conv(REST[joint] - REST[parent[joint]])

    order, lines = [], []

    def write(joint, depth):
        pad = '  ' * depth
        kind = 'ROOT' if joint == 'root' else 'JOINT'
        lines.append(f'{pad}{kind} {names[joint]}')
        lines.append(pad + '{')
        lines.append(f'{pad}  OFFSET ' + ' '.join(f'{v:g}'
                                                  for v in offset(joint)))
        pos = joint == 'root' or positions is not None
        lines.append(f'{pad}  CHANNELS {6 if pos else 3} ' +
                     ('Xposition Yposition Zposition ' if pos else '') +
                     'Zrotation Xrotation Yrotation')
        order.append((joint, pos))
        for child in children.get(joint, []):
            write(child, depth + 1)
        if not children.get(joint):
            lines.append(f'{pad}  End Site')
            lines.append(pad + '  {')
            lines.append(f'{pad}    OFFSET 0 -1 0')
            lines.append(pad + '  }')
        lines.append(pad + '}')

    write('root', 0)
    rows = []
    for t in range(frames):
        row = []
        for joint, pos in order:
            if joint == 'root':  # the root walks forward
                row += list(conv([0., 0., 1.5 * t]))
                if positions == 'offset':  # its position, offset included
                    row[-3:] = list(conv([0., ROOT_HEIGHT, 1.5 * t]))
            elif pos:
                row += list(offset(joint) if positions == 'offset' else
                            np.zeros(3))
            row += [0., 0., 0.]
        rows.append(' '.join(f'{v:g}' for v in row))
    return ('HIERARCHY\n' + '\n'.join(lines) + f'\nMOTION\nFrames: {frames}'
            '\nFrame Time: 0.0333333\n' + '\n'.join(rows) + '\n')


def expected(frames=3):
    """The E-Gait joints of :func:`rig` (Y up, cm)."""
    pose = np.stack([REST[n] for n in JOINT_NAMES]) + [0, ROOT_HEIGHT, 0]
    walk = np.zeros((frames, 1, 3))
    walk[:, 0, 2] = 1.5 * np.arange(frames)
    return pose[None] + walk


@pytest.mark.parametrize('names', [UNITY, BLENDER, CMU],
                         ids=['unity', 'blender', 'cmu'])
def test_side_suffix_rigs(names):
    """``UpperArm_L`` / ``upper_arm.L`` rigs map by side and body part
    (and CMU/Mixamo names by the table, as before)."""
    joints, fps = bvh_to_egait(rig(names))
    np.testing.assert_allclose(joints, expected(), atol=1e-4)
    assert abs(fps - 30) < 1e-3


def test_rig_without_neck_uses_the_shoulders_midpoint():
    names = dict(UNITY)
    joints, _ = bvh_to_egait(rig(names, neck=False))
    want = expected()
    want[:, 2] = (want[:, 4] + want[:, 7]) / 2
    np.testing.assert_allclose(joints, want, atol=1e-4)


def test_position_channels_equal_to_offsets_are_not_added_twice():
    """Every joint with position channels holding its OFFSET: the bones
    keep their lengths (adding both doubled every bone)."""
    joints, _ = bvh_to_egait(rig(CMU, positions='offset'))
    np.testing.assert_allclose(joints, expected(), atol=1e-4)
    bones = np.linalg.norm(joints[0, 11] - joints[0, 10])  # left thigh
    np.testing.assert_allclose(
        bones, np.linalg.norm(REST['left_knee'] - REST['left_hip']))
    # position channels holding displacements (Biovision) are still added
    joints, _ = bvh_to_egait(rig(CMU, positions='zero'))
    np.testing.assert_allclose(joints, expected(), atol=1e-4)


def test_cli_joint_map_and_up_axis(tiny_step, tmp_path, capsys):
    cfg, ckpt = tiny_step
    names = dict(UNITY, left_shoulder='ArmUp_Lf', right_shoulder='ArmUp_Rt')
    path = tmp_path / 'odd.bvh'
    path.write_text(rig(names, frames=8, z_up=True))
    args = ['predict', str(path), '--config', cfg, '--checkpoint', ckpt,
            '--json']
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"step-mm: no BVH joint for E-Gait joint "
                          "'left_shoulder'") and '\n' not in err
    assert '--joint-map left_shoulder=<BVH joint name>' in err
    mapped = args + ['--joint-map', 'left_shoulder=ArmUp_Lf',
                     'right_shoulder=ArmUp_Rt', '--up-axis', 'z']
    assert main(mapped) == 0
    out = json.loads(capsys.readouterr().out)
    assert out['num_frames'] == 8 and out['emotion'] in (
        'happy', 'angry', 'sad', 'neutral')
    # what the CLI read: the Y-up joints of the rig
    joints, _ = load_gait_file(
        str(path), joint_map={'left_shoulder': 'ArmUp_Lf',
                              'right_shoulder': 'ArmUp_Rt'}, up_axis='z')
    np.testing.assert_allclose(joints, expected(8), atol=1e-4)
    assert main(args + ['--joint-map', 'left_shoulder']) == 1
    assert 'expected EGAIT=BVH' in capsys.readouterr().err
    with pytest.raises(BVHError, match='is not a joint of the file'):
        bvh_to_egait(rig(names), joint_map={'left_shoulder': 'Clavicle_L'})
