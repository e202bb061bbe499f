# Baseline-STEP: STEP without the affective features (the ST-GCN features
# alone feed the classifier), with STEP's pipeline (robust to estimated
# poses). Without the affective features nothing restrains the graph
# stream, so it learns at the full lr and for 30 epochs: STEP's backbone
# lr x 0.1 and 12 epochs starved it (0.476 on protocol R). Chosen on val
# subsets (docs/step_recipe_notes.md, "Robustness recipe").
_base_ = './step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py'

max_epochs = 30
model = dict(cls_head=dict(use_affective=False))
custom_hooks = []
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=0,
        T_max=max_epochs - 1,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=10))
