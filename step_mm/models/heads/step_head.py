# Copyright (c) step_mm contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from mmaction.utils import SampleList

from ...skeleton import NUM_AFFECTIVE_FEATURES
from ..utils import check_choice


@MODELS.register_module()
class STEPHead(BaseHead):
    """The classification head of STEP, with or without affective features.

    Backbone features ``(N, M, C, T, V)`` are average-pooled over persons,
    time and joints as in :class:`mmaction.models.heads.GCNHead`. With
    ``use_affective=True`` the gait-level affective features of each data
    sample (``data_sample.affective_feats``, shape ``(num_affective, )``)
    are standardised with the buffers ``aff_mean`` / ``aff_std`` (fitted on
    the training subset by ``FitAffectiveStatsHook`` and saved in the
    checkpoint) and appended. Then
    ``BN -> Linear -> ReLU -> Dropout -> Linear`` gives the logits. With
    ``use_affective=False`` this is Baseline-STEP.

    ``fusion='late'`` fuses the two streams after classification instead:
    the pooled graph features and the affective features each get their own
    classifier (``BN -> Dropout -> Linear`` for the graph stream, the layers
    above for the affective stream) and the logits are summed, a product of
    the two streams' class probabilities up to normalisation. With
    ``stream_loss_weight > 0`` each stream's own logits are also trained on
    the labels (``loss_graph``, ``loss_affective``, weighted), so the graph
    stream learns to recognise the emotion on its own instead of leaning on
    the affective features; in ``'concat'`` mode an auxiliary graph-only
    classifier gives ``loss_graph``.

    Since ``BaseRecognizer`` hands data samples only to the head, the
    affective features travel in the data samples
    (``PackGaitInputs(algorithm_keys=('affective_feats', ))``) and
    :meth:`loss` and :meth:`predict` pass them to :meth:`forward`.

    Args:
        num_classes (int): Number of classes to be classified.
        in_channels (int): Number of channels of the backbone features.
            Defaults to 64.
        num_affective (int): Number of affective features. Defaults to 29.
        use_affective (bool): Whether to append the affective features.
            Defaults to True.
        hidden_channels (int): Width of the hidden layer; 0 drops it
            (``BN -> Dropout -> Linear``). Defaults to 96.
        dropout (float): Dropout probability before the last layer.
            Defaults to 0.
        loss_cls (dict): Config for building loss.
            Defaults to ``dict(type='CrossEntropyLoss')``.
        average_clips (str): How to average the scores of several clips of
            a sample in test mode, ``'prob'``, ``'score'`` or None.
            Defaults to ``'prob'``.
        topk (int or tuple[int]): Top-k accuracies logged in training.
            Defaults to ``(1, )``: top-5 of 4 classes is always 1.
        std_floor (float): Lower bound of ``aff_std``, so a constant feature
            is centred instead of blown up. Defaults to 1e-6.
        fusion (str): ``'concat'`` (the paper: concatenate, then classify)
            or ``'late'`` (classify each stream, sum the logits).
            Defaults to ``'concat'``.
        stream_loss_weight (float): Weight of the per-stream losses; 0
            trains only the fused logits. Defaults to 0.
        init_cfg (dict or list[dict], optional): Config to control the
            initialization. Defaults to None (PyTorch's defaults).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 64,
                 num_affective: int = NUM_AFFECTIVE_FEATURES,
                 use_affective: bool = True,
                 hidden_channels: int = 96,
                 dropout: float = 0.,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 average_clips: Optional[str] = 'prob',
                 topk: Union[int, Tuple[int]] = (1, ),
                 std_floor: float = 1e-6,
                 fusion: str = 'concat',
                 stream_loss_weight: float = 0.,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None,
                 **kwargs) -> None:
        super().__init__(
            num_classes,
            in_channels,
            loss_cls=loss_cls,
            average_clips=average_clips,
            topk=topk,
            init_cfg=init_cfg,
            **kwargs)
        self.use_affective = use_affective
        self.num_affective = num_affective if use_affective else 0
        self.hidden_channels = hidden_channels
        self.dropout_ratio = dropout
        self.std_floor = std_floor
        if use_affective:
            self.register_buffer('aff_mean', torch.zeros(num_affective))
            self.register_buffer('aff_std', torch.ones(num_affective))
            self.register_buffer('aff_fitted', torch.tensor(False))

        check_choice('fusion', fusion, ('concat', 'late'))
        if fusion == 'late' and not use_affective:
            raise ValueError("fusion='late' needs use_affective=True (it "
                             'fuses the graph and affective streams)')
        if stream_loss_weight < 0:
            raise ValueError('stream_loss_weight must be >= 0, got '
                             f'{stream_loss_weight}')
        self.fusion = fusion
        self.stream_loss_weight = stream_loss_weight

        # the classifier of the concatenated (or, late: affective) features
        fused_channels = (self.num_affective if fusion == 'late' else
                          in_channels + self.num_affective)
        self.bn = nn.BatchNorm1d(fused_channels)
        if hidden_channels:
            self.fc_hidden = nn.Linear(fused_channels, hidden_channels)
            self.relu = nn.ReLU()
        else:  # a linear classifier on the fused features
            self.fc_hidden = nn.Identity()
            self.relu = nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.fc_cls = nn.Linear(hidden_channels or fused_channels,
                                num_classes)
        # the graph stream's own classifier
        self.graph_cls = None
        if fusion == 'late' or (stream_loss_weight > 0 and use_affective):
            self.graph_cls = nn.Sequential(
                nn.BatchNorm1d(in_channels), nn.Dropout(dropout),
                nn.Linear(in_channels, num_classes))

    @torch.no_grad()
    def set_affective_stats(self, mean: Union[torch.Tensor, np.ndarray],
                            std: Union[torch.Tensor, np.ndarray]) -> None:
        """Set the standardisation of the affective features.

        Args:
            mean (Tensor | ndarray): Per-feature mean, ``(num_affective, )``.
            std (Tensor | ndarray): Per-feature standard deviation,
                ``(num_affective, )``; clamped at ``std_floor``.
        """
        if not self.use_affective:
            raise RuntimeError('set_affective_stats() needs a STEPHead with '
                               'use_affective=True')
        mean = torch.as_tensor(mean, dtype=torch.float32).reshape(-1)
        std = torch.as_tensor(std, dtype=torch.float32).reshape(-1)
        for name, value in (('mean', mean), ('std', std)):
            if value.numel() != self.num_affective:
                raise ValueError(
                    f'affective {name} has {value.numel()} values, expected '
                    f'num_affective={self.num_affective}')
            if not torch.isfinite(value).all():
                raise ValueError(f'affective {name} is not finite: {value}')
        self.aff_mean.copy_(mean)
        self.aff_std.copy_(std.clamp(min=self.std_floor))
        self.aff_fitted.fill_(True)

    def _affective_feats(self, data_samples: Optional[SampleList],
                         num_rows: int, ref: torch.Tensor) -> torch.Tensor:
        """Stack, check and standardise the affective features.

        Args:
            data_samples (list[:obj:`ActionDataSample`], optional): The batch
                data samples.
            num_rows (int): Rows of the pooled features; a multiple of the
                number of samples when each has several clips.
            ref (torch.Tensor): Tensor giving the device and dtype.

        Returns:
            torch.Tensor: Standardised features ``(num_rows, num_affective)``.
        """
        if not data_samples:
            raise ValueError(
                'STEPHead(use_affective=True) needs the data samples, with '
                '`affective_feats`, in forward(); call loss()/predict(), or '
                'use_affective=False for Baseline-STEP')
        feats = []
        for i, sample in enumerate(data_samples):
            if 'affective_feats' not in sample:
                raise ValueError(
                    f'data sample {i} has no `affective_feats`; end the '
                    'pipeline with GaitAffectiveFeatures and '
                    "PackGaitInputs(algorithm_keys=('affective_feats', ))")
            feat = torch.as_tensor(sample.affective_feats).reshape(-1)
            if feat.numel() != self.num_affective:
                raise ValueError(
                    f'data sample {i} has {feat.numel()} affective features, '
                    f'expected num_affective={self.num_affective}')
            feats.append(feat)
        feats = torch.stack(feats).to(device=ref.device, dtype=ref.dtype)
        if not torch.isfinite(feats).all():
            bad = (~torch.isfinite(feats)).any(dim=1).nonzero().flatten()
            raise ValueError('affective features contain NaN or inf in data '
                             f'samples {bad.tolist()}')
        if num_rows % len(data_samples):
            raise ValueError(f'{num_rows} feature rows do not split into '
                             f'{len(data_samples)} data samples')
        feats = (feats - self.aff_mean.to(ref)) / self.aff_std.to(ref)
        # clips of one sample are consecutive rows (RecognizerGCN reshapes
        # (N, num_clips, ...) to (N * num_clips, ...))
        return feats.repeat_interleave(num_rows // len(data_samples), dim=0)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        """Check ``(N, M, C, T, V)`` features and average-pool them."""
        if x.dim() != 5 or x.shape[2] != self.in_channels:
            raise ValueError(
                f'STEPHead expects features (N, M, C={self.in_channels}, T, '
                f'V), got {tuple(x.shape)}')
        return x.mean(dim=(1, 3, 4))

    def _classify(self, x: torch.Tensor) -> torch.Tensor:
        """The fused (or, late: affective) classifier."""
        x = self.relu(self.fc_hidden(self.bn(x)))
        return self.fc_cls(self.dropout(x))

    def stream_logits(self,
                      x: torch.Tensor,
                      data_samples: Optional[SampleList] = None
                      ) -> Dict[str, torch.Tensor]:
        """Logits of the fused model and of each stream that has its own.

        Args:
            x (torch.Tensor): Backbone features ``(N, M, C, T, V)``.
            data_samples (list[:obj:`ActionDataSample`], optional): The batch
                data samples carrying ``affective_feats``.

        Returns:
            dict[str, torch.Tensor]: ``fused`` and, where the head has
            them, ``graph`` and ``affective`` logits ``(N, num_classes)``.
        """
        pooled = self._pool(x)
        out = {}
        if self.graph_cls is not None:
            out['graph'] = self.graph_cls(pooled)
        if not self.use_affective:
            out['fused'] = self._classify(pooled)
            return out
        aff = self._affective_feats(data_samples, pooled.shape[0], pooled)
        if self.fusion == 'late':
            out['affective'] = self._classify(aff)
            out['fused'] = out['graph'] + out['affective']
        else:
            out['fused'] = self._classify(torch.cat([pooled, aff], dim=1))
        return out

    def forward(self,
                x: torch.Tensor,
                data_samples: Optional[SampleList] = None,
                **kwargs) -> torch.Tensor:
        """Forward features from the upstream network.

        Args:
            x (torch.Tensor): Backbone features ``(N, M, C, T, V)``.
            data_samples (list[:obj:`ActionDataSample`], optional): The batch
                data samples carrying ``affective_feats``. Only needed with
                ``use_affective=True``. Defaults to None.

        Returns:
            torch.Tensor: Classification logits ``(N, num_classes)``.
        """
        return self.stream_logits(x, data_samples)['fused']

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict:
        """Compute the loss, handing the data samples to :meth:`forward`.

        Args:
            feats (torch.Tensor): Backbone features ``(N, M, C, T, V)``.
            data_samples (list[:obj:`ActionDataSample`]): The batch data
                samples with ``gt_labels`` (and ``affective_feats``).

        Returns:
            dict: A dictionary of loss components.
        """
        logits = self.stream_logits(feats, data_samples)
        losses = self.loss_by_feat(logits['fused'], data_samples)
        if self.stream_loss_weight > 0:
            for name in ('graph', 'affective'):
                if name in logits:
                    loss = self.loss_by_feat(logits[name],
                                             data_samples)['loss_cls']
                    losses[f'loss_{name}'] = self.stream_loss_weight * loss
        return losses

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        """Predict, handing the data samples to :meth:`forward`.

        Args:
            feats (torch.Tensor): Backbone features ``(N, M, C, T, V)``.
            data_samples (list[:obj:`ActionDataSample`]): The batch data
                samples (with ``affective_feats``).

        Returns:
            list[:obj:`ActionDataSample`]: The data samples with
            ``pred_scores`` and ``pred_labels``.
        """
        cls_scores = self(feats, data_samples, **kwargs)
        return self.predict_by_feat(cls_scores, data_samples)
