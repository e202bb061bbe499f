# Copyright (c) step_mm contributors. All rights reserved.
"""STEP-Gen: a conditional VAE of emotional gaits with ST-GCN encoder and
decoder, trained with a push-pull regulariser."""
from contextlib import contextmanager
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from mmengine.model import BaseModel

from ..utils import check_choice

#: Latent prior of the STEP reference code's generation: N(-1.5, 3^2).
REFERENCE_PRIOR = (-1.5, 3.0)
#: The priors ``STEPGen.generate`` can sample from.
PRIORS = ('normal', 'reference', 'fitted')


@MODELS.register_module()
class STEPGen(BaseModel):
    """STEP-Gen conditional VAE.

    ``loss`` encodes a real gait with its emotion to ``N(mu, sigma^2)``,
    decodes a reparameterised sample with the same emotion and returns the
    reconstruction and KL losses; with ``loss_pushpull`` it also decodes
    latent codes drawn from the prior with the batch's emotions and adds the
    push-pull and realism terms for those generated gaits (the gaits
    generation will produce). One optimiser and mmengine's default
    ``BaseModel.train_step`` train everything.

    Inputs are batches of ``EGaitDataset`` through ``NormalizeGait ->
    GaitToLength(num_frames) -> FormatGCNInput(num_person=1) ->
    PackGaitInputs(algorithm_keys=())``: ``(N, 1, 1, T, 16, 3)``, labels in
    ``data_sample.gt_labels.item``.

    Args:
        encoder (dict): Config of the encoder (e.g. ``STEPGenEncoder``).
        decoder (dict): Config of the decoder (e.g. ``STEPGenDecoder``).
        loss_recon (dict): Reconstruction loss. Defaults to
            ``GaitReconstructionLoss``.
        loss_kl (dict): KL loss. Defaults to ``KLDivergenceLoss``.
        loss_pushpull (dict, optional): Push-pull regulariser
            (``PushPullLoss``); None or ``loss_weight=0`` skips it and the
            extra decoder pass. Defaults to None.
        num_classes (int): Number of emotions. Defaults to 4.
        default_prior (str): The prior ``generate`` (and so ``predict``,
            the val/test loops and the generation tools) samples from:
            ``'normal'`` (N(0, I), the training prior), ``'reference'``
            or ``'fitted'`` (a Gaussian per emotion fitted to the posterior
            means of the training gaits by :meth:`fit_prior`, usually
            through ``FitLatentPriorHook``; it lives in the model's buffers
            and checkpoints). Defaults to ``'normal'``.
        data_preprocessor (dict, optional): Defaults to
            ``ActionDataPreprocessor``.
        init_cfg (dict or list[dict], optional): Defaults to None.

    Examples:
        >>> import torch
        >>> from mmaction.registry import MODELS
        >>> model = MODELS.build(dict(
        ...     type='STEPGen', encoder=dict(type='STEPGenEncoder'),
        ...     decoder=dict(type='STEPGenDecoder')))
        >>> model.generate([0, 1, 2]).shape
        torch.Size([3, 75, 16, 3])
    """

    def __init__(self,
                 encoder: dict,
                 decoder: dict,
                 loss_recon: dict = dict(type='GaitReconstructionLoss'),
                 loss_kl: dict = dict(type='KLDivergenceLoss'),
                 loss_pushpull: Optional[dict] = None,
                 num_classes: int = 4,
                 default_prior: str = 'normal',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ActionDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_classes = num_classes
        self.encoder = MODELS.build(encoder)
        self.decoder = MODELS.build(decoder)
        for name, part in (('encoder', self.encoder),
                           ('decoder', self.decoder)):
            if getattr(part, 'num_classes', num_classes) != num_classes:
                raise ValueError(
                    f'STEPGen: {name}.num_classes={part.num_classes} but '
                    f'num_classes={num_classes}')
        if self.encoder.latent_dim != self.decoder.latent_dim:
            raise ValueError(
                f'STEPGen: encoder latent_dim={self.encoder.latent_dim} but '
                f'decoder latent_dim={self.decoder.latent_dim}')
        self.latent_dim = self.decoder.latent_dim
        self.num_frames = self.decoder.num_frames
        check_choice('default_prior', default_prior, PRIORS, 'STEPGen')
        self.default_prior = default_prior
        # the fitted prior (fit_prior): per emotion, the mean and the
        # Cholesky factor of the covariance of the training posterior means
        self.register_buffer('prior_mean',
                             torch.zeros(num_classes, self.latent_dim))
        self.register_buffer(
            'prior_scale_tril',
            torch.eye(self.latent_dim).repeat(num_classes, 1, 1))
        self.register_buffer('prior_fitted',
                             torch.zeros(num_classes, dtype=torch.bool))
        self.loss_recon = MODELS.build(loss_recon)
        self.loss_kl = MODELS.build(loss_kl)
        self.loss_pushpull = (MODELS.build(loss_pushpull)
                              if loss_pushpull is not None else None)

    # ----------------------------------------------------------- helpers
    def _gaits(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(N, 1, 1, T, V, C)`` (or ``(N, T, V, C)``) -> ``(N, T, V, C)``.
        """
        if inputs.ndim == 6:
            if inputs.shape[1:3] != (1, 1):
                raise ValueError(
                    'STEPGen expects one clip of one person per gait, inputs '
                    f'(N, 1, 1, T, V, C); got {tuple(inputs.shape)} (use '
                    'FormatGCNInput(num_person=1) in the pipeline)')
            inputs = inputs[:, 0, 0]
        if inputs.ndim != 4:
            raise ValueError('STEPGen expects inputs (N, 1, 1, T, V, C) or '
                             f'(N, T, V, C), got {tuple(inputs.shape)}')
        return inputs

    def _labels(self, data_samples: Optional[SampleList],
                device: torch.device) -> torch.Tensor:
        if not data_samples:
            raise ValueError('STEPGen needs data samples with gt_labels '
                             '(the emotion to condition on)')
        try:
            labels = [ds.gt_labels.item.reshape(-1)[:1]
                      for ds in data_samples]
        except AttributeError as e:
            raise ValueError('STEPGen: a data sample has no gt_labels.item; '
                             'pack the label with PackGaitInputs') from e
        labels = torch.cat(labels).long().to(device)
        return self._check_labels(labels)

    def _check_labels(self, labels: torch.Tensor) -> torch.Tensor:
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= self.num_classes):
            raise ValueError(f'STEPGen: labels must lie in 0..'
                             f'{self.num_classes - 1}, got '
                             f'{labels.unique().tolist()}')
        return labels

    def _as_labels(self, labels, device) -> torch.Tensor:
        """``(N,)`` long emotions on ``device``, checked."""
        return self._check_labels(
            torch.as_tensor(labels, dtype=torch.long,
                            device=device).reshape(-1))

    def _gaits_and_labels(self, gaits: torch.Tensor, labels,
                          name: str) -> Tuple[torch.Tensor, torch.Tensor]:
        """Gaits ``(N, T, V, C)`` and as many checked labels."""
        gaits = self._gaits(gaits)
        labels = self._as_labels(labels, gaits.device)
        if labels.numel() != gaits.shape[0]:
            raise ValueError(f'{name}: {gaits.shape[0]} gaits but '
                             f'{labels.numel()} labels')
        return gaits, labels

    @contextmanager
    def _eval_mode(self):
        """Eval mode (batch-norm running statistics) inside, the previous
        mode restored after."""
        was_training = self.training
        self.eval()
        try:
            yield
        finally:
            self.train(was_training)

    def _onehot(self, labels: torch.Tensor) -> torch.Tensor:
        return F.one_hot(labels, self.num_classes).float()

    def sample_prior(self,
                     n: int,
                     prior: str = 'normal',
                     generator: Optional[torch.Generator] = None,
                     device: Optional[torch.device] = None,
                     labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Draw ``(n, latent_dim)`` latent codes.

        Args:
            n (int): Number of codes.
            prior (str): ``'normal'`` (N(0, I), the training prior),
                ``'reference'`` (N(-1.5, 3^2), as the STEP reference code
                generates) or ``'fitted'`` (:meth:`fit_prior`; needs
                ``labels``). Defaults to ``'normal'``.
            generator (torch.Generator, optional): Randomness source.
            device (torch.device, optional): Defaults to the model's.
            labels (torch.Tensor, optional): ``(n,)`` emotions, for the
                fitted prior.

        Returns:
            torch.Tensor: Latent codes.
        """
        check_choice('prior', prior, PRIORS, 'STEPGen')
        device = device or self.decoder.pos_embed.device
        gen_device = generator.device if generator is not None else device
        z = torch.randn(n, self.latent_dim, generator=generator,
                        device=gen_device).to(device)
        if prior == 'reference':
            mean, std = REFERENCE_PRIOR
            z = z * std + mean
        elif prior == 'fitted':
            if labels is None or labels.numel() != n:
                raise ValueError("STEPGen: prior 'fitted' needs one label "
                                 'per code')
            labels = labels.to(self.prior_mean.device)
            missing = sorted(set(labels[~self.prior_fitted[labels]].tolist()))
            if missing:
                raise ValueError(
                    f'STEPGen: the fitted prior has no codes of class(es) '
                    f'{missing}; fit it with fit_prior() (FitLatentPriorHook '
                    'in training), or use a checkpoint trained with it')
            z = self.prior_mean[labels].to(device) + (
                self.prior_scale_tril[labels].to(device)
                @ z.unsqueeze(-1)).squeeze(-1)
        return z

    @torch.no_grad()
    def fit_prior(self,
                  gaits: torch.Tensor,
                  labels: Union[torch.Tensor, Sequence[int]],
                  shrinkage: float = 0.1,
                  batch_size: int = 256) -> torch.Tensor:
        """Fit the ``'fitted'`` prior to real gaits (ex-post density
        estimation, Ghosh et al., ICLR 2020).

        With a small KL weight the training posteriors do not fill N(0, I),
        and codes drawn from it decode to gaits unlike any training gait.
        Here every gait is encoded with its emotion (eval mode), and per
        emotion a Gaussian is fitted to the posterior means: their mean and
        covariance, shrunk towards its diagonal by ``shrinkage``. Classes
        with fewer than two gaits stay unfitted.

        Args:
            gaits (torch.Tensor): ``(N, T, V, C)`` (or ``(N, 1, 1, T, V,
                C)``) gaits of the encoder's length.
            labels (torch.Tensor | Sequence[int]): ``(N,)`` emotions.
            shrinkage (float): In ``[0, 1]``. Defaults to 0.1.
            batch_size (int): Gaits encoded at a time. Defaults to 256.

        Returns:
            torch.Tensor: ``(num_classes,)`` gaits per class used.
        """
        if not 0 <= shrinkage <= 1:
            raise ValueError(f'shrinkage must lie in [0, 1], got {shrinkage}')
        gaits, labels = self._gaits_and_labels(
            torch.as_tensor(gaits).to(self.prior_mean.device).float(),
            labels, 'fit_prior')
        with self._eval_mode():
            mu = torch.cat([
                self.encode(gaits[i:i + batch_size],
                            labels[i:i + batch_size])[0]
                for i in range(0, len(gaits), batch_size)
            ]).double()
        counts = torch.bincount(labels, minlength=self.num_classes)
        eye = torch.eye(self.latent_dim, dtype=torch.float64,
                        device=mu.device)
        for c in range(self.num_classes):
            codes = mu[labels == c]
            if len(codes) < 2:
                self.prior_fitted[c] = False
                continue
            mean = codes.mean(0)
            cov = torch.cov(codes.T).reshape(self.latent_dim,
                                             self.latent_dim)
            cov = (1 - shrinkage) * cov + shrinkage * torch.diag(
                torch.diag(cov)) + 1e-6 * eye
            self.prior_mean[c] = mean.float()
            self.prior_scale_tril[c] = torch.linalg.cholesky(cov).float()
            self.prior_fitted[c] = True
        return counts

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Checkpoints from before the fitted prior load with it unfitted."""
        unfitted = dict(
            prior_mean=torch.zeros_like(self.prior_mean),
            prior_scale_tril=torch.eye(self.latent_dim).expand_as(
                self.prior_scale_tril),
            prior_fitted=torch.zeros_like(self.prior_fitted))
        for name, value in unfitted.items():
            state_dict.setdefault(prefix + name, value)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------- modes
    def encode(self, gaits: torch.Tensor, labels: torch.Tensor):
        """``(mu, logvar)`` of ``(N, T, V, C)`` gaits with their labels."""
        return self.encoder(gaits, self._onehot(labels))

    def decode(self, z: torch.Tensor, labels: torch.Tensor,
               num_frames: Optional[int] = None) -> torch.Tensor:
        """``(N, T, V, C)`` gaits of latent codes with labels."""
        return self.decoder(z, self._onehot(labels), num_frames)

    @staticmethod
    def reparameterize(mu: torch.Tensor,
                       logvar: torch.Tensor) -> torch.Tensor:
        """``mu + sigma * eps``."""
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    @torch.no_grad()
    def generate(self,
                 labels: Union[torch.Tensor, Sequence[int]],
                 num_frames: int = 75,
                 prior: Optional[str] = None,
                 generator: Optional[torch.Generator] = None
                 ) -> torch.Tensor:
        """Generate gaits of the given emotions from the prior.

        Runs in eval mode (batch-norm running statistics) and restores the
        previous mode.

        Args:
            labels (torch.Tensor | Sequence[int]): ``(N,)`` emotions.
            num_frames (int): Output length. Defaults to 75.
            prior (str, optional): ``'normal'``, ``'reference'`` or
                ``'fitted'``. Defaults to None: the model's
                ``default_prior``.
            generator (torch.Generator, optional): Randomness source.

        Returns:
            torch.Tensor: ``(N, num_frames, 16, 3)`` joint positions.
        """
        device = self.decoder.pos_embed.device
        labels = self._as_labels(labels, device)
        with self._eval_mode():
            z = self.sample_prior(labels.numel(), prior or self.default_prior,
                                  generator, device, labels)
            return self.decode(z, labels, num_frames)

    @torch.no_grad()
    def resample(self,
                 gaits: torch.Tensor,
                 labels: Union[torch.Tensor, Sequence[int]],
                 temperature: float = 1.0,
                 generator: Optional[torch.Generator] = None
                 ) -> torch.Tensor:
        """Variations of real gaits: decode samples of their posterior.

        Each gait is encoded with its emotion to ``N(mu, sigma^2)`` and a
        code ``mu + temperature * sigma * eps`` is decoded with the same
        emotion (``temperature=0`` gives the posterior mean, i.e. the
        reconstruction). Runs in eval mode and restores the previous mode.

        Args:
            gaits (torch.Tensor): ``(N, T, V, C)`` gaits of the encoder's
                length (e.g. looped to 75 frames as in training).
            labels (torch.Tensor | Sequence[int]): ``(N,)`` emotions.
            temperature (float): Scale of the posterior noise.
                Defaults to 1.0.
            generator (torch.Generator, optional): Randomness source.

        Returns:
            torch.Tensor: ``(N, T, V, C)`` joint positions.
        """
        if temperature < 0:
            raise ValueError(f'temperature must be >= 0, got {temperature}')
        gaits, labels = self._gaits_and_labels(gaits, labels, 'resample')
        with self._eval_mode():
            mu, logvar = self.encode(gaits, labels)
            gen_device = generator.device if generator is not None \
                else mu.device
            eps = torch.randn(mu.shape, generator=generator,
                              device=gen_device).to(mu.device)
            z = mu + temperature * eps * torch.exp(0.5 * logvar)
            return self.decode(z, labels, gaits.shape[1])

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Losses of a batch of real gaits (see class docstring)."""
        real = self._gaits(inputs)
        labels = self._labels(data_samples, real.device)
        mu, logvar = self.encode(real, labels)
        recon = self.decode(self.reparameterize(mu, logvar), labels,
                            real.shape[1])
        losses = dict(
            loss_recon=self.loss_recon(recon, real),
            loss_kl=self.loss_kl(mu, logvar))
        losses['kl'] = self.loss_kl.divergence(mu, logvar).mean().detach()
        pp = self.loss_pushpull
        if pp is not None and pp.loss_weight > 0:
            z = self.sample_prior(real.shape[0], device=real.device)
            gen = self.decode(z, labels, real.shape[1])
            losses.update(pp(gen, labels, real, labels))
        return losses

    def predict(self, inputs: torch.Tensor,
                data_samples: SampleList) -> SampleList:
        """Generate one gait per data sample from the prior, of its label.

        Sets ``data_sample.generated_gait`` ``(T, 16, 3)`` and
        ``data_sample.real_gait`` (the input, for comparisons).
        """
        real = self._gaits(inputs)
        labels = self._labels(data_samples, real.device)
        gen = self.generate(labels, real.shape[1])
        for ds, g, r in zip(data_samples, gen, real):
            ds.set_field(g, 'generated_gait')
            ds.set_field(r, 'real_gait')
        return data_samples

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'predict'``: data samples with
        generated gaits; ``'tensor'``: reconstructions ``(N, T, V, C)`` (the
        posterior mean in eval mode, a sample in training mode)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            real = self._gaits(inputs)
            labels = self._labels(data_samples, real.device)
            mu, logvar = self.encode(real, labels)
            z = self.reparameterize(mu, logvar) if self.training else mu
            return self.decode(z, labels, real.shape[1])
        raise RuntimeError(f'STEPGen: invalid mode {mode!r}; use "loss", '
                           '"predict" or "tensor"')
