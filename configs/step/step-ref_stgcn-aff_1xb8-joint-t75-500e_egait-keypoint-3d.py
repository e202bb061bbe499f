# STEP with the paper's network (75-frame temporal kernels) and its training
# routine as we read it (Adam, lr 0.1, 500 epochs; see the schedule). Kept
# for reference only: not validated here, hours on CPU.
_base_ = [
    '../_base_/models/step.py', '../_base_/datasets/egait-keypoint-3d.py',
    '../_base_/schedules/step-ref-500e.py', '../_base_/default_runtime.py'
]

custom_hooks = [dict(type='FitAffectiveStatsHook')]

default_hooks = dict(
    checkpoint=dict(
        interval=50, save_best='acc/top1', rule='greater', save_last=True),
    logger=dict(interval=50))
