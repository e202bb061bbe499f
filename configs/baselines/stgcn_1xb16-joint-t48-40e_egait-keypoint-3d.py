# mmaction2's ST-GCN on E-Gait joints, E-Gait recipe (chosen on val subsets
# only, configs/baselines/README.md "Recipe search"). What differs from
# mmaction2's NTU recipe (stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d):
# - backbone: 16 base channels and 4 stages instead of 64 and 10 (E-Gait has
#   277 training gaits, NTU-60 40k clips);
# - clip: 48 frames (GaitToLength, looped / uniformly sampled) instead of
#   UniformSampleFrames(100); E-Gait gaits are 18-75 frames long (median
#   36), shorter ones are looped;
# - schedule: AdamW, one-cycle peak lr 3e-3 (chosen on val over 1e-3), 40
#   epochs, batch 16 on one process
#   instead of SGD + Nesterov lr 0.1, cosine, 80 epochs over a 5x
#   RepeatDataset, 8 x 16;
# - augmentation: mirror / rotate / scale / speed (STEP's) instead of none;
# - the checkpoint is the best one on the fold's val subset.
_base_ = [
    '../_base_/models/stgcn.py', '../_base_/datasets/egait-keypoint-3d.py',
    '../_base_/schedules/adamw-onecycle-40e.py', '../_base_/default_runtime.py'
]

clip_len = 48
model = dict(
    backbone=dict(base_channels=16, num_stages=4),
    cls_head=dict(in_channels=16))

train_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='MirrorGait', prob=0.5),
    dict(type='RandomRotateGait', max_angle=10.),
    dict(type='RandomScaleGait', scale_range=(0.9, 1.1)),
    dict(type='RandomSpeedGait', speed_range=(0.9, 1.1)),
    dict(type='GaitToLength', clip_len=clip_len),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=())
]
test_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='GaitToLength', clip_len=clip_len, test_mode=True),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=())
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))

# Peak lr 3e-3: better on val than the schedule's 1e-3 for ST-GCN, ST-GCN++,
# AAGCN and CTR-GCN (configs/baselines/README.md, "Recipe search").
param_scheduler = [
    dict(
        type='OneCycleLR',
        eta_max=3e-3,
        pct_start=0.3,
        div_factor=25.,
        final_div_factor=1e4,
        by_epoch=True,
        begin=0,
        end={{_base_.max_epochs}},
        convert_to_iter_based=True)
]
optim_wrapper = dict(optimizer=dict(lr=3e-3))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

# Keep the checkpoint with the best top-1 on this fold's val subset.
default_hooks = dict(
    checkpoint=dict(
        interval=40, save_best='acc/top1', rule='greater', save_last=True),
    logger=dict(interval=50))
