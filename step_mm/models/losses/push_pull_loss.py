# Copyright (c) step_mm contributors. All rights reserved.
"""STEP-Gen's push-pull regulariser on affective features, plus realism.

Formulation (the paper's exact wording was not available offline; this is
the one step_mm uses, documented in ``configs/step_gen/README.md``):

1. ``f(x)`` are the 28 differentiable affective features of a gait
   (:func:`step_mm.skeleton.affective_features` without the cycle time),
   standardised with the mean and standard deviation of *real* training
   gaits (running statistics over every real batch seen, no gradient).
2. Real gaits keep one centroid ``c_k`` per class in that feature space
   (a running mean that becomes an EMA with rate ``momentum``).
3. ``d(f, c) = sqrt(mean_j (f_j - c_j)^2)`` is an RMS distance in units of
   the real data's standard deviation.
4. For a generated gait ``x`` of intended class ``y``:

   - pull ``= max(0, d(f(x), c_y) - pull_radius)``: stay near your class
     (gaits already within ``pull_radius`` keep their diversity);
   - push ``= mean_{k != y} max(0, margin - d(f(x), c_k))``: keep away
     from every other class;

   Both hinges are linear in the distance, so their gradient stays bounded
   however far an early, noisy generated gait lies from the real data.
   - bone ``= max(0, b(x) - b_real)`` with ``b = mean_b var_t(len_b) /
     mean_t(len_b)^2``: bones as rigid as real ones;
   - foot ``= max(0, s(x) - s_real)`` with ``s`` the contact-weighted mean
     squared horizontal speed of the feet once the body velocity is
     removed (see :mod:`step_mm.skeleton.geometry`), with contact
     weights from the detached gait so that lifting the feet is no way out.

   ``b_real`` and ``s_real`` are running means over the real gaits seen
   (``realism_reference='real'``): generated gaits are asked to be as rigid
   and as planted as real captures, not more, since driving the terms to
   zero is easiest by barely moving (legs that drag). With
   ``realism_reference='zero'`` the raw terms are used.

Each term is averaged over the batch and weighted; the whole dict is scaled
by ``loss_weight`` (0 switches the regulariser off).
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS

from step_mm.skeleton import NUM_AFFECTIVE_FEATURES, affective_features
from step_mm.skeleton.geometry import (bone_length_variation,
                                       foot_contact_weights, foot_slide_sq)
from ..utils import check_choice

#: Every affective feature except the cycle time (index 28), which counts
#: peaks and has no useful gradient.
DIFFERENTIABLE_AFFECTIVE = tuple(range(NUM_AFFECTIVE_FEATURES - 1))

_EPS = 1e-6


@MODELS.register_module()
class PushPullLoss(nn.Module):
    """Push-pull affective-feature regulariser with realism terms.

    Call :meth:`update_real_stats` (or pass ``real``/``real_labels`` to
    :meth:`forward` in training mode) with real gaits so the feature scaling
    and class centroids are known; until a class has been seen it takes no
    part in pull or push.

    Args:
        num_classes (int): Number of emotion classes. Defaults to 4.
        fps (float): Frame rate of the gaits. Defaults to 30.
        feature_index (Sequence[int]): Affective features used. Defaults to
            all but the cycle time.
        margin (float): Push margin, in the real data's standard deviations
            (RMS over features). Defaults to 0.5.
        pull_radius (float): Distance to the own centroid that is not
            pulled further. Defaults to 0.5.
        momentum (float): Smallest update rate of the class centroids (the
            update is a running mean until ``1 / momentum`` gaits of a class
            were seen, then an EMA). Defaults to 0.01.
        pull_weight (float): Defaults to 1.
        push_weight (float): Defaults to 1.
        bone_weight (float): Defaults to 1.
        foot_weight (float): Defaults to 0.01.
        contact_cfg (dict, optional): Keyword arguments of
            :func:`foot_contact_weights` (``height_margin``, ``softness``).
        realism_reference (str): ``'real'`` (hinge at the real gaits'
            level) or ``'zero'``. Defaults to ``'real'``.
        loss_weight (float): Multiplies every term. Defaults to 1.

    Examples:
        >>> import torch
        >>> loss = PushPullLoss(num_classes=4)
        >>> real, labels = torch.randn(8, 75, 16, 3), torch.arange(8) % 4
        >>> loss.update_real_stats(real, labels)
        >>> out = loss(torch.randn(8, 75, 16, 3), labels)
        >>> sorted(out)
        ['loss_bone', 'loss_foot', 'loss_pull', 'loss_push']
    """

    def __init__(self,
                 num_classes: int = 4,
                 fps: float = 30.0,
                 feature_index: Sequence[int] = DIFFERENTIABLE_AFFECTIVE,
                 margin: float = 0.5,
                 pull_radius: float = 0.5,
                 momentum: float = 0.01,
                 pull_weight: float = 1.0,
                 push_weight: float = 1.0,
                 bone_weight: float = 1.0,
                 foot_weight: float = 0.01,
                 contact_cfg: Optional[dict] = None,
                 realism_reference: str = 'real',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f'PushPullLoss needs >= 2 classes, got '
                             f'{num_classes}')
        bad = [i for i in feature_index
               if not 0 <= i < NUM_AFFECTIVE_FEATURES]
        if bad or not feature_index:
            raise ValueError('PushPullLoss: feature_index must be a non-empty'
                             f' subset of 0..{NUM_AFFECTIVE_FEATURES - 1}, '
                             f'got {tuple(feature_index)}')
        check_choice('realism_reference', realism_reference, ('real', 'zero'),
                     'PushPullLoss')
        self.realism_reference = realism_reference
        self.num_classes = num_classes
        self.fps = fps
        self.feature_index = tuple(int(i) for i in feature_index)
        self.margin = margin
        self.pull_radius = pull_radius
        self.momentum = momentum
        self.pull_weight = pull_weight
        self.push_weight = push_weight
        self.bone_weight = bone_weight
        self.foot_weight = foot_weight
        self.contact_cfg = dict(contact_cfg or {})
        self.loss_weight = loss_weight
        D = len(self.feature_index)
        self.register_buffer('feat_count', torch.zeros(()))
        self.register_buffer('feat_mean', torch.zeros(D))
        self.register_buffer('feat_m2', torch.zeros(D))
        self.register_buffer('class_count', torch.zeros(num_classes))
        self.register_buffer('class_centroid', torch.zeros(num_classes, D))
        self.register_buffer('real_realism', torch.zeros(2))  # bone, foot

    # ------------------------------------------------------------ features
    def features(self, gaits: torch.Tensor) -> torch.Tensor:
        """Raw (unscaled) affective features ``(N, D)`` of ``(N, T, 16, 3)``
        gaits."""
        if gaits.ndim != 4 or gaits.shape[-2:] != (16, 3):
            raise ValueError('PushPullLoss expects gaits (N, T, 16, 3), got '
                             f'{tuple(gaits.shape)}')
        return affective_features(gaits, self.fps)[:, self.feature_index]

    @property
    def feat_std(self) -> torch.Tensor:
        """Standard deviation of the real features seen so far."""
        var = self.feat_m2 / self.feat_count.clamp_min(1.0)
        return var.sqrt().clamp_min(_EPS)

    def normalize(self, feats: torch.Tensor) -> torch.Tensor:
        """Standardise raw features with the real data's statistics."""
        return (feats - self.feat_mean) / self.feat_std

    @torch.no_grad()
    def update_real_stats(self, real: torch.Tensor,
                          labels: torch.Tensor) -> None:
        """Update the feature scaling and class centroids from real gaits.

        Args:
            real (torch.Tensor): ``(N, T, 16, 3)`` real gaits.
            labels (torch.Tensor): ``(N,)`` integer labels.
        """
        feats = self.features(real.detach()).to(self.feat_mean.dtype)
        labels = labels.reshape(-1).long()
        if labels.numel() != feats.shape[0]:
            raise ValueError(f'PushPullLoss: {feats.shape[0]} gaits but '
                             f'{labels.numel()} labels')
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= self.num_classes):
            raise ValueError('PushPullLoss: labels must lie in 0..'
                             f'{self.num_classes - 1}, got '
                             f'{labels.unique().tolist()}')
        # running mean / variance (Chan et al.'s parallel merge)
        n_b = float(feats.shape[0])
        mean_b = feats.mean(0)
        m2_b = ((feats - mean_b)**2).sum(0)
        n_a = self.feat_count.clone()
        n = n_a + n_b
        delta = mean_b - self.feat_mean
        self.feat_mean += delta * n_b / n
        self.feat_m2 += m2_b + delta**2 * n_a * n_b / n
        self.feat_count += n_b
        # class centroids: running mean, then EMA with rate `momentum`
        onehot = F.one_hot(labels, self.num_classes).to(feats.dtype)
        n_k = onehot.sum(0)  # (K,)
        sums = onehot.t() @ feats  # (K, D)
        seen = n_k > 0
        batch_mean = sums / n_k.clamp_min(1.0).unsqueeze(1)
        rate = torch.maximum(n_k / (self.class_count + n_k).clamp_min(1.0),
                             torch.full_like(n_k, self.momentum))
        rate = torch.where(seen, rate, torch.zeros_like(rate)).unsqueeze(1)
        self.class_centroid.mul_(1 - rate).add_(rate * batch_mean)
        self.class_count += n_k
        # the real gaits' realism level, same running mean / EMA
        real_terms = torch.stack(self._realism_per_gait(real.detach()),
                                 1).mean(0)
        total = float(self.class_count.sum())
        rate = max(n_b / max(total, 1.0), self.momentum)
        self.real_realism.mul_(1 - rate).add_(
            rate * real_terms.to(self.real_realism.dtype))

    # ------------------------------------------------------------- terms
    def distances(self, gen_feats: torch.Tensor) -> torch.Tensor:
        """RMS distance ``(N, K)`` of raw generated features to each class
        centroid, in the real data's standard deviations."""
        z = self.normalize(gen_feats)
        c = self.normalize(self.class_centroid)
        return torch.sqrt(((z.unsqueeze(1) - c.unsqueeze(0))**2).mean(-1) +
                          _EPS)

    def feature_terms(self, gen: torch.Tensor,
                      labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Unweighted pull and push terms, batch means."""
        labels = labels.reshape(-1).long()
        if self.feat_count <= 1:
            zero = gen.sum() * 0.0
            return dict(pull=zero, push=zero)
        dist = self.distances(self.features(gen))  # (N, K)
        own = F.one_hot(labels, self.num_classes).bool()
        known = (self.class_count > 0).unsqueeze(0)  # (1, K)
        d_own = dist.gather(1, labels.unsqueeze(1)).squeeze(1)
        pull = F.relu(d_own - self.pull_radius)
        pull = torch.where(known.squeeze(0)[labels], pull,
                           torch.zeros_like(pull))
        others = (~own) & known  # (N, K)
        push = F.relu(self.margin - dist) * others
        push = push.sum(1) / others.sum(1).clamp_min(1)
        return dict(pull=pull.mean(), push=push.mean())

    def _realism_per_gait(self, gaits: torch.Tensor):
        """Per-gait relative bone variance and squared foot sliding."""
        bone = bone_length_variation(gaits).mean(-1)
        contact = foot_contact_weights(gaits.detach(), **self.contact_cfg)
        foot = foot_slide_sq(gaits, self.fps, contact=contact)
        return bone, foot

    def realism_terms(self, gen: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Unweighted bone-length and foot-sliding terms, batch means."""
        bone, foot = self._realism_per_gait(gen)
        if self.realism_reference == 'real' and self.feat_count > 0:
            bone = F.relu(bone - self.real_realism[0])
            foot = F.relu(foot - self.real_realism[1])
        return dict(bone=bone.mean(), foot=foot.mean())

    def forward(self,
                gen: torch.Tensor,
                labels: torch.Tensor,
                real: Optional[torch.Tensor] = None,
                real_labels: Optional[torch.Tensor] = None
                ) -> Dict[str, torch.Tensor]:
        """Weighted terms for generated gaits.

        Args:
            gen (torch.Tensor): ``(N, T, 16, 3)`` generated gaits.
            labels (torch.Tensor): ``(N,)`` their intended classes.
            real (torch.Tensor, optional): ``(M, T', 16, 3)`` real gaits;
                in training mode they update the statistics first.
            real_labels (torch.Tensor, optional): ``(M,)`` their labels.

        Returns:
            dict[str, torch.Tensor]: ``loss_pull``, ``loss_push``,
            ``loss_bone`` and ``loss_foot``.
        """
        if real is not None and self.training:
            if real_labels is None:
                raise ValueError('PushPullLoss: real gaits given without '
                                 'real_labels')
            self.update_real_stats(real, real_labels)
        terms = self.feature_terms(gen, labels)
        terms.update(self.realism_terms(gen))
        w = dict(pull=self.pull_weight, push=self.push_weight,
                 bone=self.bone_weight, foot=self.foot_weight)
        return {
            f'loss_{k}': self.loss_weight * w[k] * v
            for k, v in terms.items()
        }

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, margin={self.margin}, '
                f'pull_radius={self.pull_radius}, pull_weight='
                f'{self.pull_weight}, push_weight={self.push_weight}, '
                f'bone_weight={self.bone_weight}, foot_weight='
                f'{self.foot_weight}, loss_weight={self.loss_weight}')
