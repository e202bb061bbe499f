# Baseline-STEP: STEP without the affective features (the ST-GCN features
# alone feed the classifier); everything else as in STEP.
_base_ = './step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py'

model = dict(cls_head=dict(use_affective=False))
custom_hooks = []
