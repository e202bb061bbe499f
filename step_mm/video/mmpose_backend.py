# Copyright (c) step_mm contributors. All rights reserved.
"""The mmpose pose backend: top-down 2D pose (COCO-17) on each tracked
person's box, then the VideoPose3D lifter over each track's sequence.

video frame + track boxes --mmpose top-down 2D model (COCO-17)-->
``convert_keypoint_definition`` (COCO-17 -> Human3.6M-17, 2D) -->
mmpose VideoPose3D lifter (3D, camera frame) -->
:func:`step_mm.adapters.h36m_to_egait` (E-Gait 16 joints, Y up).

Both models' configs ship inside mmpose; their weights default to the
OpenMMLab model-zoo URLs (:data:`POSE2D_ZOO`, :data:`LIFTER_ZOO`), which
mmengine's ``load_checkpoint`` downloads (to ``$TORCH_HOME/hub``). Without
a network the backend stops with :class:`ModelUnavailableError` naming the
URL; local files can be given instead.
"""
import os.path as osp
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from .pose import PoseObservation, landmarks_box

__all__ = [
    'POSE2D_ZOO', 'LIFTER_ZOO', 'ModelUnavailableError',
    'MMPosePoseEstimator', 'mmpose_config', 'lifter_windows'
]

#: Model-zoo entries used by default (mmpose 1.1.0 metafiles).
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


class ModelUnavailableError(RuntimeError):
    """A model's weights cannot be downloaded or read."""


def mmpose_config(rel: str) -> str:
    """Path of a config shipped inside the installed mmpose package."""
    import mmpose
    return osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', rel)


def lifter_windows(num_frames: int, seq_len: int, causal: bool = False,
                   step: int = 1) -> np.ndarray:
    """Frame indices of each frame's lifter input window.

    Centred on the frame (or ending at it for causal lifters), ``step``
    frames apart, the first/last frame repeated beyond the ends.

    Returns:
        np.ndarray: ``(num_frames, seq_len)`` indices.
    """
    left = seq_len - 1 if causal else (seq_len - 1) // 2
    offsets = (np.arange(seq_len) - left) * step
    return np.clip(
        np.arange(num_frames)[:, None] + offsets[None], 0, num_frames - 1)


def _init_mmpose_model(config: str, checkpoint: Optional[str], what: str,
                       flag: str, device: str, cfg_options: Optional[dict]):
    """``mmpose.apis.init_model`` with one clear error per failure."""
    from mmengine.registry import DefaultScope
    from mmpose.apis import init_model
    if not osp.isfile(config):
        raise FileNotFoundError(f'{what} config not found: {config}')
    is_url = checkpoint is not None and '://' in checkpoint
    if checkpoint is not None and not is_url and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'{what} checkpoint not found: {checkpoint}')
    try:
        with DefaultScope.overwrite_default_scope('mmpose'):
            return init_model(
                config, checkpoint, device=device, cfg_options=cfg_options)
    except (OSError, RuntimeError, ValueError, KeyError, EOFError) as e:
        reason = str(getattr(e, 'reason', '') or e).splitlines()[0][:200]
        if is_url:
            raise ModelUnavailableError(
                f'cannot download the {what} checkpoint {checkpoint} '
                f'({type(e).__name__}: {reason}); without a network, fetch '
                f'it elsewhere and pass --{flag} PATH') from e
        raise ModelUnavailableError(
            f'cannot read the {what} checkpoint {checkpoint} '
            f'({type(e).__name__}: {reason})') from e


