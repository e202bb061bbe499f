# STEP (Bhattacharya et al., AAAI 2020): a 3-block ST-GCN with long (75
# frame) temporal kernels on the E-Gait skeleton, whose pooled features are
# concatenated with 29 gait-level affective features before the classifier.
# The affective features come from the pipeline (GaitAffectiveFeatures ->
# PackGaitInputs) and are standardised with statistics fitted on the
# training subset by FitAffectiveStatsHook (see the STEP configs).

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
        type='STEPGCN',
        in_channels=3,
        channels=(32, 64, 64),
        strides=(1, 2, 2),
        temporal_kernel_size=75,
        dropout=0.,
        graph_cfg=dict(layout=egait_layout, mode='stgcn_spatial')),
    cls_head=dict(
        type='STEPHead',
        num_classes=4,
        in_channels=64,
        num_affective=29,
        use_affective=True,
        hidden_channels=96,
        dropout=0.,
        topk=(1, )))
