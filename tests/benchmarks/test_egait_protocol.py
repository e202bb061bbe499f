# Copyright (c) step_mm contributors. All rights reserved.
"""``benchmarks/egait_protocol.py``: its options are run_protocol's."""
import inspect
import os.path as osp

from step_mm.apis.protocol import run_protocol
from step_mm.testing import load_script
from step_mm.testing.scripts import REPO

STEP = osp.join(REPO, 'configs', 'step',
                'step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py')


def test_main_hands_every_option_to_run_protocol(monkeypatch, capsys):
    mod = load_script('benchmarks/egait_protocol.py')
    calls = []

    def fake_run(**kwargs):
        inspect.signature(run_protocol).bind(**kwargs)  # no unknown option
        calls.append(kwargs)
        return 'result'

    monkeypatch.setattr(mod, 'run_protocol', fake_run)
    monkeypatch.setattr(mod, 'protocol_markdown', lambda result: 'table')
    assert mod.main([
        '--configs', STEP, '--quick', '--protocol', 'subject', '--jobs', '2',
        '--cfg-options', 'train_dataloader.batch_size=4'
    ]) == 'result'
    (kwargs, ) = calls
    assert kwargs['configs'] == [STEP] and kwargs['protocol'] == 'subject'
    assert kwargs['folds'] == [0, 1] and kwargs['seeds'] == [0]
    assert kwargs['epochs'] == 2 and kwargs['jobs'] == 2
    assert kwargs['cfg_options'] == {'train_dataloader.batch_size': 4}
    assert capsys.readouterr().out == 'table\n'
