# Copyright (c) step_mm contributors. All rights reserved.
"""A small BVH (Biovision hierarchy) reader with forward kinematics.

:func:`read_bvh` parses the ``HIERARCHY`` (joints, offsets, channels, end
sites) and ``MOTION`` (frame count, frame time, channel values) sections;
:func:`bvh_positions` runs forward kinematics, vectorised over frames;
:func:`bvh_to_egait` picks the 16 E-Gait joints by name.

Conventions (the Biovision ones): rotation channels are Euler angles in
degrees, composed in the order they are listed, so ``Zrotation Xrotation
Yrotation`` means ``R = Rz @ Rx @ Ry`` acting on column vectors; a joint's
position is its parent's position plus the parent's global rotation applied
to the joint's ``OFFSET`` (plus its own position channels, usually only on
the root). End sites become extra joints named ``<parent>_end``.

E-Gait joint names are matched case-insensitively after dropping a
namespace (``mixamorig:Hips`` -> ``Hips``) and every character that is not
a letter or digit; the first candidate of :data:`BVH_NAME_TABLE` present in
the file wins. The table covers the CMU, Mixamo and most mocap rigs:

==================  =====================================================
E-Gait joint        BVH names tried, in order
==================  =====================================================
root                Hips, Hip, Pelvis, Root
spine               Spine, Spine1, Chest, Spine2, LowerBack, Torso
neck                Neck, Neck1, UpperChest, Thorax
head                Head, Head_end (the head's end site)
left_shoulder       LeftArm, LeftUpperArm, LeftUpArm, LShoulder,
                    LeftShoulder (in CMU/Mixamo rigs ``LeftShoulder`` is
                    the clavicle, so the upper-arm joint comes first)
left_elbow          LeftForeArm, LeftLowerArm, LeftElbow, LForeArm, LElbow
left_hand           LeftHand, LeftWrist, LHand, LWrist
left_hip            LeftUpLeg, LeftUpperLeg, LeftThigh, LeftHip, LThigh,
                    LHip
left_knee           LeftLeg, LeftLowerLeg, LeftKnee, LeftShin, LShin, LKnee
left_foot           LeftFoot, LeftAnkle, LFoot, LAnkle
right_*             the same with Right / R
==================  =====================================================

Limb joints the table does not name are found by side and body part: a
side written as a prefix or suffix (``Left``/``Right`` or ``L``/``R`` with a
separator: ``UpperArm_L``, ``L_UpperArm``, ``upper_arm.L``, ``LeftArm``,
``LUpperArm``) and a part among :data:`BVH_LIMB_PARTS` (``UpperArm`` /
``Arm`` / ``Shoulder`` for the shoulder, ``LowerArm`` / ``ForeArm`` /
``Elbow``, ``Hand`` / ``Wrist``, ``UpperLeg`` / ``UpLeg`` / ``Thigh`` /
``Hip``, ``LowerLeg`` / ``Leg`` / ``Shin`` / ``Calf`` / ``Knee``, ``Foot`` /
``Ankle``). A rig without a neck joint gets the midpoint of its shoulders.

Any rig is handled by ``joint_map``, which overrides the table for some
joints, e.g. ``joint_map={'left_shoulder': 'L_UpperArm'}`` (keys are E-Gait
joint names from :data:`step_mm.skeleton.JOINT_NAMES` or indices; CLI:
``--joint-map left_shoulder=L_UpperArm``).
BVH files are usually Y-up; ``up_axis='z'`` converts Z-up files.

Position channels: Biovision adds a joint's position channels to its
``OFFSET``. Some exporters give every joint position channels that hold its
whole local translation (equal to the ``OFFSET``); adding both would double
every bone. :func:`bvh_positions` detects such files (``'auto'``) and then
uses the channels in place of the offsets.
"""
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from step_mm.skeleton import JOINT_NAMES
from .h36m import to_y_up

