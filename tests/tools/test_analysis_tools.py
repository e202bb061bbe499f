# Copyright (c) step_mm contributors. All rights reserved.
"""The dump readers, score fusion and the benchmark's bookkeeping."""
import glob
import json
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from step_mm.testing import load_script

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(rel):
    return load_script(rel, osp.splitext(osp.basename(rel))[0] + '_under_test')


cm_tool = _load('tools/analysis_tools/confusion_matrix.py')
fuse_tool = _load('tools/analysis_tools/fuse_scores.py')


def _write_dump(path, names, scores, labels, legacy=False):
    """A dump in mmengine DumpResults' layout (mmaction2 1.1.0 fields)."""
    results = []
    for n, s, y in zip(names, scores, labels):
        s = torch.tensor(s, dtype=torch.float32)
        if legacy:  # mmaction2 >= 1.2 field names
            results.append(
                dict(frame_dir=n, gt_label=torch.tensor([y]), pred_score=s))
        else:
            results.append(
                dict(
                    frame_dir=n,
                    gt_labels=dict(item=torch.tensor([y])),
                    pred_scores=dict(item=s),
                    pred_labels=dict(item=s.argmax(keepdim=True))))
    with open(path, 'wb') as f:
        pickle.dump(results, f)
    return str(path)


LABELS = [0, 0, 1, 2, 3, 3]
JOINT = np.array([[.6, .2, .1, .1], [.2, .5, .2, .1], [.1, .7, .1, .1],
                  [.1, .1, .7, .1], [.1, .1, .1, .7], [.45, .1, .1, .35]])
BONE = np.array([[.7, .1, .1, .1], [.7, .1, .1, .1], [.1, .6, .2, .1],
                 [.4, .1, .4, .1], [.1, .1, .1, .7], [.1, .1, .1, .7]])
NAMES = [f'g{i}' for i in range(6)]


def test_confusion_matrix_and_accuracies(tmp_path, capsys):
    dump = _write_dump(tmp_path / 'j.pkl', NAMES, JOINT, LABELS)
    cm = cm_tool.main([dump])
    expected = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0],
                         [1, 0, 0, 1]])
    np.testing.assert_array_equal(cm, expected)
    from step_mm.evaluation.functional import accuracies
    acc = accuracies(JOINT, np.array(LABELS))
    assert acc['top1'] == pytest.approx(4 / 6)
    np.testing.assert_allclose(acc['per_class'], [0.5, 1, 1, 0.5])
    assert acc['mean_class'] == pytest.approx(0.75)
    assert 'top-1 0.6667  mean-class 0.7500' in capsys.readouterr().out


def test_reads_later_field_names(tmp_path):
    dump = _write_dump(tmp_path / 'l.pkl', NAMES, JOINT, LABELS, legacy=True)
    names, scores, labels = cm_tool.load_dump(dump)
    assert names == NAMES and labels.tolist() == LABELS
    np.testing.assert_allclose(scores, JOINT, rtol=1e-6)


def test_fusion_matches_by_name(tmp_path):
    joint = _write_dump(tmp_path / 'j.pkl', NAMES, JOINT, LABELS)
    order = [5, 3, 1, 0, 2, 4]  # the bone dump in another order
    bone = _write_dump(tmp_path / 'b.pkl', [NAMES[i] for i in order],
                       BONE[order], [LABELS[i] for i in order])
    names, fused, labels = fuse_tool.fuse_dumps([joint, bone], [1, 2])
    np.testing.assert_allclose(fused, JOINT + 2 * BONE, rtol=1e-6)
    result = fuse_tool.main([joint, bone])
    # joint alone gets 4/6, bone 5/6; their sum gets every gait right
    assert result['top1'] == pytest.approx(1.0)
    assert result['mean_class'] == pytest.approx(1.0)


def test_bad_dumps_are_named(tmp_path):
    joint = _write_dump(tmp_path / 'j.pkl', NAMES, JOINT, LABELS)
    other = _write_dump(tmp_path / 'o.pkl', NAMES[:5], JOINT[:5], LABELS[:5])
    with pytest.raises(ValueError, match='different gaits'):
        fuse_tool.fuse_dumps([joint, other])
    bad = tmp_path / 'bad.pkl'
    with open(bad, 'wb') as f:
        pickle.dump([dict(frame_dir='x')], f)
    with pytest.raises(ValueError, match='bad.pkl.*pred_scores'):
        cm_tool.load_dump(str(bad))
    with pytest.raises(FileNotFoundError, match='nope.pkl'):
        cm_tool.load_dump(str(tmp_path / 'nope.pkl'))


