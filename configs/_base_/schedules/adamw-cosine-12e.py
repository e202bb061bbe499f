# AdamW, one epoch of linear warm-up, then a cosine decay per iteration.
# Short on purpose: STEP trains one fold of E-Gait in well under a minute on
# two CPU cores (see docs/step_recipe_notes.md).
max_epochs = 12
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

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

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=3e-3, weight_decay=5e-2))

# lr above is for 1 process x 8 gaits; --auto-scale-lr rescales it.
auto_scale_lr = dict(enable=False, base_batch_size=8)