__all__ = [
    'BVHError', 'BVHMotion', 'BVH_NAME_TABLE', 'BVH_LIMB_PARTS', 'read_bvh',
    'bvh_positions', 'bvh_to_egait', 'euler_to_matrix', 'parse_joint_map',
    'position_channels_replace_offsets'
]


class BVHError(ValueError):
    """A BVH file is malformed or lacks a joint E-Gait needs."""


def _side(names: Tuple[str, ...], side: str) -> Tuple[str, ...]:
    long_side = 'left' if side == 'l' else 'right'
    out = []
    for n in names:
        if n.startswith('left'):
            out.append(long_side + n[4:])
        elif n.startswith('l'):
            out.append(side + n[1:])
    return tuple(out)


_ARM = dict(
    shoulder=('leftarm', 'leftupperarm', 'leftuparm', 'lshoulder',
              'leftshoulder'),
    elbow=('leftforearm', 'leftlowerarm', 'leftelbow', 'lforearm', 'lelbow'),
    hand=('lefthand', 'leftwrist', 'lhand', 'lwrist'),
    hip=('leftupleg', 'leftupperleg', 'leftthigh', 'lefthip', 'lthigh',
         'lhip'),
    knee=('leftleg', 'leftlowerleg', 'leftknee', 'leftshin', 'lshin',
          'lknee'),
    foot=('leftfoot', 'leftankle', 'lfoot', 'lankle'))

#: E-Gait joint name -> normalised BVH joint names tried in order.
BVH_NAME_TABLE: Dict[str, Tuple[str, ...]] = dict(
    root=('hips', 'hip', 'pelvis', 'root'),
    spine=('spine', 'spine1', 'chest', 'spine2', 'lowerback', 'torso'),
    neck=('neck', 'neck1', 'upperchest', 'thorax'),
    head=('head', 'headend'),
    **{
        f'{long_side}_{part}': _side(names, side)
        for side, long_side in (('l', 'left'), ('r', 'right'))
        for part, names in _ARM.items()
    })

#: E-Gait limb part -> normalised BVH part names (after the side is taken
#: off) tried in order, for rigs the table does not name.
BVH_LIMB_PARTS: Dict[str, Tuple[str, ...]] = dict(
    shoulder=('upperarm', 'uparm', 'arm', 'humerus', 'shoulder'),
    elbow=('lowerarm', 'forearm', 'elbow', 'radius'),
    hand=('hand', 'wrist'),
    hip=('upperleg', 'upleg', 'thigh', 'femur', 'hip'),
    knee=('lowerleg', 'leg', 'shin', 'calf', 'knee', 'tibia'),
    foot=('foot', 'ankle'))

_SIDE_WORDS = (re.compile(r'^(left|right)[\W_]*(.+)$'),
               re.compile(r'^(.+?)[\W_]*(left|right)$'),
               re.compile(r'^([lr])[\W_]+(.+)$'),
               re.compile(r'^(.+?)[\W_]+([lr])$'))
_SIDE_CAMEL = re.compile(r'^([LR])(?=[A-Z][a-z])(.+)$')  # LUpperArm

_AXES = {'x': 0, 'y': 1, 'z': 2}


def _norm_name(name: str) -> str:
    """Normalise a joint name for matching: namespace, case, punctuation."""
    return re.sub(r'[^a-z0-9]', '', name.split(':')[-1].lower())


def _side_and_part(name: str) -> Tuple[Optional[str], str]:
    """``'UpperArm_L'`` -> ``('left', 'upperarm')``; no side -> None."""
    bare = name.split(':')[-1]
    found = _SIDE_CAMEL.match(bare)
    if found:
        side, part = found.groups()
    else:
        for pattern in _SIDE_WORDS:
            found = pattern.match(bare.lower())
            if found:
                side, part = found.groups()
                if side not in ('left', 'right', 'l', 'r'):
                    part, side = side, part
                break
        else:
            return None, _norm_name(bare)
    side = 'left' if side.lower().startswith('l') else 'right'
    return side, _norm_name(part)


