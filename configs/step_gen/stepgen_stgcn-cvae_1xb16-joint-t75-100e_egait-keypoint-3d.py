# STEP-Gen: ST-GCN conditional VAE with the push-pull regulariser, trained
# on one fold's train subset of E-Gait (protocol/fold/seed below). Losses and
# weights are explained in configs/step_gen/README.md.
_base_ = ['../_base_/default_runtime.py']

num_classes = 4
num_frames = 75

# The E-Gait skeleton, written literally (configs cannot import Python); a
# test checks it equals step_mm.skeleton.EGAIT_LAYOUT.
egait_layout = dict(
    num_node=16,
    inward=[(1, 0), (2, 1), (3, 2), (4, 2), (5, 4), (6, 5), (7, 2), (8, 7),
            (9, 8), (10, 0), (11, 10), (12, 11), (13, 0), (14, 13),
            (15, 14)],
    center=0)
graph_cfg = dict(layout=egait_layout, mode='stgcn_spatial')

model = dict(
    type='STEPGen',
    num_classes=num_classes,
    # generate from per-emotion Gaussians fitted to the train gaits' codes
    # (FitLatentPriorHook below): with this small KL weight the codes do not
    # fill N(0, I), and N(0, I) samples move less and alike
    default_prior='fitted',
    data_preprocessor=dict(type='ActionDataPreprocessor'),
    encoder=dict(
        type='STEPGenEncoder',
        graph_cfg=graph_cfg,
        num_classes=num_classes,
        num_frames=num_frames,
        latent_dim=32,
        channels=(32, 48, 48),
        strides=(2, 2, 1),
        head_channels=8),
    decoder=dict(
        type='STEPGenDecoder',
        graph_cfg=graph_cfg,
        num_classes=num_classes,
        latent_dim=32,
        seed_channels=16,
        channels=(48, 32, 16),
        frames=(19, 38, num_frames),
        # bone directions + per-gait bone lengths: rigid bones by design
        output_mode='kinematic'),
    loss_recon=dict(
        type='GaitReconstructionLoss',
        position_weight=1.0,
        anchor_weight=1.0,
        velocity_weight=1.0,
        acceleration_weight=1.0),
    loss_kl=dict(type='KLDivergenceLoss', loss_weight=1e-4,
                 warmup_iters=500),
    loss_pushpull=dict(
        type='PushPullLoss',
        num_classes=num_classes,
        margin=0.5,
        pull_radius=0.5,
        pull_weight=5e-2,
        push_weight=5e-2,
        bone_weight=10.0,
        foot_weight=3e-3,
        contact_cfg=dict(height_margin=0.04, softness=0.01),
        loss_weight=1.0))

dataset_type = 'EGaitDataset'
data_root = '${EGAIT_ROOT:-../shared/data/egait}'
protocol = 'random'
num_folds = 10
fold = 0
seed = 0

train_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='GaitToLength', clip_len=num_frames, pad_mode='loop'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=())
]
val_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='GaitToLength', clip_len=num_frames, pad_mode='loop',
         test_mode=True),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=())
]

train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=train_pipeline,
        protocol=protocol,
        num_folds=num_folds,
        fold=fold,
        seed=seed,
        subset='train'))
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=val_pipeline,
        protocol=protocol,
        num_folds=num_folds,
        fold=fold,
        seed=seed,
        subset='val',
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='GaitRealismMetric')
test_evaluator = val_evaluator

max_epochs = 100
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=25)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=3e-3), clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=1e-5,
        by_epoch=True,
        convert_to_iter_based=True)
]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=18),
    # nothing to select on: keep the last weights, and the previous
    # checkpoint too, so a crash while writing one never leaves none intact
    checkpoint=dict(type='SafeCheckpointHook', interval=25, save_best=None,
                    max_keep_ckpts=2))
custom_hooks = [
    dict(type='FitLatentPriorHook', interval=25, pipeline=val_pipeline)
]
# lr above is for 1 process x 16 gaits; --auto-scale-lr rescales it.
auto_scale_lr = dict(enable=False, base_batch_size=16)
