# mmaction2's ST-GCN++ on E-Gait joints, E-Gait recipe (chosen on val subsets
# only, configs/baselines/README.md "Recipe search"). Data, schedule and
# augmentation are ST-GCN's E-Gait recipe (see its config for what differs
# from mmaction2's NTU recipe); the model is ST-GCN with an initialised
# adaptive graph, residual GCNs and multi-scale TCNs, at 16 base channels and
# 4 stages instead of 64 and 10.
_base_ = './stgcn_1xb16-joint-t48-40e_egait-keypoint-3d.py'

model = dict(
    backbone=dict(
        gcn_adaptive='init', gcn_with_res=True, tcn_type='mstcn'))