class MMPosePoseEstimator:
    """mmpose top-down 2D pose per tracked person, lifted per track.

    Args:
        pose2d_config (str, optional): Top-down COCO-17 config. Defaults to
            :data:`POSE2D_ZOO`'s, shipped inside mmpose.
        pose2d_checkpoint (str, optional): Path or URL. Defaults to
            :data:`POSE2D_ZOO`'s URL.
        lifter_config (str, optional): Human3.6M lifter config. Defaults to
            :data:`LIFTER_ZOO`'s.
        lifter_checkpoint (str, optional): Path or URL. Defaults to
            :data:`LIFTER_ZOO`'s URL.
        device (str): Defaults to ``'cpu'``.
        random_init (bool): Build both models without weights (tests of the
            chain; the poses are meaningless). Defaults to False.
        pose2d_cfg_options (dict, optional): Overrides of the 2D config.
        lifter_cfg_options (dict, optional): Overrides of the lifter config.
        batch_size (int): Lifter windows per forward pass. Defaults to 64.
    """

    name = 'mmpose'

    def __init__(self,
                 pose2d_config: Optional[str] = None,
                 pose2d_checkpoint: Optional[str] = None,
                 lifter_config: Optional[str] = None,
                 lifter_checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 random_init: bool = False,
                 pose2d_cfg_options: Optional[dict] = None,
                 lifter_cfg_options: Optional[dict] = None,
                 batch_size: int = 64) -> None:
        if not random_init:
            pose2d_checkpoint = pose2d_checkpoint or POSE2D_ZOO['url']
            lifter_checkpoint = lifter_checkpoint or LIFTER_ZOO['url']
        self.pose2d = _init_mmpose_model(
            pose2d_config or mmpose_config(POSE2D_ZOO['config']),
            pose2d_checkpoint, '2D pose', 'pose2d-checkpoint', device,
            pose2d_cfg_options)
        self.lifter = _init_mmpose_model(
            lifter_config or mmpose_config(LIFTER_ZOO['config']),
            lifter_checkpoint, 'lifter', 'lifter-checkpoint', device,
            lifter_cfg_options)
        self.batch_size = batch_size
        self._image_size: Optional[Tuple[int, int]] = None

    def estimate(self, frame_rgb: np.ndarray,
                 boxes: Dict[int, np.ndarray]) -> Dict[int, PoseObservation]:
        """COCO-17 2D poses of the tracked people in one frame (one batch).
        """
        import torch
        from mmengine.dataset import Compose, pseudo_collate
        from mmengine.registry import DefaultScope
        h, w = frame_rgb.shape[:2]
        self._image_size = (w, h)
        frame = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2BGR)
        ids = sorted(boxes)
        with DefaultScope.overwrite_default_scope('mmpose'):
            pipeline = Compose(
                self.pose2d.cfg.test_dataloader.dataset.pipeline)
            data = []
            for tid in ids:
                info = dict(
                    img=frame,
                    bbox=np.asarray(boxes[tid], np.float32)[None],
                    bbox_score=np.ones(1, np.float32))
                info.update(self.pose2d.dataset_meta)
                data.append(pipeline(info))
            with torch.no_grad():
                out = self.pose2d.test_step(pseudo_collate(data))
        result = {}
        for tid, o in zip(ids, out):
            kp = np.asarray(o.pred_instances.keypoints[0], np.float32)
            score = np.asarray(o.pred_instances.keypoint_scores[0],
                               np.float32)
            result[tid] = PoseObservation(kp, kp, score, landmarks_box(kp))
        return result

    def image_to_egait(self, image: np.ndarray) -> np.ndarray:
        """``(17, 2)`` COCO keypoints -> ``(16, 2)`` E-Gait joints."""
        from mmpose.apis import convert_keypoint_definition

        from step_mm.adapters.h36m import H36M_TO_EGAIT
        h36m = convert_keypoint_definition(image[None], 'CocoDataset',
                                           'Human36mDataset')[0]
        return h36m[list(H36M_TO_EGAIT)]

    def gait_from_keypoints(self, keypoints: np.ndarray) -> np.ndarray:
        """Lift ``(T, 17, 2)`` COCO keypoints to ``(T, 16, 3)`` E-Gait
        joints (each frame from the lifter's window around it)."""
        import torch
        from mmengine.dataset import Compose, pseudo_collate
        from mmengine.registry import DefaultScope
        from mmpose.apis import convert_keypoint_definition

        from step_mm.adapters import h36m_to_egait
        kpts = convert_keypoint_definition(keypoints, 'CocoDataset',
                                           'Human36mDataset')
        ds = self.lifter.cfg.test_dataloader.dataset
        idx = lifter_windows(
            len(kpts), ds.get('seq_len', 1), ds.get('causal', False),
            ds.get('seq_step', 1))
        w, h = self._image_size or (1, 1)
        out = []
        with DefaultScope.overwrite_default_scope('mmpose'):
            pipeline = Compose(ds.pipeline)
            data = []
            for win in kpts[idx]:
                info = dict(
                    keypoints=win,
                    keypoints_visible=np.ones(win.shape[:2], np.float32),
                    lifting_target=np.zeros((17, 3), np.float32),
                    lifting_target_visible=np.ones((17, 1), np.float32),
                    camera_param=dict(w=w, h=h))
                info.update(self.lifter.dataset_meta)
                data.append(pipeline(info))
            with torch.no_grad():
                for b in range(0, len(data), self.batch_size):
                    res = self.lifter.test_step(
                        pseudo_collate(data[b:b + self.batch_size]))
                    out += [
                        r.pred_instances.keypoints.reshape(-1, 17, 3)[-1]
                        for r in res
                    ]
        return h36m_to_egait(np.stack(out), convention='camera')

    def release(self, track_id: int) -> None:
        """Nothing is kept per track."""

    def close(self) -> None:
        """Nothing to close."""
