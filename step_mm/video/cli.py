# Copyright (c) step_mm contributors. All rights reserved.
"""``step-mm predict VIDEO``: the video options and their handler.

Kept light to import (the heavy modules load when a video is predicted).
"""
import json
import os.path as osp
import sys

__all__ = ['VIDEO_EXTENSIONS', 'is_video', 'add_video_arguments',
           'pose_backend_cfg', 'predict_video_cli']

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.wmv')


def is_video(path: str) -> bool:
    """Whether ``step-mm predict`` treats the file as a video."""
    return osp.splitext(str(path))[1].lower() in VIDEO_EXTENSIONS


def add_video_arguments(parser) -> None:
    """Options of ``step-mm predict`` for video files."""
    g = parser.add_argument_group(
        'video files (' + ' '.join(VIDEO_EXTENSIONS) + ')')
    g.add_argument(
        '--out-dir',
        default='.',
        help='where <name>.json and the annotated <name>.mp4 go '
        '(default: .)')
    g.add_argument(
        '--pose-backend',
        default='mediapipe',
        choices=('mediapipe', 'mmpose'),
        help="'mediapipe': MediaPipe Pose 3D landmarks, no download; "
        "'mmpose': mmpose 2D + VideoPose3D, model-zoo weights")
    g.add_argument(
        '--detect-every',
        type=int,
        help='person detection interval in frames (default: about 1 s); '
        'people are followed by their poses in between')
    g.add_argument(
        '--max-frames', type=int, help='read at most this many frames')
    g.add_argument(
        '--workers',
        type=int,
        default=0,
        help='mediapipe backend: pose worker processes (e.g. one per core; '
        'default 0: in this process)')
    g.add_argument(
        '--no-video',
        action='store_true',
        help='write only the JSON, not the annotated video')
    g.add_argument(
        '--pose2d-checkpoint',
        help='mmpose backend: 2D model weights (default: the model-zoo URL)')
    g.add_argument(
        '--lifter-checkpoint',
        help='mmpose backend: lifter weights (default: the model-zoo URL)')


def _summary(result) -> str:
    lines = [
        f'{result.video}: {result.num_frames} frames at {result.fps:g} fps, '
        f'{len(result.tracks)} tracks, {result.frames_with_pose} frames '
        f'with a pose'
    ]
    for t in result.tracks:
        head = (f'  track {t.track_id}: frames {t.first_frame}-'
                f'{t.last_frame} ({t.num_pose_frames} with a pose)')
        if t.emotion is None:
            lines.append(head + ': too short for an emotion')
            continue
        probs = ', '.join(f'{n} {p:.2f}'
                          for n, p in zip(result.class_names, t.probs))
        lines.append(f'{head}: {t.emotion} ({probs}), {len(t.windows)} '
                     'window(s)')
    return '\n'.join(lines)


def pose_backend_cfg(args, *mmpose_options: str) -> dict:
    """The pose backend chosen on a command line, as a dict for
    :func:`step_mm.apis.inference_video` (which builds and closes it).

    Args:
        args (argparse.Namespace): With ``pose_backend``, ``workers`` and,
            for ``mmpose``, ``pose2d_checkpoint``, ``lifter_checkpoint``,
            ``device`` and every name in ``mmpose_options``.
        *mmpose_options (str): More :class:`MMPosePoseEstimator` arguments
            taken from ``args`` (e.g. ``'pose2d_config'``).

    Returns:
        dict: ``type`` and the backend's arguments.
    """
    if args.pose_backend == 'mmpose':
        keys = ('pose2d_checkpoint', 'lifter_checkpoint', 'device',
                *mmpose_options)
        return dict(type='mmpose', **{k: getattr(args, k) for k in keys})
    return dict(type='mediapipe', workers=args.workers)


def predict_video_cli(args) -> int:
    """Run ``step-mm predict`` on a video; returns the exit status."""
    from step_mm.apis import init_gait_model, predict_video
    from step_mm.video.mmpose_backend import ModelUnavailableError
    for flag, value, low in (('--detect-every', args.detect_every, 1),
                             ('--max-frames', args.max_frames, 1),
                             ('--workers', args.workers, 0)):
        if value is not None and value < low:
            print(f'step-mm: {flag} must be at least {low}', file=sys.stderr)
            return 2
    try:
        from step_mm.video.pipeline import video_info
        video_info(args.file, args.fps)  # a bad video fails before loading
        model = init_gait_model(args.config, args.checkpoint, args.device)
        result = predict_video(
            model,
            args.file,
            args.out_dir,
            write_video=not args.no_video,
            pose_backend=pose_backend_cfg(args),  # built, closed there
            detect_every=args.detect_every,
            fps=args.fps,
            stride=args.stride,
            max_frames=args.max_frames)
    except (ValueError, FileNotFoundError, ImportError,
            ModelUnavailableError) as e:
        print(f'step-mm: {e}', file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
        return 0
    print(_summary(result))
    if args.random_init and not args.checkpoint:
        print('(untrained model: the emotions are meaningless)')
    print('wrote ' + ', '.join(p for p in (result.json_file,
                                           result.video_file) if p))
    return 0
