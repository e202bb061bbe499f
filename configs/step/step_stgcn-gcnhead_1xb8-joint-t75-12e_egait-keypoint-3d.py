# STEP's backbone under mmaction2's stock GCNHead (pooled features -> FC):
# heads are interchangeable; no affective features.
_base_ = './step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py'

model = dict(
    cls_head=dict(
        _delete_=True,
        type='GCNHead',
        num_classes=4,
        in_channels=64,
        dropout=0.5,
        topk=(1, )))
custom_hooks = []
