# Copyright (c) step_mm contributors. All rights reserved.
import glob
import os.path as osp

import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.structures import LabelData

from step_mm.models.generators import (STEPGen, STEPGenDecoder,
                                       STEPGenEncoder)
from step_mm.skeleton import EGAIT_LAYOUT

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'step_gen', '*.py')))
MAIN = [c for c in CONFIGS if 'no-pushpull' not in c][0]


def _samples(labels):
    out = []
    for k in labels:
        ds = ActionDataSample()
        ds.gt_labels = LabelData(item=torch.tensor(k))
        out.append(ds)
    return out


def _tiny_batch(tiny_egait, cfg, n=4):
    """``n`` gaits of the tiny data set through the config's pipeline."""
    ds_cfg = cfg.train_dataloader.dataset.copy()
    ds_cfg.update(data_root=tiny_egait, protocol='all')
    ds = DATASETS.build(ds_cfg)
    return pseudo_collate([ds[i] for i in range(n)])


def test_encoder_decoder_shapes():
    enc = STEPGenEncoder(channels=(8, 16, 16), strides=(2, 2, 1))
    mu, logvar = enc(torch.randn(3, 75, 16, 3), torch.eye(4)[:3])
    assert mu.shape == logvar.shape == (3, 32)
    assert enc.out_frames == 19
    with pytest.raises(ValueError, match='GaitToLength'):
        enc(torch.randn(3, 50, 16, 3), torch.eye(4)[:3])
    dec = STEPGenDecoder(channels=(16, 8, 8), latent_dim=32)
    with torch.no_grad():
        out = dec(torch.randn(3, 32), torch.eye(4)[:3])
    assert out.shape == (3, 75, 16, 3)
    assert float(out[:, :, 0].abs().max()) == 0.0  # root fixed at 0
    assert dec(torch.randn(2, 32), torch.eye(4)[:2], 40).shape == (2, 40,
                                                                   16, 3)


def test_kinematic_decoder_has_rigid_bones():
    from step_mm.models.losses import bone_length_variation
    from step_mm.skeleton import REFERENCE_POSE
    torch.manual_seed(0)
    dec = STEPGenDecoder(channels=(16, 8, 8), output_mode='kinematic')
    with torch.no_grad():
        start = dec(torch.zeros(1, 32), torch.eye(4)[:1])
        # at initialisation: the reference pose
        ref = torch.from_numpy(REFERENCE_POSE)
        assert float((start[0] - ref).abs().max()) < 0.02
        torch.nn.init.normal_(dec.out.weight, std=1.0)
        torch.nn.init.normal_(dec.length_head.weight, std=1.0)
        out = dec(torch.randn(3, 32), torch.eye(4)[:3])
    assert out.shape == (3, 75, 16, 3)
    assert float(out[:, :, 0].abs().max()) == 0.0
    assert float(out.std(1).mean()) > 0.01  # it moves ...
    assert float(bone_length_variation(out).max()) < 1e-10  # ... rigidly
    # per-gait lengths: gaits differ in size
    lengths = (out[:, 0, 12] - out[:, 0, 11]).norm(dim=-1)
    assert float(lengths.max() - lengths.min()) > 1e-3
    bad = dict(layout=dict(num_node=16, inward=[(1, 0)], center=0),
               mode='stgcn_spatial')
    with pytest.raises(ValueError, match='tree'):
        STEPGenDecoder(graph_cfg=bad, output_mode='kinematic')
    with pytest.raises(ValueError, match='output_mode'):
        STEPGenDecoder(output_mode='angles')


def test_encoder_bounds_logvar():
    enc = STEPGenEncoder(channels=(8, 8, 8))
    torch.nn.init.constant_(enc.head.bias, 1e3)
    with torch.no_grad():
        _, logvar = enc(torch.randn(2, 75, 16, 3), torch.eye(4)[:2])
    assert float(logvar.max()) <= 10.0


