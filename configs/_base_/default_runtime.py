# Runtime shared by every step_mm config (mmaction2's default runtime, with
# the plugin imported and a CPU-friendly distributed backend).
default_scope = 'mmaction'
custom_imports = dict(imports=['step_mm'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # SafeCheckpointHook: mmengine's CheckpointHook writing each checkpoint
    # to a temporary file renamed once complete, removing outdated and
    # previous-best ones only after that, and refusing a --resume with
    # nothing to resume; two kept (resume from the previous one)
    checkpoint=dict(type='SafeCheckpointHook', interval=1, save_best='auto',
                    max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # reseed numpy/random/torch per epoch so --resume replays augmentations
    epoch_seed=dict(type='EpochSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
    # train, val and test share no gait; every class is in train
    subset_check=dict(type='SubsetCheckHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # gloo runs on CPU; set dist_cfg.backend='nccl' for GPUs.
    dist_cfg=dict(backend='gloo'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
