# AdamW under a one-cycle lr per iteration (30 % warm-up from lr / 25 to
# 1e-3, then a cosine decay to lr / 1e4), 40 epochs: the E-Gait recipe of
# the graph baselines (configs/baselines/README.md). mmaction2's NTU recipe
# is SGD + Nesterov, lr 0.1, weight decay 5e-4, cosine, 80 epochs.
max_epochs = 40
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='OneCycleLR',
        eta_max=1e-3,
        pct_start=0.3,
        div_factor=25.,
        final_div_factor=1e4,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True)
]

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-2))

# lr above is for 1 process x 16 gaits; --auto-scale-lr rescales it.
auto_scale_lr = dict(enable=False, base_batch_size=16)
