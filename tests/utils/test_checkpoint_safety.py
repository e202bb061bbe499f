# Copyright (c) step_mm contributors. All rights reserved.
"""mmengine checkpoints must load under torch's safe (weights_only) loader."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=out.pow(2).mean())
        return out


def _runner(work_dir, max_epochs, resume=False):
    data = [dict(inputs=torch.randn(2)) for _ in range(8)]
    return Runner(
        model=_Toy(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate'),
            batch_size=4),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        resume=resume,
        default_scope='mmengine')


def test_safe_loader_reads_runner_checkpoints(tmp_path):
    import step_mm  # noqa: F401 (registers the safe globals)
    _runner(tmp_path, 1).train()
    ckpt = tmp_path / 'epoch_1.pth'
    # the default torch.load is weights_only=True in torch >= 2.6
    state = torch.load(str(ckpt))
    assert 'message_hub' in state and 'state_dict' in state
    # resume goes through mmengine's own torch.load call
    runner = _runner(tmp_path, 2, resume=True)
    runner.train()
    assert runner.epoch == 2
    # statistics still work on a resumed buffer
    hub = runner.message_hub
    assert hub.get_scalar('train/loss').mean() >= 0


def test_getattr_stays_forbidden():
    """The safety is not switched off: builtin getattr is not allowed."""
    import io
    import pickle
    import step_mm  # noqa: F401
    buf = io.BytesIO()
    torch.save({'f': getattr}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(buf)


def test_plain_mmengine_checkpoint_needs_the_patch(tmp_path):
    """Without step_mm, mmengine's checkpoint is refused (the reason for
    the patch); with it, the same run's checkpoint loads."""
    code = (
        'import importlib.util, sys, torch\n'
        'spec = importlib.util.spec_from_file_location(\n'
        f'    "test_checkpoint_safety", {osp.abspath(__file__)!r})\n'
        'mod = importlib.util.module_from_spec(spec)\n'
        'spec.loader.exec_module(mod)\n'
        f'mod._runner({str(tmp_path)!r}, 1).train()\n'
        'try:\n'
        f'    torch.load({str(tmp_path / "epoch_1.pth")!r})\n'
        'except Exception as e:\n'
        '    print(type(e).__name__); sys.exit(3)\n')
    res = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True)
    assert res.returncode == 3, res.stdout[-2000:] + res.stderr[-2000:]
    assert 'UnpicklingError' in res.stdout
