# Copyright (c) step_mm contributors. All rights reserved.
"""From a video of a walking person to an emotion.

video -> (optional mmdet person detector) -> mmpose top-down 2D pose
(COCO-17) -> COCO -> Human3.6M-17 keypoints -> mmpose VideoPose3D lifter
(3D H36M-17, camera frame) -> E-Gait-16 joints (Y up) -> STEP -> emotion,
printed and drawn on an annotated output video.

Example (weights from the OpenMMLab model zoo, see :data:`POSE2D_ZOO` and
:data:`LIFTER_ZOO`, and a trained STEP model)::

    python projects/gait_from_video/demo_gait_video.py walk.mp4 \\
        --pose2d-checkpoint td-hm_res50_coco-256x192.pth \\
        --lifter-checkpoint videopose_h36m_243frames_cpn_ft.pth \\
        --step-config CONFIG --step-checkpoint step.pth \\
        --out-file walk_emotion.mp4

``--random-init`` builds every model without a checkpoint from its real
config (for tests: the chain runs, the emotion is meaningless).
"""
import argparse
import json
import os
import os.path as osp
from glob import glob
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: Model-zoo entries the demo expects by default (mmpose 1.1.0 metafiles).
POSE2D_ZOO = dict(
    config='body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_res50_8xb64-210e_coco-256x192.py',
    name='td-hm_res50_8xb64-210e_coco-256x192',
    url='https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/'
    'topdown_heatmap/coco/'
    'td-hm_res50_8xb64-210e_coco-256x192-04af38ce_20220923.pth')
LIFTER_ZOO = dict(
    config='body_3d_keypoint/pose_lift/h36m/'
    'pose-lift_videopose3d-243frm-supv-cpn-ft_8xb128-200e_h36m.py',
    name='pose-lift_videopose3d-243frm-supv-cpn-ft_8xb128-200e_h36m',
    url='https://download.openmmlab.com/mmpose/body3d/videopose/'
    'videopose_h36m_243frames_fullconv_supervised_cpn_ft-88f5abbb_'
    '20210527.pth')

#: COCO-17 limbs for drawing (left side blue, right orange, BGR).
COCO_LINKS = ((15, 13), (13, 11), (11, 5), (5, 7), (7, 9), (16, 14),
              (14, 12), (12, 6), (6, 8), (8, 10), (11, 12), (5, 6), (0, 1),
              (0, 2), (1, 3), (2, 4))
_LEFT_JOINTS = {1, 3, 5, 7, 9, 11, 13, 15}


def mmpose_config(rel: str) -> str:
    """Path of a config shipped inside the installed mmpose package."""
    import mmpose
    return osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', rel)


def default_step_config() -> Optional[str]:
    """The repository's E-Gait STEP config, if there is exactly one kind."""
    found = sorted(glob(osp.join(REPO, 'configs', 'step', 'step_*egait*.py')))
    return found[0] if found else None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Predict the emotion of a walking person in a video '
        '(mmpose 2D pose -> VideoPose3D -> STEP)')
    parser.add_argument('video', help='input video file')
    parser.add_argument(
        '--out-file', help='annotated output video (e.g. out.mp4)')
    parser.add_argument('--out-json', help='write the result as JSON here')
    parser.add_argument(
        '--save-joints',
        help='save the E-Gait joints (T, 16, 3) and fps as .npz')
    parser.add_argument(
        '--pose2d-config',
        default=mmpose_config(POSE2D_ZOO['config']),
        help='mmpose top-down COCO-17 config (default: ResNet-50 256x192 '
        'shipped with mmpose)')
    parser.add_argument(
        '--pose2d-checkpoint',
        help=f'its weights, model zoo: {POSE2D_ZOO["name"]}')
    parser.add_argument(
        '--lifter-config',
        default=mmpose_config(LIFTER_ZOO['config']),
        help='mmpose Human3.6M pose-lifter config (default: VideoPose3D '
        '243 frames, fine-tuned on detected 2D poses)')
    parser.add_argument(
        '--lifter-checkpoint',
        help=f'its weights, model zoo: {LIFTER_ZOO["name"]}')
    parser.add_argument(
        '--step-config',
        default=default_step_config(),
        help='STEP config (default: configs/step/step_*egait*.py)')
    parser.add_argument(
        '--step-checkpoint', help='STEP weights (train with tools/train.py)')
    parser.add_argument(
        '--det-config',
        help='optional mmdet person detector config (needs mmdet); without '
        'it the whole frame is the person box')
    parser.add_argument('--det-checkpoint', help='detector weights')
    parser.add_argument(
        '--det-cat-id', type=int, default=0, help='person category id')
    parser.add_argument(
        '--bbox-thr', type=float, default=0.3, help='detector threshold')
    parser.add_argument(
        '--fps', type=float, help='override the video frame rate')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--batch-size', type=int, default=16, help='frames per forward pass')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='build models without a given checkpoint from their configs '
        '(tests only: the emotion is meaningless)')
    parser.add_argument(
        '--pose2d-cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the 2D pose config')
    parser.add_argument(
        '--lifter-cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the lifter config')
    return parser.parse_args(argv)


