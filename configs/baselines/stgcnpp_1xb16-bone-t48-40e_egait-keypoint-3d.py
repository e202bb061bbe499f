# ST-GCN++, bone stream (each joint minus its parent, GaitToBone), fused with the
# joint stream by tools/analysis_tools/fuse_scores.py (two-stream ST-GCN++).
# The joint stream's E-Gait recipe, unchanged (the recipe search ran on
# joints only, configs/baselines/README.md).
_base_ = './stgcnpp_1xb16-joint-t48-40e_egait-keypoint-3d.py'

train_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='MirrorGait', prob=0.5),
    dict(type='RandomRotateGait', max_angle=10.),
    dict(type='RandomScaleGait', scale_range=(0.9, 1.1)),
    dict(type='RandomSpeedGait', speed_range=(0.9, 1.1)),
    dict(type='GaitToBone'),
    dict(type='GaitToLength', clip_len={{_base_.clip_len}}),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=())
]
test_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='GaitToBone'),
    dict(type='GaitToLength', clip_len={{_base_.clip_len}}, test_mode=True),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=())
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
