# Copyright (c) step_mm contributors. All rights reserved.
"""The video path on a real street video: tracks, poses, emotions, speed.

Runs :func:`step_mm.apis.predict_video` (HOG detection, IoU tracking,
MediaPipe Pose on per-person crops, STEP over sliding windows, JSON and
annotated MP4) on OpenCV's ``vtest.avi`` (795 frames, 10 fps, 768x576;
``../shared/data/video/``, see its README) and records:

- the number of tracks, of tracks with an emotion, and of frames with a
  pose;
- each track's emotion, its windows and the *stability* of its window
  predictions: the share of its windows whose emotion is the track's most
  frequent window emotion (reported for tracks with at least 3 windows);
- speed: frames per second of the whole run (reading, detection, tracking,
  poses, STEP, writing the MP4) by the wall clock, CPU seconds per frame
  of this process and its pose workers, seconds per stage, and the load
  average (the machine's other jobs slow the wall clock).

vtest.avi has no emotion labels: this measures plumbing, tracking,
stability and speed, not accuracy. Writes
``benchmarks/results/video_vtest.{json,md}`` and, with ``--still``, one
annotated frame as a PNG::

    python benchmarks/video_vtest.py --config CONFIG --checkpoint CKPT \\
        [--workers 2] [--still docs/images/video_vtest.png]
"""
import argparse
import collections
import json
import os
import os.path as osp
import resource
import time

import cv2
import numpy as np
import torch

from step_mm.utils.markdown import markdown_table

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_VIDEO = osp.join(REPO, '..', 'shared', 'data', 'video', 'vtest.avi')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--video', default=osp.normpath(DEFAULT_VIDEO))
    p.add_argument('--config', required=True, help='STEP config')
    p.add_argument('--checkpoint', required=True, help='STEP checkpoint')
    p.add_argument(
        '--out-dir',
        default=osp.join(REPO, 'work_dirs', 'video_vtest'),
        help='where the JSON and the annotated MP4 go')
    p.add_argument(
        '--results',
        default=osp.join(REPO, 'benchmarks', 'results', 'video_vtest'),
        help='results file stem (.json and .md are written)')
    p.add_argument(
        '--workers', type=int, default=2, help='MediaPipe worker processes')
    p.add_argument('--detect-every', type=int, help='detection interval')
    p.add_argument('--max-frames', type=int)
    p.add_argument(
        '--no-split',
        action='store_true',
        help="pass split_threshold=None: inference_gait's jump detector "
        'does not cut the tracks (for comparison)')
    p.add_argument(
        '--threads', type=int, default=1, help='torch threads (STEP)')
    p.add_argument(
        '--still', help='save the annotated frame with most labels as PNG')
    p.add_argument(
        '--still-width',
        type=int,
        default=640,
        help='largest width of the still PNG (kept small)')
    return p.parse_args(argv)


def cpu_seconds() -> tuple:
    """CPU time of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def stability(track: dict) -> float:
    """Share of a track's windows agreeing with its most frequent one."""
    labels = [w['emotion'] for w in track['windows']]
    return collections.Counter(labels).most_common(1)[0][1] / len(labels)