def test_decoder_has_temporal_structure():
    """Frames differ: the decoder is not fed one constant per-frame code."""
    torch.manual_seed(0)
    dec = STEPGenDecoder(channels=(16, 8, 8))
    torch.nn.init.normal_(dec.out.weight, std=1.0)
    dec.eval()
    with torch.no_grad():
        out = dec(torch.zeros(1, 32), torch.eye(4)[:1])
        # and the output depends on the latent code and on the emotion
        other_z = dec(torch.ones(1, 32), torch.eye(4)[:1])
        other_y = dec(torch.zeros(1, 32), torch.eye(4)[1:2])
    frame_diff = (out[:, 1:] - out[:, :-1]).abs().amax()
    assert float(frame_diff) > 1e-3
    assert float((out - other_z).abs().max()) > 1e-4
    assert float((out - other_y).abs().max()) > 1e-4


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_config_builds(config):
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    assert isinstance(model, STEPGen)
    # the configs generate from the prior fitted in training
    assert model.default_prior == 'fitted'
    assert cfg.custom_hooks[0].type == 'FitLatentPriorHook'
    with pytest.raises(ValueError, match='fit_prior'):
        model.generate([0])
    gen = model.generate([0, 1, 2, 3], prior='normal')
    assert gen.shape == (4, cfg.model.decoder.frames[-1], 16, 3)
    graph = cfg.model.encoder.graph_cfg
    assert graph['layout']['num_node'] == EGAIT_LAYOUT['num_node']
    assert [tuple(p) for p in graph['layout']['inward']] == [
        tuple(p) for p in EGAIT_LAYOUT['inward']]
    assert cfg.model.decoder.graph_cfg == graph
    assert cfg.train_dataloader.dataset.type == 'EGaitDataset'
    assert cfg.optim_wrapper.optimizer.type == 'Adam'


def test_default_train_step_is_used():
    assert 'train_step' not in STEPGen.__dict__
    assert STEPGen.train_step is BaseModel.train_step


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_train_step_from_config(config, tiny_egait):
    torch.manual_seed(0)
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    batch = _tiny_batch(tiny_egait, cfg)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    log = model.train_step(batch, optim)
    assert all(torch.isfinite(v) for v in log.values())
    assert {'loss', 'loss_recon', 'loss_kl', 'kl'} <= set(log)
    pushpull = cfg.model.loss_pushpull.loss_weight > 0
    assert ('loss_pull' in log) == pushpull
    changed = [
        k for k, v in model.named_parameters()
        if not torch.equal(v.detach(), before[k])
    ]
    assert any(k.startswith('encoder.') for k in changed)
    assert any(k.startswith('decoder.') for k in changed)
    if pushpull:
        assert float(model.loss_pushpull.feat_count) == 4


def _main_model_and_data(tiny_egait, n=4):
    """STEP-Gen of the main config and ``n`` preprocessed tiny gaits."""
    cfg = Config.fromfile(MAIN)
    model = MODELS.build(cfg.model)
    batch = _tiny_batch(tiny_egait, cfg, n=n)
    return model, model.data_preprocessor(batch, False)


def test_predict_and_tensor_modes(tiny_egait):
    model, data = _main_model_and_data(tiny_egait)
    model.eval()
    assert data['inputs'].shape == (4, 1, 1, 75, 16, 3)
    labels = [int(d.gt_labels.item) for d in data['data_samples']]
    # predict samples the configured (fitted) prior: unfitted, it says so
    with pytest.raises(ValueError, match='fit_prior'):
        model(**data, mode='predict')
    model.fit_prior(data['inputs'].repeat(2, 1, 1, 1, 1, 1), labels * 2)
    out = model(**data, mode='predict')
    assert len(out) == 4
    for ds, k in zip(out, labels):
        assert ds.generated_gait.shape == (75, 16, 3)
        assert ds.real_gait.shape == (75, 16, 3)
        assert int(ds.gt_labels.item) == k
    recon = model(**data, mode='tensor')
    assert recon.shape == (4, 75, 16, 3)
    with pytest.raises(RuntimeError, match='invalid mode'):
        model(**data, mode='nope')
    with pytest.raises(ValueError, match='one clip of one person'):
        model(torch.zeros(4, 1, 2, 75, 16, 3), data['data_samples'],
              mode='tensor')


def test_generate_priors_and_seeding():
    model = MODELS.build(Config.fromfile(MAIN).model)
    for prior in ('normal', 'reference'):
        g1 = model.generate([0, 1], prior=prior,
                            generator=torch.Generator().manual_seed(3))
        g2 = model.generate([0, 1], prior=prior,
                            generator=torch.Generator().manual_seed(3))
        assert torch.equal(g1, g2)
    z = model.sample_prior(4000, 'reference',
                           torch.Generator().manual_seed(0))
    assert float(z.mean()) == pytest.approx(-1.5, abs=0.05)
    assert float(z.std()) == pytest.approx(3.0, abs=0.05)
    z = model.sample_prior(4000, 'normal', torch.Generator().manual_seed(0))
    assert float(z.mean()) == pytest.approx(0.0, abs=0.05)
    model.train()
    model.generate([2], prior='reference')
    assert model.training  # mode restored
    with pytest.raises(ValueError, match='labels must lie'):
        model.generate([4], prior='normal')
    with pytest.raises(ValueError, match='prior'):
        model.generate([0], prior='uniform')
    with pytest.raises(ValueError, match='gt_labels'):
        model.loss(torch.zeros(1, 1, 1, 75, 16, 3), [ActionDataSample()])
    with pytest.raises(ValueError, match='labels must lie'):
        model.loss(torch.zeros(2, 1, 1, 75, 16, 3), _samples([0, 5]))


