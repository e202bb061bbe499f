# Copyright (c) step_mm contributors. All rights reserved.
import argparse

import pytest

from step_mm.apis.protocol_cli import (add_protocol_args, check_configs,
                                       resolve_protocol_args)


def _parse(argv, seeds=None, **helps):
    parser = add_protocol_args(argparse.ArgumentParser(prog='bench'),
                               **helps)
    return resolve_protocol_args(parser, parser.parse_args(argv), seeds)


@pytest.mark.parametrize('argv,folds,seeds', [
    ([], list(range(10)), [0, 1, 2]),
    (['--protocol', 'subject'], list(range(5)), [0]),
    (['--folds', '3', '1', '--seeds', '7'], [3, 1], [7]),
])
def test_defaults_are_the_protocols(argv, folds, seeds):
    args = _parse(argv)
    assert args.folds == folds and args.seeds == seeds


def test_script_seed_default_and_helps():
    assert _parse(['--protocol', 'random'], seeds=[0]).seeds == [0]
    assert _parse(['--seeds', '4'], seeds=[0]).seeds == [4]
    parser = add_protocol_args(argparse.ArgumentParser(), 'every fold',
                               'seed 0')
    help_text = parser.format_help()
    assert 'every fold' in help_text and 'seed 0' in help_text
    assert '{random,subject}' in help_text


@pytest.mark.parametrize('argv,message', [
    (['--protocol', 'subject', '--folds', '0', '5'],
     '--folds [5]: protocol subject has folds 0..4'),
    (['--folds', '-1', '10'], '--folds [-1, 10]: protocol random has folds '
     '0..9'),
    (['--protocol', 'cross'], "invalid choice: 'cross'"),
])
def test_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        _parse(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_check_configs(tmp_path, capsys):
    cfg = tmp_path / 'a.py'
    cfg.write_text('')
    parser = argparse.ArgumentParser(prog='bench')
    check_configs(parser, [str(cfg)])
    with pytest.raises(SystemExit):
        check_configs(parser, [str(cfg), 'b.py', 'c.py'])
    assert 'bench: error: config b.py not found' in capsys.readouterr().err
