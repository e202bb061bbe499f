# STEP-Gen without the push-pull regulariser (ablation): the same model,
# data and schedule, trained with reconstruction + KL only.
_base_ = ['./stepgen_stgcn-cvae_1xb16-joint-t75-100e_egait-keypoint-3d.py']

model = dict(loss_pushpull=dict(loss_weight=0.0))
