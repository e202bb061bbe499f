# mmaction2's ST-GCN backbone under STEP's head (pooled features + the 29
# affective features): heads are interchangeable across backbones.
_base_ = './stgcn_1xb16-joint-t75-30e_egait-keypoint-3d.py'

model = dict(
    cls_head=dict(
        _delete_=True,
        type='STEPHead',
        num_classes=4,
        in_channels=256,
        use_affective=True,
        dropout=0.5,
        topk=(1, )))
custom_hooks = [dict(type='FitAffectiveStatsHook')]