@pytest.fixture(scope='module')
def real_dump(tiny_egait, tmp_path_factory):
    """A dump written by mmengine's DumpResults (``tools/test.py --dump``)
    of a narrow untrained STEP on the tiny set."""
    from step_mm.apis import init_gait_model
    step = glob.glob(
        osp.join(REPO, 'configs', 'step', 'step_stgcn-aff_*_egait-*.py'))[0]
    small = {'model.backbone.channels': (8, 16, 16),
             'model.cls_head.in_channels': 16,
             'model.cls_head.hidden_channels': 16}
    model = init_gait_model(step, cfg_options=small)
    n = model.cls_head.num_affective
    model.cls_head.set_affective_stats(np.zeros(n), np.ones(n))
    work = tmp_path_factory.mktemp('real_dump')
    ckpt = str(work / 'step.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    dump = str(work / 'step.pkl')
    metrics = _load('tools/test.py').main(
        [step, ckpt, '--work-dir', str(work), '--dump', dump,
         '--cfg-options', f'test_dataloader.dataset.data_root={tiny_egait}',
         'test_dataloader.dataset.protocol=all'] +
        [f'{k}={v}'.replace(' ', '') for k, v in small.items()])
    return dump, np.asarray(metrics['confusion_matrix/result'])


def _run(tool, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis_tools', tool)] +
        list(args), env=env, capture_output=True, text=True, timeout=300)


class _Payload:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_real_dump_is_read_by_every_reader(real_dump, tmp_path):
    """What DumpResults writes passes the safe loader in all three readers,
    and gives the tool's own confusion matrix."""
    from step_mm.visualization import plot_confusion_matrix
    dump, cm_metric = real_dump
    proc = _run('confusion_matrix.py', dump)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f'({int(cm_metric.sum())} gaits)' in proc.stdout
    proc = _run('fuse_scores.py', dump, dump)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'fused top-1' in proc.stdout
    cm = plot_confusion_matrix(dump, str(tmp_path / 'cm.png'))
    np.testing.assert_array_equal(cm, cm_metric)


def test_dump_that_would_run_code_is_refused(real_dump, tmp_path):
    """A pickle calling os.system: the file is never created; each tool
    exits 2 with one line naming the dump; the API raises ValueError."""
    from step_mm.visualization import plot_confusion_matrix
    marker = str(tmp_path / 'created_by_the_pickle')
    evil = str(tmp_path / 'evil.pkl')
    with open(evil, 'wb') as f:
        pickle.dump([dict(frame_dir='x', pred_scores=_Payload(marker),
                          gt_labels=dict(item=torch.tensor([0])))], f)
    cut = str(tmp_path / 'cut.pkl')
    data = open(real_dump[0], 'rb').read()
    with open(cut, 'wb') as f:
        f.write(data[:len(data) // 3])
    for tool, args, bad in (
            ('confusion_matrix.py', [evil], evil),
            ('fuse_scores.py', [real_dump[0], evil], evil),
            ('confusion_matrix.py', [cut], cut)):
        proc = _run(tool, *args)
        assert proc.returncode == 2, proc.stderr[-2000:]
        lines = proc.stderr.strip().splitlines()
        assert 'Traceback' not in proc.stderr
        assert lines[-1].startswith(f'{tool}: {bad}: '), lines
        assert ('not loaded: the pickle calls posix.system' in lines[-1]
                if bad == evil else 'ends early' in lines[-1])
        assert not osp.exists(marker)
    with pytest.raises(ValueError, match=f'{evil}: not loaded'):
        plot_confusion_matrix(evil, str(tmp_path / 'cm.png'))
    assert not osp.exists(marker)


bench = _load('benchmarks/egait_protocol.py')


def test_model_keys():
    key = bench.model_key
    assert key('configs/step/step_stgcn-aff_1xb8-joint-t75-12e_egait-'
               'keypoint-3d.py') == 'step'
    assert key('step_stgcn-baseline_1xb8-joint-t75-30e_egait-keypoint-3d'
               '.py') == 'baseline_step'
    assert key('step_stgcn-gcnhead_1xb8-joint-t75-12e_egait-keypoint-3d'
               '.py') == 'step_gcnhead'
    assert key('stgcnpp_1xb16-joint-t75-30e_egait-keypoint-3d.py') == \
        'stgcnpp'
    assert key('aagcn_1xb16-bone-t75-30e_egait-keypoint-3d.py') == \
        'aagcn_bone'


def test_fused_runs_and_summary(tmp_path):
    joint = _write_dump(tmp_path / 'j.pkl', NAMES, JOINT, LABELS)
    bone = _write_dump(tmp_path / 'b.pkl', NAMES, BONE, LABELS)
    runs = [
        dict(config=config, model=model, fold=fold, seed=0, top1=top1,
             mean_class=mean_class, best_epoch=epoch, train_time_s=time_s)
        for config, model, fold, top1, mean_class, epoch, time_s in (
            ('a-joint.py', 'stgcn', 0, 4 / 6, 0.75, 3, 10.),
            ('a-bone.py', 'stgcn_bone', 0, 0.5, 0.5, 2, 12.),
            ('a-joint.py', 'stgcn', 1, 0.5, 0.25, 1, 8.))
    ]
    dumps = {('a-joint.py', 0, 0): joint, ('a-bone.py', 0, 0): bone}
    fused = bench.fused_runs(runs, dumps)
    assert len(fused) == 1  # fold 1 has no bone run
    assert fused[0]['model'] == 'stgcn_2s'
    assert fused[0]['top1'] == pytest.approx(1.0)
    assert fused[0]['train_time_s'] == pytest.approx(22.)
    assert bench.fused_runs(runs + fused, dumps) == []  # no duplicates
    summary = bench.summarize(runs + fused, {'stgcn': dict(params=5, flops=7)})
    s = summary['stgcn']
    assert s['n_runs'] == 2
    assert s['top1_mean'] == pytest.approx((4 / 6 + 0.5) / 2)
    assert s['top1_std'] == pytest.approx(np.std([4 / 6, 0.5], ddof=1))
    assert s['params'] == 5 and summary['stgcn_2s']['n_runs'] == 1
    result = dict(
        meta=dict(protocol='random', num_folds=10, seeds=[0], cpu_threads=2),
        summary=summary)
    table = bench.markdown(result)
    assert '| stgcn | 0.583 ± 0.118 |' in table


def test_accuracy_by_source_is_pooled_over_runs(tmp_path):
    names = ['ale_walk_an_1_fin', '001_Angry_positions', 'g2']
    joint = _write_dump(tmp_path / 'j.pkl', names, JOINT[:3], LABELS[:3])
    bone = _write_dump(tmp_path / 'b.pkl', names, BONE[:3], LABELS[:3])
    base = dict(seed=0, mean_class=0.5, best_epoch=1, train_time_s=1.)
    runs = [
        dict(base, config='j.py', model='m', fold=0, top1=.5,
             by_source=dict(BML=dict(top1=1., num=2), ICT=dict(top1=0.,
                                                             num=1))),
        dict(base, config='j.py', model='m', fold=1, top1=.5,
             by_source=dict(BML=dict(top1=0., num=2))),
        dict(base, config='b.py', model='m_bone', fold=0, top1=.5),
    ]
    # what train_and_test stores for a run, from its test dump
    from step_mm.apis.protocol import dump_accuracy_by_source
    assert dump_accuracy_by_source(joint) == dict(
        BML=dict(top1=1., num=1), ICT=dict(top1=0., num=1),
        other=dict(top1=1., num=1))
    pooled = bench.pooled_by_source(runs[:2])
    assert pooled == dict(BML=dict(top1=0.5, num=4), ICT=dict(top1=0., num=1))
    assert bench.pooled_by_source(runs) is None  # a run without sources
    # fused runs carry their own per-source accuracy, from the dumps' names
    fused = bench.fused_runs(runs, {('j.py', 0, 0): joint,
                                    ('b.py', 0, 0): bone})
    # joint + bone: all three right (happy, happy, angry)
    assert fused[0]['by_source'] == dict(
        BML=dict(top1=1., num=1), ICT=dict(top1=1., num=1),
        other=dict(top1=1., num=1))
    summary = bench.summarize(runs[:2], {})
    table = bench.markdown(
        dict(meta=dict(protocol='random', num_folds=10, seeds=[0],
                       cpu_threads=1), summary=summary))
    assert '| model | BML | ICT | CMU |' in table
    assert '| m | 0.50 | 0.00 | - |' in table

