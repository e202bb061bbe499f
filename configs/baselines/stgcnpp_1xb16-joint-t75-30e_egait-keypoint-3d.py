# mmaction2's ST-GCN++ on E-Gait joints under mmaction2's NTU recipe (see
# stgcn_1xb16-joint-t75-30e_*.py). Superseded by the E-Gait recipe
# (stgcnpp_1xb16-joint-t48-40e_*.py); kept because configs/step/README.md
# quotes its measured runs.
_base_ = [
    '../_base_/models/stgcnpp.py', '../_base_/datasets/egait-keypoint-3d.py',
    '../_base_/schedules/sgd-cosine-30e.py', '../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=16)

# Keep the checkpoint with the best top-1 on this fold's val subset.
default_hooks = dict(
    checkpoint=dict(
        interval=10, save_best='acc/top1', rule='greater', save_last=True),
    logger=dict(interval=50))