def _require(path: Optional[str], what: str, zoo: Optional[dict],
             random_init: bool) -> Optional[str]:
    """Check a checkpoint argument; explain where to get a missing one."""
    if path:
        if not osp.isfile(path) and '://' not in path:
            raise FileNotFoundError(f'{what} checkpoint not found: {path}')
        return path
    if random_init:
        print(f'[gait_from_video] WARNING: {what} model randomly '
              'initialised (--random-init): the output is meaningless')
        return None
    where = (f'download the model-zoo entry {zoo["name"]} from {zoo["url"]}'
             if zoo else 'train one with tools/train.py (docs/inference.md)')
    flag = what.lower().replace(' ', '-').replace('2d-pose', 'pose2d')
    raise SystemExit(f'No {what} checkpoint given: {where} and pass '
                     f'--{flag}-checkpoint PATH (or --random-init for a '
                     'smoke test).')


def build_models(args):
    """Build detector (optional), 2D pose model, lifter and STEP."""
    from mmpose.apis import init_model

    from step_mm.apis import init_gait_model
    if not args.step_config or not osp.isfile(args.step_config):
        raise SystemExit(f'STEP config not found: {args.step_config!r}; pass '
                         '--step-config')
    for cfg, what in ((args.pose2d_config, '2D pose'),
                      (args.lifter_config, 'lifter')):
        if not osp.isfile(cfg):
            raise SystemExit(f'{what} config not found: {cfg}')
    pose2d_ckpt = _require(args.pose2d_checkpoint, '2D pose', POSE2D_ZOO,
                           args.random_init)
    lifter_ckpt = _require(args.lifter_checkpoint, 'lifter', LIFTER_ZOO,
                           args.random_init)
    step_ckpt = _require(args.step_checkpoint, 'STEP', None, args.random_init)
    detector = None
    if args.det_config:
        try:
            from mmdet.apis import init_detector
        except ImportError as e:
            raise SystemExit(
                f'--det-config needs mmdet ({e}); install mmdet 3.x or drop '
                '--det-config to use the whole frame as the person box'
            ) from e
        with DefaultScope.overwrite_default_scope('mmdet'):
            detector = init_detector(
                args.det_config, args.det_checkpoint, device=args.device)
    with DefaultScope.overwrite_default_scope('mmpose'):
        pose2d = init_model(
            args.pose2d_config,
            pose2d_ckpt,
            device=args.device,
            cfg_options=args.pose2d_cfg_options)
        lifter = init_model(
            args.lifter_config,
            lifter_ckpt,
            device=args.device,
            cfg_options=args.lifter_cfg_options)
    step = init_gait_model(args.step_config, step_ckpt, device=args.device)
    return detector, pose2d, lifter, step


def read_frames(path: str, chunk: int) -> Iterator[List[np.ndarray]]:
    """Yield the BGR frames of a video in chunks."""
    cap = cv2.VideoCapture(path)
    try:
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
            if len(frames) == chunk:
                yield frames
                frames = []
        if frames:
            yield frames
    finally:
        cap.release()


def video_info(path: str) -> Tuple[float, int, int]:
    """Frame rate, width and height of a video (fps 0 if unknown)."""
    if not osp.isfile(path):
        raise SystemExit(f'video not found: {path}')
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise SystemExit(f'cannot open video {path} with OpenCV')
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.
    w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    cap.release()
    return fps, w, h


def person_boxes(detector, frames: List[np.ndarray], cat_id: int,
                 thr: float) -> np.ndarray:
    """One ``xyxy`` box per frame: the largest confident person, else the
    whole frame."""
    h, w = frames[0].shape[:2]
    boxes = np.tile(np.array([0, 0, w, h], np.float32), (len(frames), 1))
    if detector is None:
        return boxes
    from mmdet.apis import inference_detector
    with DefaultScope.overwrite_default_scope('mmdet'):
        for i, frame in enumerate(frames):
            pred = inference_detector(detector, frame).pred_instances
            keep = (pred.labels == cat_id) & (pred.scores > thr)
            cand = pred.bboxes[keep].cpu().numpy()
            if len(cand):
                area = (cand[:, 2] - cand[:, 0]) * (cand[:, 3] - cand[:, 1])
                boxes[i] = cand[area.argmax()]
    return boxes


