# Copyright (c) step_mm contributors. All rights reserved.
"""Configs ship with the package (``step_mm/.mim``) and resolve there."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STEP = 'step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py'


def test_model_index_imports_every_config_folder():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    folders = sorted(
        d for d in (osp.join('configs', n)
                    for n in sorted(os.listdir(
                        osp.join(REPO, 'configs'))))
        if not d.endswith('_base_') and osp.isdir(osp.join(REPO, d)))
    assert sorted(osp.dirname(p) for p in index['Import']) == folders
    for path in index['Import']:
        with open(osp.join(REPO, path)) as f:
            meta = yaml.safe_load(f)
        for model in meta['Models']:
            assert osp.isfile(osp.join(REPO, model['Config'])), model['Name']


def test_installed_configs_resolve_outside_a_clone(tmp_path, monkeypatch):
    # build the package metadata of a copy of the repo (setup.py copies the
    # configs into step_mm/.mim, as for a wheel), then drop the clone's
    # configs/: only the installed copy is left
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('setup.py', 'README.md', 'MANIFEST.in', 'model-index.yml'):
        shutil.copy(osp.join(REPO, name), src / name)
    for name in ('configs', 'tools', 'requirements'):
        shutil.copytree(osp.join(REPO, name), src / name)
    shutil.copytree(osp.join(REPO, 'step_mm'), src / 'step_mm',
                    ignore=shutil.ignore_patterns('__pycache__', '.mim'))
    subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info'], cwd=src,
                   check=True, capture_output=True)
    sources = (src / 'step_mm.egg-info' / 'SOURCES.txt').read_text()
    assert f'step_mm/.mim/configs/step/{STEP}' in sources
    assert 'step_mm/.mim/model-index.yml' in sources
    shutil.rmtree(src / 'configs')

    from step_mm import cli
    monkeypatch.chdir(tmp_path)  # not in a clone
    monkeypatch.setattr(cli, '_REPO_DIR', str(src))
    monkeypatch.setattr(cli, '_PKG_DIR', str(src / 'step_mm'))
    mim = str(src / 'step_mm' / '.mim' / 'configs')
    assert cli.config_dirs() == [mim]
    assert cli.default_config() == osp.join(mim, 'step', STEP)
    for name in (f'configs/step/{STEP}', f'step/{STEP}', STEP):
        assert cli.find_config(name) == osp.join(mim, 'step', STEP)
    assert cli.find_config('step/nothing.py') is None
    # the installed config loads, its _base_ files included
    from mmengine import Config
    cfg = Config.fromfile(cli.find_config(STEP))
    assert cfg.model.backbone.type == 'STEPGCN'


def test_cli_unknown_config_is_one_line(capsys):
    from step_mm.cli import main
    assert main(['predict', 'gait.npy', '--config', 'step/nothing.py',
                 '--random-init']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'step/nothing.py'" in err[0]
