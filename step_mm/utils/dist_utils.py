# Copyright (c) step_mm contributors. All rights reserved.
"""Distributed training on CPU-only machines with mmengine's launchers."""
import datetime
import gc
import os
import subprocess

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.model.wrappers import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel


def _slurm_env(port: int = None) -> None:
    """Set the env:// variables from slurm's, as mmengine's launcher does."""
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {nodes} | head -n1')


def _mpi_env() -> None:
    """Set the env:// variables from Open MPI's."""
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['LOCAL_RANK'] = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError('--launcher mpi needs MASTER_ADDR in the environment')


def init_cpu_dist(cfg: Config) -> bool:
    """Start the process group for a CPU-only distributed run.

    mmengine 0.10's launchers call ``torch.cuda.set_device(local_rank)`` and
    give DDP ``device_ids=[local_rank]``; without CUDA the first raises
    ``AttributeError: module 'torch._C' has no attribute '_cuda_setDevice'``
    and the second a ``ValueError``. Where CUDA is unavailable and
    ``cfg.launcher`` is not ``'none'``, this starts the process group itself
    with ``cfg.env_cfg.dist_cfg`` (mmengine then skips its own start) and
    sets the DDP wrapper's ``device_ids`` to None. With CUDA it does nothing.

    Args:
        cfg (Config): The full config, ``launcher`` already set.

    Returns:
        bool: Whether it started the process group.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available():
        return False
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    backend = dist_cfg.pop('backend', 'gloo')
    if backend != 'gloo':
        raise ValueError(
            f'env_cfg.dist_cfg.backend={backend!r} needs GPUs; this machine '
            'has none. Use --cfg-options env_cfg.dist_cfg.backend=gloo')
    if launcher == 'slurm':
        _slurm_env(dist_cfg.pop('port', None))
    elif launcher == 'mpi':
        _mpi_env()
    elif launcher != 'pytorch':
        raise ValueError(f'unknown launcher {launcher!r}')
    if dist_cfg.get('timeout') is not None:
        dist_cfg['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **dist_cfg)

    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_type = wrapper.get('type', 'MMDistributedDataParallel')
    if isinstance(wrapper_type, str):
        wrapper_type = MODEL_WRAPPERS.get(wrapper_type) or \
            MMDistributedDataParallel
    if isinstance(wrapper_type, type) and issubclass(
            wrapper_type, DistributedDataParallel):
        wrapper = dict(wrapper)
        wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper
    return True


def close_dist() -> bool:
    """Destroy the default process group, joining gloo's worker threads.

    mmengine 0.10.7's ``Runner`` never destroys the process group. Left
    alive until interpreter exit, a gloo worker thread may release the last
    collective's tensor while the main thread is in ``Py_FinalizeEx``, and
    the rank aborts (``terminate called without an active exception``,
    exit -6) after all its results were written (pytorch/pytorch#190489).
    The finished runner's DDP wrapper holds the group in reference cycles,
    so the caller must drop its runner first; this collects the cycles and
    then destroys the group. A no-op without a process group.

    Returns:
        bool: Whether a process group was destroyed.
    """
    gc.collect()
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return False
    torch_dist.destroy_process_group()
    return True