def estimate_pose_2d(model, frames: List[np.ndarray], boxes: np.ndarray
                     ) -> Tuple[np.ndarray, np.ndarray]:
    """Top-down COCO-17 keypoints of one person per frame, in one batch.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(T, 17, 2)`` pixel coordinates and
        ``(T, 17)`` scores.
    """
    with DefaultScope.overwrite_default_scope('mmpose'):
        pipeline = Compose(model.cfg.test_dataloader.dataset.pipeline)
        data = []
        for frame, box in zip(frames, boxes):
            info = dict(
                img=frame,
                bbox=box[None].astype(np.float32),
                bbox_score=np.ones(1, np.float32))
            info.update(model.dataset_meta)
            data.append(pipeline(info))
        with torch.no_grad():
            out = model.test_step(pseudo_collate(data))
    kpts = np.stack([o.pred_instances.keypoints[0] for o in out])
    scores = np.stack([o.pred_instances.keypoint_scores[0] for o in out])
    return kpts.astype(np.float32), scores.astype(np.float32)


def coco_to_h36m_2d(kpts: np.ndarray) -> np.ndarray:
    """COCO-17 to Human3.6M-17 2D keypoints with mmpose's converter."""
    from mmpose.apis import convert_keypoint_definition
    return convert_keypoint_definition(kpts, 'CocoDataset', 'Human36mDataset')


def lifter_windows(num_frames: int, seq_len: int, causal: bool = False,
                   step: int = 1) -> np.ndarray:
    """Frame indices of each frame's lifter input window.

    Centred on the frame (or ending at it for causal lifters), ``step``
    frames apart, with the first/last frame repeated beyond the ends.

    Returns:
        np.ndarray: ``(num_frames, seq_len)`` indices.
    """
    left = seq_len - 1 if causal else (seq_len - 1) // 2
    offsets = (np.arange(seq_len) - left) * step
    return np.clip(
        np.arange(num_frames)[:, None] + offsets[None], 0, num_frames - 1)


def lift_to_3d(lifter, kpts: np.ndarray, image_size: Tuple[int, int],
               batch_size: int = 64) -> np.ndarray:
    """Lift a 2D H36M-17 sequence to 3D with a pose lifter, frame by frame.

    Each frame gets the lifter's ``seq_len`` window (centred, or ending at
    the frame for causal models; edges repeated), as mmpose's
    ``extract_pose_sequence`` does, and all windows run in batches.

    Args:
        lifter (nn.Module): mmpose pose lifter (e.g. VideoPose3D).
        kpts (np.ndarray): ``(T, 17, 2)`` pixel keypoints (H36M order).
        image_size (tuple[int, int]): ``(width, height)`` of the video.
        batch_size (int): Windows per forward pass. Defaults to 64.

    Returns:
        np.ndarray: ``(T, 17, 3)`` root-relative joints in the H36M camera
        frame (x right, y down, z forward; metres).
    """
    ds = lifter.cfg.test_dataloader.dataset
    idx = lifter_windows(
        len(kpts), ds.get('seq_len', 1), ds.get('causal', False),
        ds.get('seq_step', 1))
    windows = kpts[idx]  # (T, seq_len, 17, 2)
    out = []
    with DefaultScope.overwrite_default_scope('mmpose'):
        pipeline = Compose(ds.pipeline)
        data = []
        for win in windows:
            info = dict(
                keypoints=win,
                keypoints_visible=np.ones(win.shape[:2], np.float32),
                lifting_target=np.zeros((17, 3), np.float32),
                lifting_target_visible=np.ones((17, 1), np.float32),
                camera_param=dict(w=image_size[0], h=image_size[1]))
            info.update(lifter.dataset_meta)
            data.append(pipeline(info))
        with torch.no_grad():
            for b in range(0, len(data), batch_size):
                res = lifter.test_step(pseudo_collate(data[b:b + batch_size]))
                out += [r.pred_instances.keypoints.reshape(-1, 17, 3)[-1]
                        for r in res]
    return np.stack(out).astype(np.float32)


