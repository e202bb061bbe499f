# CTR-GCN (Chen et al., ICCV 2021; step_mm/models/backbones/ctrgcn.py) on
# E-Gait joints, E-Gait recipe (chosen on val subsets only,
# configs/baselines/README.md "Recipe search"). Data, schedule and
# augmentation are ST-GCN's E-Gait recipe (see its config for what differs
# from mmaction2's NTU recipe, which is also CTR-GCN's: SGD lr 0.1, 80
# epochs); the model is CTR-GCN at 16 base channels and 4 blocks instead of
# 64 and 10, on the paper's graph (mode='spatial': identity, inward,
# outward).
_base_ = './stgcn_1xb16-joint-t48-40e_egait-keypoint-3d.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='CTRGCN',
        in_channels=3,
        num_person=1,
        base_channels=16,
        num_stages=4,
        graph_cfg=dict(
            layout={{_base_.model.backbone.graph_cfg.layout}},
            mode='spatial')))
