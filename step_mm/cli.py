# Copyright (c) step_mm contributors. All rights reserved.
"""The ``step-mm`` command.

``step-mm predict FILE``: the emotion of the gait in a pose file
(``.npy``/``.npz`` E-Gait or Human3.6M-17 joints, ``.bvh`` motion capture,
one key of an E-Gait ``.h5``).

``step-mm info``: versions, the registered step_mm components and whether
the E-Gait data were found.
"""
import argparse
import json
import os.path as osp
import sys
from glob import glob
from typing import Dict, List, Optional

from step_mm.utils.cli import find_data_root

__all__ = [
    'main', 'config_dirs', 'default_config', 'find_config', 'find_data_root'
]

_PKG_DIR = osp.dirname(osp.abspath(__file__))
_REPO_DIR = osp.dirname(_PKG_DIR)


def config_dirs() -> List[str]:
    """Folders holding step_mm's configs: the clone's, then the installed.

    A wheel installs the configs in ``step_mm/.mim/configs`` (``setup.py``'s
    ``add_mim_extension``, as mmaction2 does); a clone has ``configs/``.

    Returns:
        list[str]: Existing folders, the clone's first.
    """
    found = []
    for root in (osp.join(_REPO_DIR, 'configs'),
                 osp.join(_PKG_DIR, '.mim', 'configs')):
        if osp.isdir(root) and osp.realpath(root) not in map(
                osp.realpath, found):
            found.append(root)
    return found


def find_config(name: str) -> Optional[str]:
    """A config path, or a name relative to the configs folder.

    ``step/step_stgcn-aff_...py``, ``configs/step/...py`` or a bare file
    name of ``configs/*/`` all resolve, in a clone or an installed package.

    Args:
        name (str): Path or config name.

    Returns:
        str | None: The config file, or None if nothing matches.
    """
    if osp.isfile(name):
        return name
    rel = name[len('configs/'):] if name.startswith('configs/') else name
    for root in config_dirs():
        for candidate in (osp.join(root, rel),
                          *sorted(glob(osp.join(root, '*', rel)))):
            if osp.isfile(candidate):
                return candidate
    return None


def default_config() -> Optional[str]:
    """The E-Gait STEP config of the clone, else of the installed package."""
    for root in config_dirs():
        found = sorted(glob(osp.join(root, 'step', 'step_*egait*.py')))
        if found:
            return found[0]
    return None


def _parser() -> argparse.ArgumentParser:
    from step_mm.adapters import GAIT_FORMATS
    from step_mm.adapters.h36m import H36M_CONVENTIONS
    parser = argparse.ArgumentParser(
        prog='step-mm',
        description='Emotion perception from gaits (STEP on mmaction2)')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser(
        'predict', help='predict the emotion of the gait in a pose file')
    p.add_argument(
        'file', help='.npy/.npz/.bvh/.h5 pose file, or a video (.mp4, ...)')
    p.add_argument(
        '--config',
        default=default_config(),
        help='STEP config: a path, or a name under configs/ (also found in '
        'an installed step_mm); default: configs/step/step_*egait*.py')
    p.add_argument('--checkpoint', help='trained weights (tools/train.py)')
    p.add_argument(
        '--format',
        default='auto',
        choices=[f for f in GAIT_FORMATS if f != 'coco'],
        help="file format; 'h36m' for Human3.6M-17 3D joint arrays")
    p.add_argument(
        '--fps',
        type=_positive(float),
        help='frame rate of the file (default: stored in the file, else 30)')
    p.add_argument('--key', help='array of a .npz / gait key of an .h5')
    p.add_argument(
        '--convention',
        default='y_up',
        choices=sorted(H36M_CONVENTIONS),
        help="axes of --format h36m arrays ('camera' for raw mmpose lifter "
        'output)')
    p.add_argument(
        '--stride',
        type=_positive(int),
        help='window step (frames) for long gaits')
    p.add_argument(
        '--joint-map',
        nargs='+',
        metavar='EGAIT=BVH',
        help='BVH joint names for E-Gait joints the built-in table does not '
        'find, e.g. --joint-map left_shoulder=L_UpperArm neck=Neck1')
    p.add_argument(
        '--up-axis',
        default='y',
        choices=('y', 'z'),
        help='up axis of a BVH file (default: y)')
    p.add_argument('--device', default='cpu')
    p.add_argument(
        '--json', action='store_true', help='print the result as JSON')
    p.add_argument(
        '--gif', help='also save a skeleton animation with the prediction')
    p.add_argument(
        '--gif-frames',
        type=int,
        default=60,
        help='frames drawn in the GIF (evenly spaced, real-time playback)')
    p.add_argument(
        '--random-init',
        action='store_true',
        help='run without a checkpoint (smoke test: meaningless output)')
    from step_mm.video.cli import add_video_arguments
    add_video_arguments(p)
    sub.add_parser(
        'info', help='versions, registered components, data found or not')
    return parser