@dataclass
class BVHMotion:
    """The content of a BVH file.

    Attributes:
        names (list[str]): Joint names, parents before children; end sites
            are named ``<parent>_end``.
        parents (np.ndarray): ``(J,)`` parent index, -1 for the root.
        offsets (np.ndarray): ``(J, 3)`` offsets from the parent.
        channels (list[list[str]]): Channel names per joint (empty for end
            sites), e.g. ``['Xposition', ..., 'Zrotation', ...]``.
        motion (np.ndarray): ``(F, C)`` channel values per frame.
        frame_time (float): Seconds per frame.
    """
    names: List[str]
    parents: np.ndarray
    offsets: np.ndarray
    channels: List[List[str]]
    motion: np.ndarray
    frame_time: float
    channel_start: List[int] = field(default_factory=list)

    @property
    def fps(self) -> float:
        """Frames per second, ``1 / frame_time``."""
        return 1.0 / self.frame_time

    @property
    def num_frames(self) -> int:
        """Number of frames."""
        return self.motion.shape[0]


def _parse_hierarchy(tokens: List[str], src: str
                     ) -> Tuple[List[str], List[int], List[List[float]],
                                List[List[str]], int]:
    """Parse the tokens after ``HIERARCHY`` up to ``MOTION``."""
    names, parents, offsets, channels = [], [], [], []
    stack: List[int] = []
    i = 0

    def need(n: int) -> None:
        if i + n > len(tokens):
            raise BVHError(f'{src}: HIERARCHY ends unexpectedly')

    while i < len(tokens):
        tok = tokens[i]
        up = tok.upper()
        if up == 'MOTION':
            break
        if up in ('ROOT', 'JOINT'):
            need(2)
            if up == 'ROOT' and stack:
                raise BVHError(f'{src}: ROOT inside another joint')
            names.append(tokens[i + 1])
            parents.append(stack[-1] if stack else -1)
            offsets.append([0., 0., 0.])
            channels.append([])
            i += 2
        elif up == 'END':
            need(2)
            if not stack:
                raise BVHError(f'{src}: End Site outside a joint')
            names.append(f'{names[stack[-1]]}_end')
            parents.append(stack[-1])
            offsets.append([0., 0., 0.])
            channels.append([])
            i += 2
        elif tok == '{':
            if len(parents) == 0 or (stack and stack[-1] == len(names) - 1):
                raise BVHError(f"{src}: '{{' without a joint")
            stack.append(len(names) - 1)
            i += 1
        elif tok == '}':
            if not stack:
                raise BVHError(f"{src}: unbalanced '}}' in HIERARCHY")
            stack.pop()
            i += 1
        elif up == 'OFFSET':
            need(4)
            try:
                offsets[stack[-1]] = [float(v) for v in tokens[i + 1:i + 4]]
            except (ValueError, IndexError) as e:
                raise BVHError(f'{src}: bad OFFSET near joint '
                               f'{names[-1] if names else "?"}') from e
            i += 4
        elif up == 'CHANNELS':
            need(2)
            try:
                n = int(tokens[i + 1])
            except ValueError as e:
                raise BVHError(f'{src}: bad CHANNELS count '
                               f'{tokens[i + 1]!r}') from e
            need(2 + n)
            chans = tokens[i + 2:i + 2 + n]
            for c in chans:
                if c.lower() not in {
                        f'{a}{k}'
                        for a in 'xyz' for k in ('position', 'rotation')
                }:
                    raise BVHError(f'{src}: unknown channel {c!r} of joint '
                                   f'{names[stack[-1]]!r}')
            channels[stack[-1]] = chans
            i += 2 + n
        else:
            raise BVHError(f'{src}: unexpected token {tok!r} in HIERARCHY')
    if stack:
        raise BVHError(f"{src}: unbalanced '{{' in HIERARCHY")
    if not names:
        raise BVHError(f'{src}: no joints in HIERARCHY')
    return names, parents, offsets, channels, i


