# Copyright (c) step_mm contributors. All rights reserved.
"""``benchmarks/egait_robustness.py``: a smoke run on the tiny set."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from step_mm.testing import load_script

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STEP = osp.join(REPO, 'configs', 'step',
                'step_stgcn-aff_1xb8-joint-t75-12e_egait-keypoint-3d.py')


def _script():
    return load_script('benchmarks/egait_robustness.py')


def test_run_metrics_on_known_predictions():
    mod = _script()
    m = mod.run_metrics(np.eye(4)[[0, 0, 0, 1]], np.array([0, 1, 0, 1]))
    assert m['top1'] == 0.75
    assert m['mean_class'] == pytest.approx((1.0 + 0.5) / 2)  # 2 present
    assert m['hist'] == [3, 1, 0, 0] and m['num'] == 4


def test_help_lists_the_perturbations(capsys):
    with pytest.raises(SystemExit) as e:
        _script().parse_args(['--help'])
    assert e.value.code == 0
    assert 'jitter_1%,' in ' '.join(capsys.readouterr().out.split())


def test_smoke_run_trains_once_reuses_checkpoints_and_resumes(
        tiny_egait, tmp_path, capsys):
    mod = _script()
    work, out = str(tmp_path / 'work'), str(tmp_path / 'out')
    argv = [
        '--configs', STEP, '--folds', '0', '--epochs', '1', '--data-root',
        tiny_egait, '--work-dir', work, '--out-dir', out, '--perturbations',
        'jitter_1%', 'fps_10', 'drop_10%'
    ]
    result = mod.main(argv)
    log = capsys.readouterr().out
    assert 'no checkpoint' in log and 'training it' in log
    (run, ) = result['runs']
    assert set(run['results']) == {'clean', 'jitter_1%', 'fps_10', 'drop_10%'}
    for m in run['results'].values():
        assert sum(m['hist']) == m['num'] == 4  # tiny set: 4 test gaits
        assert 0 <= m['mean_class'] <= 1 and 0 <= m['top1'] <= 1
    # aggregates only, and the three result files
    assert 'pred' not in json.dumps(result['runs'])
    for ext in ('json', 'md', 'png'):
        assert osp.getsize(osp.join(out, f'egait_robustness_random.{ext}'))
    table = open(osp.join(out, 'egait_robustness_random.md')).read()
    assert '| jitter_1% |' in table and '| clean |' in table

    # resumes: nothing left; then one more perturbation, on the same
    # checkpoint (not retrained), with the earlier figures unchanged
    again = mod.main(argv)
    assert ' fold 0 ' not in capsys.readouterr().out
    assert again['runs'] == result['runs']
    more = mod.main(argv[:-3] + ['bones_5%'])
    log = capsys.readouterr().out
    assert 'training it' not in log and ' fold 0 ' in log
    (run2, ) = more['runs']
    assert set(run2['results']) == set(run['results']) | {'bones_5%'}
    assert run2['results']['fps_10'] == run['results']['fps_10']
    # the same perturbed gaits in another results file: the same figures
    other = mod.main(argv + ['--name', 'again'])
    assert other['runs'][0]['results'] == run['results']
    assert os.listdir(osp.join(work, 'egait_random'))  # the runner's layout
    # --readme writes the table between the markers (resumed: no work)
    readme = tmp_path / 'README.md'
    readme.write_text('a\n<!-- egait_robustness_random:start -->\nOLD\n'
                      '<!-- egait_robustness_random:end -->\nb\n')
    mod.main(argv + ['--readme', str(readme)])
    text = readme.read_text()
    assert 'OLD' not in text and '| jitter_1% |' in text
    assert text.startswith('a\n') and text.endswith('end -->\nb\n')
    # recipe choices look at the val subset, never the test fold
    val = mod.main(argv + ['--subset', 'val'])
    assert val['meta']['subset'] == 'val'
    assert osp.isfile(osp.join(out, 'egait_robustness_random_val.json'))
    from step_mm.datasets import EGaitDataset
    val_set = EGaitDataset(
        data_root=tiny_egait, pipeline=[], subset='val', fold=0)
    assert val['runs'][0]['results']['clean']['num'] == len(val_set)


def test_bad_arguments_are_one_clear_error(tmp_path, capsys):
    mod = _script()
    with pytest.raises(SystemExit) as exc:
        mod.main(['--configs', STEP, '--perturbations', 'blur'])
    assert exc.value.code == 2
    assert "--perturbations ['blur']" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        mod.main(['--configs', str(tmp_path / 'nope.py')])
    assert exc.value.code == 2
    assert 'nope.py not found' in capsys.readouterr().err
