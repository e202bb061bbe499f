# mmaction2's ST-GCN on E-Gait joints under mmaction2's NTU recipe: the row
# `stgcn_ntu` of the benchmark table, to show what the E-Gait recipe
# (stgcn_1xb16-joint-t48-40e_*.py) changes. Kept from mmaction2's
# stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d: 64 base channels, 10
# stages, SGD + Nesterov lr 0.1, weight decay 5e-4, cosine per iteration.
# Changed only where E-Gait or the machine forces it: 30 epochs instead of
# 80 over a 5x RepeatDataset (15-30 CPU-minutes per run), one process x 16
# gaits instead of 8 x 16 (lr not rescaled), GaitToLength(75) instead of
# UniformSampleFrames(100), and the data pipeline's mirror / rotate / scale /
# speed augmentations.
_base_ = [
    '../_base_/models/stgcn.py', '../_base_/datasets/egait-keypoint-3d.py',
    '../_base_/schedules/sgd-cosine-30e.py', '../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=16)

# Keep the checkpoint with the best top-1 on this fold's val subset.
default_hooks = dict(
    checkpoint=dict(
        interval=10, save_best='acc/top1', rule='greater', save_last=True),
    logger=dict(interval=50))