def read_bvh(source: str) -> BVHMotion:
    """Read a BVH file (or BVH text).

    Args:
        source (str): A path, or the BVH text itself (starting with
            ``HIERARCHY``).

    Returns:
        BVHMotion: Joints, channels and motion.

    Raises:
        BVHError: If the file is missing or malformed, naming the problem.
    """
    if source.lstrip().upper().startswith('HIERARCHY'):
        text, src = source, '<bvh text>'
    else:
        if not osp.isfile(source):
            raise BVHError(f'{source}: file not found')
        with open(source, encoding='utf-8', errors='replace') as f:
            text = f.read()
        src = source
    tokens = text.split()
    if not tokens or tokens[0].upper() != 'HIERARCHY':
        raise BVHError(f'{src}: not a BVH file (no HIERARCHY at the start)')
    names, parents, offsets, channels, n = _parse_hierarchy(tokens[1:], src)
    rest = tokens[1 + n:]
    if not rest or rest[0].upper() != 'MOTION':
        raise BVHError(f'{src}: no MOTION section')
    # MOTION  Frames: F  Frame Time: dt  values...
    try:
        if rest[1].lower() != 'frames:' or rest[3].lower() != 'frame' \
                or rest[4].lower() != 'time:':
            raise IndexError
        num_frames = int(rest[2])
        frame_time = float(rest[5])
        values = np.array(rest[6:], dtype=np.float64)
    except (IndexError, ValueError) as e:
        raise BVHError(f'{src}: MOTION must start with "Frames: <n>" and '
                       f'"Frame Time: <seconds>" followed by numbers ({e})'
                       ) from e
    num_channels = sum(len(c) for c in channels)
    if num_frames < 1 or frame_time <= 0:
        raise BVHError(f'{src}: {num_frames} frames with frame time '
                       f'{frame_time}; need >= 1 frame and a positive time')
    if values.size != num_frames * num_channels:
        raise BVHError(
            f'{src}: MOTION has {values.size} values, expected '
            f'{num_frames} frames x {num_channels} channels = '
            f'{num_frames * num_channels}')
    starts = np.cumsum([0] + [len(c) for c in channels])[:-1].tolist()
    return BVHMotion(
        names=names,
        parents=np.array(parents, dtype=np.int64),
        offsets=np.array(offsets, dtype=np.float64),
        channels=channels,
        motion=values.reshape(num_frames, num_channels),
        frame_time=frame_time,
        channel_start=starts)


def euler_to_matrix(angles: np.ndarray, order: str) -> np.ndarray:
    """Rotation matrices from Euler angles composed in the given order.

    Args:
        angles (np.ndarray): ``(..., k)`` angles in degrees.
        order (str): ``k`` axis letters, e.g. ``'zxy'``: ``R = Rz @ Rx @ Ry``.

    Returns:
        np.ndarray: ``(..., 3, 3)`` rotation matrices.
    """
    a = np.deg2rad(np.asarray(angles, dtype=np.float64))
    out = np.broadcast_to(np.eye(3), a.shape[:-1] + (3, 3)).copy()
    for k, axis in enumerate(order.lower()):
        c, s = np.cos(a[..., k]), np.sin(a[..., k])
        i = _AXES[axis]
        j, m = (i + 1) % 3, (i + 2) % 3
        rot = np.zeros(a.shape[:-1] + (3, 3))
        rot[..., i, i] = 1.
        rot[..., j, j] = c
        rot[..., m, m] = c
        rot[..., j, m] = -s
        rot[..., m, j] = s
        out = out @ rot
    return out