@pytest.mark.parametrize('c_in,c_out,stride,residual',
                         [(7, 32, 2, False), (32, 48, 2, True),
                          (48, 48, 1, True), (16, 48, 1, True),
                          (48, 32, 1, True), (32, 16, 1, True)])
def test_stepgen_block_equals_stgcn_block(c_in, c_out, stride, residual):
    """``STEPGenBlock`` (1x1 convs as ``baddbmm``, aggregate-first where
    ``c_in < c_out``) is mmaction2's ``STGCNBlock``: same state-dict keys
    and initialisation, and in float64 the same outputs, gradients and
    batch-norm statistics."""
    from mmaction.models.backbones.stgcn import STGCNBlock
    from mmaction.models.utils import Graph

    from step_mm.models.generators.stepgen_modules import STEPGenBlock
    A = torch.tensor(
        Graph(layout=EGAIT_LAYOUT, mode='stgcn_spatial').A,
        dtype=torch.float32)
    torch.manual_seed(0)
    ref = STGCNBlock(c_in, c_out, A.clone(), stride=stride,
                     residual=residual)
    torch.manual_seed(0)
    new = STEPGenBlock(c_in, c_out, A.clone(), stride=stride,
                       residual=residual)
    ref_sd, new_sd = ref.state_dict(), new.state_dict()
    assert list(new_sd) == list(ref_sd)
    assert all(torch.equal(new_sd[k], ref_sd[k]) for k in ref_sd)
    gen = torch.Generator().manual_seed(1)
    state = {
        k: v + 0.1 * torch.randn(v.shape, generator=gen)
        if v.is_floating_point() and not k.endswith('.A') else v
        for k, v in ref_sd.items()
    }
    x = torch.randn(4, c_in, 12, 16, generator=gen, dtype=torch.float64)
    # float64 proves the equality; float32 only checks that the fast path
    # stays accurate (its sums run in another order than the convolution's,
    # and the order, hence the rounding, changes with the thread count)
    for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 1e-4)):
        outs, grads = [], []
        for block in (ref, new):
            block.load_state_dict(state)
            block.to(dtype).train()
            xi = x.to(dtype).clone().requires_grad_()
            out = block(xi)
            out.backward(torch.cos(torch.arange(out.numel(),
                                                dtype=dtype)).view_as(out))
            outs.append(out.detach())
            grads.append([xi.grad] + [p.grad for p in block.parameters()] +
                         [b for b in block.buffers()
                          if b.is_floating_point()])
            block.zero_grad()
        assert outs[1].shape == outs[0].shape
        scale = outs[0].abs().max()
        assert (outs[1] - outs[0]).abs().max() <= tol * scale
        for a, b in zip(*grads):
            assert (b - a).abs().max() <= tol * max(a.abs().max(), 1.0)


def test_pointwise_conv_equals_conv2d():
    from step_mm.models.generators.stepgen_modules import PointwiseConv2d
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(6, 5, 1, stride=(2, 1)).double()
    torch.manual_seed(0)
    new = PointwiseConv2d(6, 5, stride=2).double()
    assert torch.equal(ref.weight, new.weight)
    x = torch.randn(3, 6, 11, 16, dtype=torch.float64)
    assert torch.allclose(new(x), ref(x), rtol=1e-12, atol=1e-12)


def test_resample_decodes_the_posterior_of_real_gaits(tiny_egait):
    model, data = _main_model_and_data(tiny_egait)
    model.train()
    labels = [int(d.gt_labels.item) for d in data['data_samples']]
    mean = model.resample(data['inputs'], labels, temperature=0)
    assert model.training  # mode restored
    model.eval()
    # temperature 0 is the posterior mean: the eval-mode reconstruction
    torch.testing.assert_close(mean, model(**data, mode='tensor'))
    a = model.resample(data['inputs'], labels,
                       generator=torch.Generator().manual_seed(1))
    b = model.resample(data['inputs'], labels,
                       generator=torch.Generator().manual_seed(1))
    assert a.shape == (4, 75, 16, 3) and torch.equal(a, b)
    assert float((a - mean).abs().max()) > 1e-6
    with pytest.raises(ValueError, match='4 gaits but 3 labels'):
        model.resample(data['inputs'], labels[:3])
    with pytest.raises(ValueError, match='temperature'):
        model.resample(data['inputs'], labels, temperature=-1)
