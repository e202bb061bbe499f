# mmaction2's ST-GCN (Yan et al., AAAI 2018) on the E-Gait skeleton.

# The E-Gait skeleton, written literally (configs cannot import Python); a
# test checks it equals step_mm.skeleton.EGAIT_LAYOUT.
egait_layout = dict(
    num_node=16,
    inward=[(1, 0), (2, 1), (3, 2), (4, 2), (5, 4), (6, 5), (7, 2), (8, 7),
            (9, 8), (10, 0), (11, 10), (12, 11), (13, 0), (14, 13), (15, 14)],
    center=0)

model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN',
        in_channels=3,
        num_person=1,
        graph_cfg=dict(layout=egait_layout, mode='stgcn_spatial')),
    cls_head=dict(type='GCNHead', num_classes=4, in_channels=256, topk=(1, )))
