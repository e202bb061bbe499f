# Copyright (c) step_mm contributors. All rights reserved.
"""From a video of people walking to each person's emotion (a demo of
:func:`step_mm.apis.predict_video`).

Default: OpenCV HOG person detection, IoU tracking, MediaPipe Pose on each
person's crop (its models ship in the wheel: nothing is downloaded), STEP::

    python projects/gait_from_video/demo_gait_video.py walk.mp4 \\
        --config CONFIG --checkpoint step.pth --out-dir out

``--pose-backend mmpose`` uses mmpose's top-down 2D model and VideoPose3D
instead; their weights default to the OpenMMLab model-zoo URLs (downloaded
once), or pass local files. ``--whole-frame`` takes the whole frame as the
box of one person who fills it, in every frame. ``--random-init`` builds every model
without weights (tests of the chain: the emotions are meaningless).
"""
import argparse
import json
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Emotions of the people walking in a video')
    p.add_argument('video')
    p.add_argument('--config', required=True, help='STEP config')
    p.add_argument('--checkpoint', help='STEP weights (tools/train.py)')
    p.add_argument('--out-dir', default='.', help='for <name>.json/.mp4')
    p.add_argument(
        '--pose-backend', default='mediapipe', choices=('mediapipe', 'mmpose'))
    p.add_argument('--pose2d-config', help='mmpose top-down COCO-17 config')
    p.add_argument(
        '--pose2d-checkpoint', help='its weights (default: model-zoo URL)')
    p.add_argument('--lifter-config', help='mmpose Human3.6M lifter config')
    p.add_argument(
        '--lifter-checkpoint', help='its weights (default: model-zoo URL)')
    p.add_argument(
        '--pose2d-cfg-options', nargs='+', action=DictAction,
        help='overrides of the 2D config')
    p.add_argument(
        '--lifter-cfg-options', nargs='+', action=DictAction,
        help='overrides of the lifter config')
    p.add_argument(
        '--whole-frame',
        action='store_true',
        help='no detector: the whole frame is one person')
    p.add_argument('--detect-every', type=int)
    p.add_argument('--workers', type=int, default=0)
    p.add_argument('--fps', type=float, help='override the frame rate')
    p.add_argument('--device', default='cpu')
    p.add_argument(
        '--random-init',
        action='store_true',
        help='models without weights (tests only: meaningless output)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import step_mm  # noqa: F401  (registers STEP into mmaction2)
    from step_mm.apis import init_gait_model, predict_video
    from step_mm.video import WholeFrameDetector
    from step_mm.video.cli import pose_backend_cfg
    if not args.checkpoint and not args.random_init:
        raise SystemExit('pass --checkpoint (a trained STEP model) or '
                         '--random-init')
    model = init_gait_model(args.config, args.checkpoint, args.device)
    backend = pose_backend_cfg(args, 'pose2d_config', 'lifter_config',
                               'random_init', 'pose2d_cfg_options',
                               'lifter_cfg_options')
    result = predict_video(
        model,
        args.video,
        args.out_dir,
        pose_backend=backend,  # built, and closed, by predict_video
        detector=WholeFrameDetector() if args.whole_frame else None,
        detect_every=1 if args.whole_frame else args.detect_every,
        follow_pose=not args.whole_frame,
        fps=args.fps)
    print(json.dumps(result.to_dict()['tracks'], indent=1))
    print(f'wrote {result.json_file}, {result.video_file}')
    return result


def cli(argv=None) -> int:
    """:func:`main` as a command: a wrong file or option (a missing or
    unreadable checkpoint, a bad video, mediapipe missing) is one line
    naming it, exit status 1, no traceback."""
    from step_mm.video.mmpose_backend import ModelUnavailableError
    try:
        main(argv)
    except (ValueError, FileNotFoundError, ImportError,
            ModelUnavailableError) as e:
        print(f'demo_gait_video.py: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(cli())