def position_channels_replace_offsets(motion: BVHMotion) -> bool:
    """Whether the file's position channels hold whole local translations.

    True when every non-root joint with position channels and a non-zero
    ``OFFSET`` has channel values (median over frames) within 1% of that
    offset: the exporter wrote each joint's translation both as its offset
    and in its channels, and the channels replace the offsets.

    Args:
        motion (BVHMotion): From :func:`read_bvh`.

    Returns:
        bool: True if the channels replace the offsets.
    """
    checked = 0
    for j in range(1, len(motion.names)):
        values, axes = _position_values(motion, j)
        offset = motion.offsets[j]
        if not axes.any() or not np.linalg.norm(offset) > 0:
            continue
        checked += 1
        gap = np.abs(np.median(values, 0) - offset)[axes]
        if gap.max() > 0.01 * np.linalg.norm(offset):
            return False
    return checked > 0


def _position_values(motion: BVHMotion,
                     j: int) -> Tuple[np.ndarray, np.ndarray]:
    """``(F, 3)`` position channels of joint ``j`` (absent axes 0) and the
    ``(3,)`` mask of the axes it has."""
    values = np.zeros((motion.num_frames, 3))
    axes = np.zeros(3, dtype=bool)
    for k, c in enumerate(motion.channels[j]):
        if c.lower()[1:] == 'position':
            axis = _AXES[c[0].lower()]
            values[:, axis] = motion.motion[:, motion.channel_start[j] + k]
            axes[axis] = True
    return values, axes


def bvh_positions(motion: BVHMotion,
                  position_channels: str = 'auto') -> np.ndarray:
    """Global joint positions by forward kinematics.

    Args:
        motion (BVHMotion): From :func:`read_bvh`.
        position_channels (str): ``'add'``: a joint's position channels are
            added to its ``OFFSET`` (Biovision); ``'replace'``: they are its
            local translation, used instead of the offset; ``'auto'``:
            ``'replace'`` if :func:`position_channels_replace_offsets`,
            else ``'add'``. Defaults to ``'auto'``.

    Returns:
        np.ndarray: ``(F, J, 3)`` positions (units of the file) of every
        joint and end site, in the order of ``motion.names``.
    """
    if position_channels not in ('auto', 'add', 'replace'):
        raise BVHError(f"position_channels must be 'auto', 'add' or "
                       f"'replace', got {position_channels!r}")
    replace = position_channels == 'replace' or (
        position_channels == 'auto'
        and position_channels_replace_offsets(motion))
    F, J = motion.num_frames, len(motion.names)
    glob_rot = np.empty((F, J, 3, 3))
    glob_pos = np.empty((F, J, 3))
    for j in range(J):  # parents come before children in a BVH file
        chans = motion.channels[j]
        vals = motion.motion[:, motion.channel_start[j]:motion.channel_start[j]
                             + len(chans)] if chans else np.zeros((F, 0))
        trans = np.broadcast_to(motion.offsets[j], (F, 3)).copy()
        rot_idx = [k for k, c in enumerate(chans) if c.lower()[1:] ==
                   'rotation']
        moved, axes = _position_values(motion, j)
        if replace:
            trans[:, axes] = moved[:, axes]
        else:
            trans += moved
        order = ''.join(chans[k][0] for k in rot_idx)
        local = euler_to_matrix(vals[:, rot_idx], order)
        p = motion.parents[j]
        if p < 0:
            glob_rot[:, j] = local
            glob_pos[:, j] = trans
        else:
            glob_rot[:, j] = glob_rot[:, p] @ local
            glob_pos[:, j] = glob_pos[:, p] + np.einsum(
                'fij,fj->fi', glob_rot[:, p], trans)
    return glob_pos