def _positive(kind):
    """An argparse type: a positive ``kind`` (int or float)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float('inf'):
            raise argparse.ArgumentTypeError(
                f'must be a positive {kind.__name__}, got {text!r}')
        return value

    return parse


def _predict(args) -> int:
    from step_mm.adapters import load_gait_file, parse_joint_map
    from step_mm.apis import inference_gait, init_gait_model
    config = find_config(args.config) if args.config else None
    if config is None:
        print(f'step-mm: config not found: {args.config!r}; pass --config '
              '(a path, or a name under configs/)', file=sys.stderr)
        return 2
    args.config = config
    if not args.checkpoint and not args.random_init:
        print('step-mm: pass --checkpoint PATH (a STEP model trained with '
              'tools/train.py), or --random-init to try the pipeline with an '
              'untrained model', file=sys.stderr)
        return 2
    if args.gif:  # refused before minutes of work, not after
        folder = osp.dirname(osp.abspath(args.gif))
        if not osp.isdir(folder):
            print(f'step-mm: --gif {args.gif}: the folder {folder} does not '
                  'exist; create it or give another path', file=sys.stderr)
            return 2
    from step_mm.video.cli import is_video, predict_video_cli
    if is_video(args.file):
        return predict_video_cli(args)
    try:
        joints, fps = load_gait_file(
            args.file,
            fmt=args.format,
            fps=args.fps,
            key=args.key,
            convention=args.convention,
            joint_map=parse_joint_map(args.joint_map),
            up_axis=args.up_axis)
        model = init_gait_model(args.config, args.checkpoint, args.device)
        result = inference_gait(model, joints, fps=fps, stride=args.stride)
    except (ValueError, FileNotFoundError) as e:
        print(f'step-mm: {e}', file=sys.stderr)
        return 1
    if args.gif:
        from step_mm.visualization import render_gait_animation
        try:
            render_gait_animation(
                joints, args.gif, result, fps=fps, max_frames=args.gif_frames)
        except OSError as e:
            print(f'step-mm: --gif {args.gif}: cannot write it ({e})',
                  file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(dict(file=args.file, **result.to_dict()), indent=2))
    else:
        scores = ', '.join(f'{n} {p:.3f}' for n, p in result.scores.items())
        print(f'{args.file}: {result.class_name} ({scores}); '
              f'{result.num_frames} frames at {result.fps:g} fps, '
              f'{len(result.window_starts)} window(s)')
        if args.random_init and not args.checkpoint:
            print('(untrained model: the prediction is meaningless)')
    for warning in result.warnings:
        print(f'step-mm: warning: {args.file}: {warning}', file=sys.stderr)
    return 0


def _registered() -> Dict[str, List[str]]:
    """step_mm components in mmaction2's registries."""
    import step_mm  # noqa: F401
    from mmaction import registry
    out = {}
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS'):
        reg = getattr(registry, name)
        out[name] = sorted(
            k for k, v in reg.module_dict.items()
            if getattr(v, '__module__', '').startswith('step_mm'))
    return out


def _info() -> int:
    import importlib
    import platform
    print(f'python      {platform.python_version()}')
    for mod, label in (('step_mm', 'step_mm'), ('torch', 'torch'),
                       ('numpy', 'numpy'), ('mmengine', 'mmengine'),
                       ('mmcv', 'mmcv'), ('mmaction', 'mmaction2'),
                       ('mmpose', 'mmpose'), ('onnx', 'onnx'),
                       ('onnxruntime', 'onnxruntime')):
        try:
            version = importlib.import_module(mod).__version__
        except Exception as e:  # noqa: BLE001 - report, do not fail
            version = f'not available ({type(e).__name__})'
        print(f'{label:<11} {version}')
    print('registered step_mm components (mmaction2 registries):')
    for reg, names in _registered().items():
        print(f'  {reg:<10} {", ".join(names) or "-"}')
    root = find_data_root()
    found = osp.isfile(osp.join(root, 'features.h5'))
    print(f'E-Gait data {root}: {"found" if found else "not found"} '
          '(set EGAIT_ROOT)')
    cfg = default_config()
    print(f'STEP config {cfg or "not found (no configs/ nor step_mm/.mim)"}')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Run ``step-mm``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == 'predict':
        return _predict(args)
    return _info()


if __name__ == '__main__':
    sys.exit(main())