def save_still(result, path: str, width: int) -> int:
    """Save the annotated frame showing the most labelled people, cropped
    to them (with a margin) and scaled to at most ``width`` pixels."""
    count, boxes = collections.Counter(), collections.defaultdict(list)
    for trk in result.pose_tracks:
        te = next(t for t in result.tracks if t.track_id == trk.track_id)
        for f, box in zip(trk.frames.tolist(), trk.boxes):
            if te.window_at(f) is not None:
                count[f] += 1
                boxes[f].append(box)
    frame_idx = count.most_common(1)[0][0] if count else 0
    cap = cv2.VideoCapture(result.video_file)
    cap.set(cv2.CAP_PROP_POS_FRAMES, frame_idx)
    ok, img = cap.read()
    cap.release()
    if not ok:
        raise RuntimeError(f'cannot read frame {frame_idx} of '
                           f'{result.video_file}')
    h, w = img.shape[:2]
    if boxes[frame_idx]:
        b = np.stack(boxes[frame_idx])
        x0, y0 = np.maximum(b[:, :2].min(0) - 40, 0).astype(int)
        x1, y1 = np.minimum(b[:, 2:].max(0) + 40, [w, h]).astype(int)
        img = img[y0:y1, x0:x1]
    scale = min(1., width / img.shape[1])
    img = cv2.resize(img, (int(round(img.shape[1] * scale)),
                           int(round(img.shape[0] * scale))),
                     interpolation=cv2.INTER_AREA)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    cv2.imwrite(path, img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return frame_idx


def markdown(res: dict) -> str:
    s = res['speed']
    lines = [
        f"# Video path on `{osp.basename(res['video'])}`", '',
        f"`{res['command']}`", '',
        f"{res['num_frames']} frames at {res['fps']:g} fps; "
        f"{res['num_tracks']} tracks ({res['num_tracks_with_emotion']} with "
        f"an emotion), {res['frames_with_pose']} frames with a pose.", '',
        f"Speed: {s['fps_wall']:.2f} frames/s by the wall clock "
        f"({s['wall_s']:.1f} s, the video lasts {s['video_s']:.1f} s), "
        f"{s['cpu_s_per_frame'] * 1000:.0f} CPU ms per frame (main process "
        f"{s['cpu_main_s']:.0f} s, pose workers {s['cpu_workers_s']:.0f} s); "
        "load average "
        f"{s['load_before'][0]:.1f} before, {s['load_after'][0]:.1f} after, "
        f"on {s['cpu_count']} cores, {res['workers']} pose workers; "
        f"inference_gait split_threshold {res['split_threshold']}.", '',
        'Seconds per stage: ' + ', '.join(
            f'{k} {v:.1f}' for k, v in res['timing'].items()
            if k != 'frames'), '',
        f"Stability (tracks with >= 3 windows): mean "
        f"{res['stability_mean']}, min {res['stability_min']}, "
        f"{res['stable_tracks']} of {res['tracks_3_windows']} tracks >= 0.8.",
        ''
    ] + markdown_table(
        ('track', 'frames', 'with a pose', 'windows', 'emotion', 'stability'),
        [(t['track_id'], f"{t['first_frame']}-{t['last_frame']}",
          t['num_pose_frames'], len(t['windows']), t['emotion'] or '-',
          '-' if t.get('stability') is None else f"{t['stability']:.2f}")
         for t in res['tracks']])
    return '\n'.join(lines) + '\n'


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    import step_mm  # noqa: F401
    from step_mm.apis import init_gait_model, predict_video
    if not osp.isfile(args.video):
        raise SystemExit(f'{args.video}: video not found (see '
                         '../shared/data/video/README.md)')
    model = init_gait_model(args.config, args.checkpoint)
    load_before = os.getloadavg()
    t0, c0 = time.perf_counter(), cpu_seconds()
    # the pose workers are built, and closed, by predict_video: their CPU
    # time is in cpu_seconds()' children when it returns
    result = predict_video(
        model,
        args.video,
        args.out_dir,
        pose_backend=dict(type='mediapipe', workers=args.workers),
        detect_every=args.detect_every,
        split_threshold=None if args.no_split else 5.0,
        max_frames=args.max_frames)
    c1 = cpu_seconds()
    wall = time.perf_counter() - t0
    cpu_main, cpu_workers = c1[0] - c0[0], c1[1] - c0[1]
    cpu = cpu_main + cpu_workers
    load_after = os.getloadavg()
    with open(result.json_file, encoding='utf-8') as f:
        res = json.load(f)
    for t in res['tracks']:
        if len(t['windows']) >= 3:
            t['stability'] = round(stability(t), 3)
    stab = [t['stability'] for t in res['tracks'] if 'stability' in t]
    n = res['num_frames']
    res.update(
        command='python benchmarks/video_vtest.py ' + ' '.join(
            a if not osp.isabs(a) else osp.relpath(a, REPO)
            for a in (argv if argv is not None else os.sys.argv[1:])),
        workers=args.workers,
        split_threshold=None if args.no_split else 5.0,
        stability_mean=round(float(np.mean(stab)), 3) if stab else None,
        stability_min=round(float(np.min(stab)), 3) if stab else None,
        tracks_3_windows=len(stab),
        stable_tracks=int(sum(s >= 0.8 for s in stab)),
        emotion_counts=dict(
            collections.Counter(t['emotion'] for t in res['tracks']
                                if t['emotion'])),
        speed=dict(
            wall_s=round(wall, 2),
            cpu_s=round(cpu, 2),
            cpu_main_s=round(cpu_main, 2),
            cpu_workers_s=round(cpu_workers, 2),
            fps_wall=round(n / wall, 3),
            cpu_s_per_frame=round(cpu / n, 4),
            video_s=round(n / res['fps'], 2),
            load_before=[round(v, 2) for v in load_before],
            load_after=[round(v, 2) for v in load_after],
            cpu_count=os.cpu_count()))
    res['video'] = osp.relpath(res['video'], REPO)
    if args.still:
        res['still_frame'] = save_still(result, args.still, args.still_width)
        res['still'] = osp.relpath(args.still, REPO)
    from step_mm.utils.io import dump_json, write_text
    dump_json(res, args.results + '.json')
    write_text(args.results + '.md', markdown(res))
    print(markdown(res))


if __name__ == '__main__':
    main()
