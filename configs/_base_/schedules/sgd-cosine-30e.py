# mmaction2's skeleton recipe (SGD + Nesterov, cosine decay per iteration),
# shortened for E-Gait's 342 gaits on CPU. The checkpoint with the best
# val top-1 is kept by the configs' CheckpointHook (save_best='acc/top1').
max_epochs = 30
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        eta_min=0,
        T_max=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True)
]

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))

# lr above is for 1 process x 16 gaits; --auto-scale-lr rescales it.
auto_scale_lr = dict(enable=False, base_batch_size=16)
