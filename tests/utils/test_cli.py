# Copyright (c) step_mm contributors. All rights reserved.
import argparse
import os

import pytest
from mmengine.config import Config

from step_mm.utils import add_runner_args, parse_runner_args, set_work_dir


def _parser(note=''):
    parser = argparse.ArgumentParser(prog='tool')
    parser.add_argument('config')
    return add_runner_args(parser, 'a.b=DIR', note)


def test_runner_args_parse_cfg_options_and_launcher(monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = parse_runner_args(_parser(), [
        'c.py', '--cfg-options', 'a.b=1', 'c=[1,2]', '--launcher', 'pytorch',
        '--local-rank', '3'
    ])
    assert args.cfg_options == {'a.b': 1, 'c': [1, 2]}
    assert args.launcher == 'pytorch' and args.local_rank == 3
    assert os.environ['LOCAL_RANK'] == '3'


def test_runner_args_keep_torchrun_local_rank(monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '1')
    args = parse_runner_args(_parser(), ['c.py', '--local_rank', '0'])
    assert args.launcher == 'none' and args.cfg_options is None
    assert os.environ['LOCAL_RANK'] == '1'


def test_runner_args_help_and_refused_launcher(capsys):
    help_text = _parser('; lists as key="[a,b]"').format_help()
    assert 'key=value (e.g. a.b=DIR); lists as key="[a,b]"' in ' '.join(
        help_text.split())
    with pytest.raises(SystemExit):
        _parser().parse_args(['c.py', '--launcher', 'ssh'])
    assert "invalid choice: 'ssh'" in capsys.readouterr().err


@pytest.mark.parametrize('given,in_cfg,expected', [
    ('w', None, 'w'),
    ('w', 'cfg_dir', 'w'),
    (None, 'cfg_dir', 'cfg_dir'),
    (None, None, './work_dirs/step_x'),
])
def test_set_work_dir_order(given, in_cfg, expected):
    cfg = Config(dict(work_dir=in_cfg) if in_cfg else {})
    assert set_work_dir(cfg, given, 'configs/step/step_x.py') is cfg
    assert cfg.work_dir == expected


def test_find_data_root(monkeypatch):
    from step_mm.utils import cli
    monkeypatch.setenv('EGAIT_ROOT', '/data/egait')
    assert cli.find_data_root() == '/data/egait'
    monkeypatch.setenv('EGAIT_ROOT', '')
    repo = os.path.dirname(os.path.dirname(os.path.dirname(cli.__file__)))
    assert cli.find_data_root() == os.path.normpath(
        os.path.join(repo, '..', 'shared', 'data', 'egait'))
