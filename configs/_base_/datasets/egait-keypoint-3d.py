# E-Gait (3D joints, 16 nodes, one person) read directly from the official
# h5 files. The folder comes from $EGAIT_ROOT (default ../shared/data/egait,
# relative to the working directory) or from --cfg-options, e.g.
#   --cfg-options train_dataloader.dataset.data_root=DIR
# '${EGAIT_ROOT:-default}' is a plain string that EGaitDataset resolves when
# it is built (step_mm.datasets.env_path): the variable never enters the
# config's Python source, as mmengine's '{{$EGAIT_ROOT:...}}' would.
#
# Split: `protocol` 'random' (stratified k-fold), 'subject' (actor-disjoint)
# or 'all' (every gait in every subset). The values below are written into
# each dataloader; override them per dataloader, e.g.
#   --cfg-options train_dataloader.dataset.fold=3 \
#       val_dataloader.dataset.fold=3 test_dataloader.dataset.fold=3
# `val` is a stratified part of the training folds used only for checkpoint
# selection; `test` is the held-out fold.
dataset_type = 'EGaitDataset'
data_root = '${EGAIT_ROOT:-../shared/data/egait}'
protocol = 'random'
num_folds = 10
fold = 0
split_seed = 0
clip_len = 75

train_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='MirrorGait', prob=0.5),
    dict(type='RandomRotateGait', max_angle=10.),
    dict(type='RandomScaleGait', scale_range=(0.9, 1.1)),
    dict(type='RandomSpeedGait', speed_range=(0.9, 1.1)),
    dict(type='GaitAffectiveFeatures'),
    dict(type='GaitToLength', clip_len=clip_len),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=('affective_feats', ))
]
val_pipeline = [
    dict(type='NormalizeGait'),
    dict(type='GaitAffectiveFeatures'),
    dict(type='GaitToLength', clip_len=clip_len, test_mode=True),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackGaitInputs', algorithm_keys=('affective_feats', ))
]
test_pipeline = val_pipeline

# drop_last: a last batch of one gait would break the heads' BatchNorm.
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=train_pipeline,
        subset='train',
        protocol=protocol,
        num_folds=num_folds,
        fold=fold,
        seed=split_seed))
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=val_pipeline,
        subset='val',
        test_mode=True,
        protocol=protocol,
        num_folds=num_folds,
        fold=fold,
        seed=split_seed))
test_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=test_pipeline,
        subset='test',
        test_mode=True,
        protocol=protocol,
        num_folds=num_folds,
        fold=fold,
        seed=split_seed))

# Four classes: top-5 would always read 1.0, so only top-1 is reported,
# beside the mean per-class accuracy (the classes are imbalanced).
val_evaluator = dict(
    type='AccMetric',
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
    metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
test_evaluator = [val_evaluator, dict(type='ConfusionMatrix', num_classes=4)]
