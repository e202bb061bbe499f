# Copyright (c) step_mm contributors. All rights reserved.
"""The benchmark table on hand-made runs, and its command (--table-only)."""
import json
import os.path as osp

import pytest

from step_mm.evaluation.benchmark_table import (benchmark_table,
                                                per_class_recall,
                                                table_markdown)
from step_mm.testing import load_script
from step_mm.testing.scripts import REPO


def _runs(model, top1, cm=None, time=10.):
    return [
        dict(model=model, fold=f, seed=0, top1=t, mean_class=t - 0.1,
             confusion_matrix=cm, train_time_s=time)
        for f, t in enumerate(top1)
    ]


CM = [[3, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]


def test_per_class_recall():
    assert per_class_recall(dict(confusion_matrix=CM)) == [0.75, 1.0, 0.5,
                                                           None]
    assert per_class_recall(dict(per_class_recall=[1, 0])) == [1, 0]
    assert per_class_recall(dict(top1=0.5)) is None


def test_table_pairs_step_with_every_row():
    step = _runs('step', [0.70, 0.72, 0.74, 0.76, 0.78, 0.80], CM)
    worse = _runs('stgcn', [0.60, 0.61, 0.62, 0.63, 0.64, 0.65], CM, 30.)
    other = _runs('sk_svm_aff29', [0.70, 0.73, 0.73, 0.77, 0.77, 0.81])
    table = benchmark_table(
        dict(stgcn=worse, step=step, sk_svm_aff29=other), 'step',
        dict(stgcn=dict(params=15000, flops=18_000_000)))
    assert list(table) == ['step', 'stgcn', 'sk_svm_aff29']
    assert 'p_top1' not in table['step']
    # STEP above stgcn in all 6 runs: exact two-sided p = 2 / 64
    assert table['stgcn']['p_top1'] == pytest.approx(2 / 64)
    assert table['stgcn']['diff_top1'] == pytest.approx(0.125)
    assert table['stgcn']['n_paired'] == 6
    assert table['stgcn']['train_time_s'] == 30.
    assert table['stgcn']['per_class_recall'][:3] == [0.75, 1.0, 0.5]
    assert table['sk_svm_aff29']['per_class_recall'] is None
    assert table['sk_svm_aff29']['p_top1'] > 0.05
    md = table_markdown(table, ['happy', 'angry', 'sad', 'neutral'])
    lines = md.strip().split('\n')
    assert len(lines) == 5
    assert all(line.count('|') == lines[0].count('|') for line in lines)
    assert '| stgcn | 0.625 ± 0.019 |' in md and '15.00K | 18.00M' in md
    assert '0.031' in lines[3]


def _command():
    return load_script('benchmarks/egait_table.py')


def _write_results(tmp_path):
    """The three results files of the command, and a README with its
    markers; returns the README."""
    table_dir = tmp_path / 'egait_table'
    (table_dir / 'ntu').mkdir(parents=True)
    runs = (_runs('step', [0.7, 0.8, 0.75], CM) +
            _runs('stgcn', [0.6, 0.7, 0.65], CM) +
            _runs('stgcn_2s', [0.65, 0.7, 0.7]))
    (table_dir / 'egait_random.json').write_text(
        json.dumps(dict(runs=runs, models=dict(step=dict(params=1, flops=2)))))
    (table_dir / 'ntu' / 'egait_random.json').write_text(
        json.dumps(dict(runs=_runs('stgcn', [0.4, 0.5, 0.45]), models={})))
    (tmp_path / 'egait_sklearn_random.json').write_text(
        json.dumps(dict(runs=_runs('sk_logreg_aff29', [0.6, 0.6, 0.7]))))
    readme = tmp_path / 'README.md'
    readme.write_text('# x\n<!-- egait_table_random:start -->\nSTALE\n'
                      '<!-- egait_table_random:end -->\ntail\n')
    return readme


def test_command_builds_the_table_from_results(tmp_path, capsys):
    mod = _command()
    readme = _write_results(tmp_path)
    result = mod.main([
        '--table-only', '--out-dir', str(tmp_path), '--readmes', str(readme)
    ])
    assert list(result['table']) == [
        'step', 'stgcn', 'stgcn_2s', 'stgcn_ntu', 'sk_logreg_aff29'
    ]
    assert result['table']['stgcn_ntu']['top1_mean'] == pytest.approx(0.45)
    text = readme.read_text()
    assert 'STALE' not in text and text.endswith('tail\n')
    assert '| stgcn_ntu |' in text and 'Benchmark wall time' in text
    assert osp.isfile(tmp_path / 'egait_table_random.md')


def test_command_runs_each_benchmark_once_with_progress(tmp_path,
                                                       monkeypatch):
    import mmengine.utils
    mod = _command()
    readme = _write_results(tmp_path)
    ran, bars = [], []

    class Bar:  # mmengine's ProgressBar, counted

        def __init__(self, task_num):
            bars.append([task_num, 0])

        def update(self):
            bars[-1][1] += 1

    monkeypatch.setattr(mmengine.utils, 'ProgressBar', Bar)
    monkeypatch.setattr(mod, 'run_step',
                        lambda argv, env: ran.append(argv[1:3]) or 2.)
    result = mod.main(['--out-dir', str(tmp_path), '--readmes', str(readme)])
    assert [osp.basename(a[0]) for a in ran] == [
        'egait_protocol.py', 'egait_protocol.py', 'egait_sklearn.py'
    ]  # deep models, the NTU row, scikit-learn
    assert bars == [[3, 3]]  # one step of the bar per benchmark
    assert result['meta']['wall_s'] == dict(deep=2., ntu=2., sklearn=2.)


def test_command_needs_the_markers_before_training(tmp_path):
    mod = _command()
    readme = tmp_path / 'README.md'
    readme.write_text('no markers\n')
    with pytest.raises(SystemExit, match='egait_table_subject:start'):
        mod.main(['--protocol', 'subject', '--readmes', str(readme),
                  '--out-dir', str(tmp_path)])


def test_command_pairs_protocol_results_with_sklearn(tmp_path, capsys):
    mod = _command()
    protocol = tmp_path / 'protocol.json'
    protocol.write_text(json.dumps(dict(
        runs=_runs('step', [0.7, 0.8, 0.75]) +
        _runs('baseline_step', [0.5, 0.6, 0.55]), models={})))
    (tmp_path / 'egait_sklearn_random.json').write_text(
        json.dumps(dict(runs=_runs('sk_svm_motion165', [0.6, 0.7, 0.7]))))
    result = mod.main([
        '--table-only', '--no-ntu', '--protocol-results', str(protocol),
        '--out-dir', str(tmp_path), '--readmes'
    ])
    assert list(result['table']) == [
        'step', 'baseline_step', 'sk_svm_motion165'
    ]
    assert result['meta']['sources'][0] == osp.relpath(str(protocol), REPO)
    md = (tmp_path / 'egait_table_random.md').read_text()
    assert 'protocol.json' in md and 'egait_sklearn_random.json' in md
    # the table's own runs would land elsewhere: refused without
    # --table-only, and a missing file is named
    with pytest.raises(SystemExit):
        mod.main(['--protocol-results', str(protocol), '--out-dir',
                  str(tmp_path), '--readmes'])
    assert '--protocol-results goes with --table-only' in \
        capsys.readouterr().err
    with pytest.raises(SystemExit):
        mod.main(['--table-only', '--protocol-results',
                  str(tmp_path / 'nope.json'), '--readmes'])
    assert 'nope.json: file not found' in capsys.readouterr().err
