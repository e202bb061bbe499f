# Copyright (c) step_mm contributors. All rights reserved.
import os.path as osp

import pytest

from step_mm.testing import load_script
from step_mm.testing.scripts import REPO


def test_repo_is_the_clone():
    assert osp.isfile(osp.join(REPO, 'tools', 'train.py'))
    assert osp.isdir(osp.join(REPO, 'step_mm', 'testing'))


def test_load_script_relative_absolute_and_named(tmp_path):
    tool = load_script('tools/analysis_tools/confusion_matrix.py')
    assert tool.__name__ == 'confusion_matrix' and callable(tool.main)
    assert tool.__file__ == osp.join(REPO, 'tools', 'analysis_tools',
                                     'confusion_matrix.py')
    script = tmp_path / 'counter.py'
    script.write_text('CALLS = []\nCALLS.append(__name__)\n')
    first = load_script(str(script))
    assert first.CALLS == ['counter']
    again = load_script(str(script), name='counter_again')
    assert again is not first and again.CALLS == ['counter_again']


def test_load_script_missing():
    with pytest.raises(FileNotFoundError, match='nowhere.py'):
        load_script('benchmarks/nowhere.py')
