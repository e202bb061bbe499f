# mmaction2's AAGCN on E-Gait joints, E-Gait recipe (chosen on val subsets
# only, configs/baselines/README.md "Recipe search"). Data, schedule and
# augmentation are ST-GCN's E-Gait recipe (see its config for what differs
# from mmaction2's NTU recipe); the model is AAGCN at 16 base channels and 4
# stages instead of 64 and 10.
_base_ = './stgcn_1xb16-joint-t48-40e_egait-keypoint-3d.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='AAGCN',
        in_channels=3,
        num_person=1,
        base_channels=16,
        num_stages=4,
        graph_cfg={{_base_.model.backbone.graph_cfg}}))