def _resolve(motion: BVHMotion,
             joint_map: Optional[Mapping[Union[str, int], str]]) -> List[int]:
    """Index into ``motion.names`` of each of the 16 E-Gait joints; -1 for
    a neck the rig does not have (the shoulders' midpoint stands in)."""
    index, limbs = {}, {}
    for j, n in enumerate(motion.names):
        index.setdefault(_norm_name(n), j)
        limbs.setdefault(_side_and_part(n), j)
    overrides = {}
    for key, bvh_name in (joint_map or {}).items():
        egait = JOINT_NAMES[key] if isinstance(key, int) else key
        if egait not in JOINT_NAMES:
            raise BVHError(f'joint_map key {key!r} is not an E-Gait joint; '
                           f'use one of {JOINT_NAMES} or 0..15')
        if _norm_name(bvh_name) not in index:
            raise BVHError(f'joint_map[{key!r}] = {bvh_name!r} is not a '
                           f'joint of the file; it has {motion.names}')
        overrides[egait] = index[_norm_name(bvh_name)]
    out = []
    for egait in JOINT_NAMES:
        if egait in overrides:
            out.append(overrides[egait])
            continue
        found = [index[c] for c in BVH_NAME_TABLE[egait] if c in index]
        tried = f'{BVH_NAME_TABLE[egait]}'
        side, _, part = egait.partition('_')
        if not found and part in BVH_LIMB_PARTS:
            found = [limbs[side, c] for c in BVH_LIMB_PARTS[part]
                     if (side, c) in limbs]
            tried += f' and {side} + {BVH_LIMB_PARTS[part]}'
        if not found and egait == 'neck':
            out.append(-1)
            continue
        if not found:
            raise BVHError(
                f'no BVH joint for E-Gait joint {egait!r} (tried '
                f'{tried}); the file has {motion.names}. Pass '
                f"joint_map={{'{egait}': '<BVH joint name>'}} (CLI: "
                f'--joint-map {egait}=<BVH joint name>)')
        out.append(found[0])
    return out


def parse_joint_map(items: Optional[Sequence[str]]
                    ) -> Optional[Dict[Union[str, int], str]]:
    """``['left_shoulder=L_UpperArm', ...]`` (CLI ``--joint-map``) -> dict.

    Args:
        items (Sequence[str], optional): ``EGAIT=BVH`` pairs; an E-Gait
            joint may be given by index.

    Returns:
        dict | None: For ``joint_map`` of :func:`bvh_to_egait`.
    """
    if not items:
        return None
    out = {}
    for item in items:
        egait, sep, bvh_name = item.partition('=')
        if not sep or not egait.strip() or not bvh_name.strip():
            raise BVHError(f'--joint-map {item!r}: expected EGAIT=BVH, e.g. '
                           'left_shoulder=L_UpperArm')
        egait = egait.strip()
        out[int(egait) if egait.isdigit() else egait] = bvh_name.strip()
    return out


def bvh_to_egait(source: Union[str, BVHMotion],
                 joint_map: Optional[Mapping[Union[str, int], str]] = None,
                 up_axis: str = 'y') -> Tuple[np.ndarray, float]:
    """Read a BVH file as a 16-joint E-Gait gait.

    Args:
        source (str | BVHMotion): Path, BVH text or a parsed motion.
        joint_map (Mapping, optional): E-Gait joint (name or index) -> BVH
            joint name, overriding :data:`BVH_NAME_TABLE` and
            :data:`BVH_LIMB_PARTS`. Defaults to None.
        up_axis (str): ``'y'`` (BVH default) or ``'z'``. Defaults to ``'y'``.

    A rig without a neck joint gets the midpoint of its shoulders; position
    channels that repeat the offsets replace them (see
    :func:`bvh_positions`).

    Returns:
        tuple[np.ndarray, float]: Joints ``(T, 16, 3)`` float32 (Y up, units
        of the file) and the frame rate.
    """
    motion = source if isinstance(source, BVHMotion) else read_bvh(source)
    if up_axis not in ('y', 'z'):
        raise BVHError(f"up_axis must be 'y' or 'z', got {up_axis!r}")
    idx = _resolve(motion, joint_map)
    pos = bvh_positions(motion)[:, idx]
    if idx[2] < 0:  # no neck joint: the midpoint of the shoulders
        pos[:, 2] = pos[:, [4, 7]].mean(1)
    pos = to_y_up(pos, 'y_up' if up_axis == 'y' else 'z_up')
    return pos.astype(np.float32), motion.fps