def draw_frame(frame: np.ndarray, kpts: np.ndarray, scores: np.ndarray,
               result, window_label: Optional[str]) -> np.ndarray:
    """Draw the 2D skeleton, the emotion and its probabilities on a frame."""
    h, w = frame.shape[:2]
    scale = max(1., 360. / h)
    img = cv2.resize(frame, (int(round(w * scale)), int(round(h * scale))))
    pts = np.round(kpts * scale).astype(int)
    thick = max(1, int(round(img.shape[0] / 180)))
    for a, b in COCO_LINKS:
        color = (255, 128, 0) if a in _LEFT_JOINTS else (0, 128, 255)
        cv2.line(img, tuple(pts[a]), tuple(pts[b]), color, thick,
                 cv2.LINE_AA)
    for p in pts:
        cv2.circle(img, tuple(p), thick + 1, (255, 255, 255), -1)
    font = cv2.FONT_HERSHEY_SIMPLEX
    fs = max(0.45, img.shape[0] / 720.)
    line = int(32 * fs) + 4
    bar_w = int(img.shape[1] * 0.2)
    rows = 1 + bool(window_label) + len(result.class_names)
    panel = img[:line * rows + 8, :int(bar_w + 210 * fs + 20)]
    panel[:] = (panel * 0.4).astype(img.dtype)  # darken behind the text
    y = line
    cv2.putText(img, f'{result.class_name} {result.probs.max():.0%}',
                (8, y), font, 1.3 * fs, (0, 0, 255), 2, cv2.LINE_AA)
    if window_label:
        y += line
        cv2.putText(img, f'now: {window_label}', (8, y), font, fs,
                    (0, 200, 255), 1, cv2.LINE_AA)
    for k, (name, p) in enumerate(result.scores.items()):
        y += line
        color = (0, 0, 255) if k == result.label else (170, 170, 170)
        cv2.rectangle(img, (8, y - int(0.6 * line)),
                      (8 + max(1, int(bar_w * p)), y), color, -1)
        cv2.putText(img, f'{name} {p:.2f}', (14 + bar_w, y), font, fs,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return img


def write_video(args, kpts: np.ndarray, scores: np.ndarray, result,
                fps: float) -> None:
    """Second pass over the video: write the annotated frames."""
    # Window of each frame (the last window starting at or before it).
    starts = result.window_starts
    win_of_frame = np.maximum(
        np.searchsorted(starts, np.arange(len(kpts)), 'right') - 1, 0)
    labels = [result.class_names[int(i)] for i in result.window_labels]
    writer = None
    t = 0
    try:
        for frames in read_frames(args.video, args.batch_size):
            for frame in frames:
                if t >= len(kpts):
                    break
                img = draw_frame(
                    frame, kpts[t], scores[t], result,
                    labels[win_of_frame[t]] if len(labels) > 1 else None)
                if writer is None:
                    os.makedirs(
                        osp.dirname(osp.abspath(args.out_file)),
                        exist_ok=True)
                    writer = cv2.VideoWriter(args.out_file,
                                             cv2.VideoWriter_fourcc(*'mp4v'),
                                             fps, img.shape[1::-1])
                    if not writer.isOpened():
                        raise SystemExit('cannot write video '
                                         f'{args.out_file} with OpenCV')
                writer.write(img)
                t += 1
    finally:
        if writer is not None:
            writer.release()


def main(argv=None):
    args = parse_args(argv)
    fps, w, h = video_info(args.video)
    fps = args.fps or fps
    if not fps or fps <= 0:
        raise SystemExit(f'{args.video}: unknown frame rate; pass --fps')
    import step_mm  # noqa: F401  (registers STEP into mmaction2)
    from step_mm.adapters import h36m_to_egait
    from step_mm.apis import inference_gait

    detector, pose2d, lifter, step = build_models(args)

    kpts, scores = [], []
    for frames in read_frames(args.video, args.batch_size):
        boxes = person_boxes(detector, frames, args.det_cat_id,
                             args.bbox_thr)
        k, s = estimate_pose_2d(pose2d, frames, boxes)
        kpts.append(k)
        scores.append(s)
    if not kpts:
        raise SystemExit(f'{args.video}: no frames could be read')
    kpts, scores = np.concatenate(kpts), np.concatenate(scores)
    print(f'[gait_from_video] {len(kpts)} frames at {fps:g} fps, '
          f'{w}x{h}: 2D poses done')
    joints_3d = lift_to_3d(lifter, coco_to_h36m_2d(kpts), (w, h),
                           args.batch_size)
    gait = h36m_to_egait(joints_3d, convention='camera')
    result = inference_gait(step, gait, fps=fps)
    scores_txt = ', '.join(f'{n} {p:.3f}' for n, p in result.scores.items())
    print(f'[gait_from_video] emotion: {result.class_name} ({scores_txt})')
    if args.save_joints:
        np.savez(args.save_joints, joints=gait, fps=np.float32(fps))
    if args.out_json:
        with open(args.out_json, 'w', encoding='utf-8') as f:
            json.dump(dict(video=args.video, **result.to_dict()), f, indent=2)
    if args.out_file:
        write_video(args, kpts, scores, result, fps)
        print(f'[gait_from_video] annotated video: {args.out_file}')
    return result


if __name__ == '__main__':
    main()
