# The training routine described for STEP (Bhattacharya et al., AAAI 2020),
# as we read it: batch 8, 500 epochs, Adam with an initial lr of 0.1
# (beta1 = "momentum" 0.9) and weight decay 5e-4, the lr divided by 10 after
# 250, 375 and 438 epochs. Kept for reference; it was not validated here
# (500 epochs take hours on CPU) and lr 0.1 is unusually high for Adam.
max_epochs = 500
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[250, 375, 438],
        gamma=0.1)
]

optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=0.1, betas=(0.9, 0.999), weight_decay=5e-4))

auto_scale_lr = dict(enable=False, base_batch_size=8)
