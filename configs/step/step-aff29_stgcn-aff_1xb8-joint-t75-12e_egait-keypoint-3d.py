# STEP with the paper's 29 affective features only (the recipe before the
# per-joint statistics were added; docs/step_recipe_notes.md, V5). Kept to
# compare: everything else is the STEP config's.
_base_ = './step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py'

model = dict(cls_head=dict(num_affective=29))

train_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='MirrorGait', prob=0.5),
    dict(type='RandomRotateGait', max_angle=10.),
    dict(type='RandomScaleGait', scale_range=(0.9, 1.1)),
    dict(type='RandomSpeedGait', speed_range=(0.9, 1.1)),
    dict(type='GaitAffectiveFeatures'),
    dict(type='GaitToLength', clip_len={{_base_.clip_len}}),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=('affective_feats', ))
]
val_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='GaitAffectiveFeatures'),
    dict(type='GaitToLength', clip_len={{_base_.clip_len}}, test_mode=True),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=('affective_feats', ))
]
test_pipeline = val_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
