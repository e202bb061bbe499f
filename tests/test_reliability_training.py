# Copyright (c) step_mm contributors. All rights reserved.
"""Interrupted training, determinism and CPU distributed training.

Every run is ``tools/train.py`` on the real STEP config, on the generated
40-gait ``tiny_egait`` set, with the backbone narrowed to (8, 16, 16)
channels (the layers, temporal kernels, affective branch, schedule and
pipeline are the config's own) and one torch thread, so a run takes
seconds on CPU.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import random
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from types import SimpleNamespace
from unittest.mock import MagicMock

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from step_mm.datasets import make_split
from step_mm.testing import load_script

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STEP = glob.glob(
    osp.join(REPO, 'configs', 'step', 'step_stgcn-aff_*_egait-*.py'))[0]
PYTHON = sys.executable
EPOCHS = 4
BATCH = 8
SEED = 0
# Digests of the fold assignment (see split_digest), recorded once; they
# must never change, or published per-fold results stop being comparable.
TINY_SPLIT_SHA256 = (
    'c3b700aab6a8b6b04059ec4779cd48ec5c592407af3e7c7d6b2ddc52a1c2bf1f')
EGAIT_SPLIT_SHA256 = (
    'd2514d1c0d3d10c28e0bab26970489da32f1e38dbcccd8c9dcb212e7a72a375a')

# A narrow STEP: same layers, temporal kernels and pipeline as the config.
SMALL = [
    'model.backbone.channels=(8,16,16)',
    'model.cls_head.in_channels=16',
    'model.cls_head.hidden_channels=16',
]

CRASH_HOOK = '''
import os
import signal

from mmaction.registry import HOOKS
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import Hook

_put = LocalBackend.put


@HOOKS.register_module()
class CrashInEpochHook(Hook):
    """Die, without any clean-up, in epoch ``epoch`` (1-based).

    ``how='exit'``: ``os._exit`` after half of the epoch's iterations.
    ``how='kill_in_save'``: SIGKILL half-way through writing the epoch's
    checkpoint (after CheckpointHook removed the oldest one), or the file
    ``file`` of that epoch (e.g. the best checkpoint) if given.
    """

    priority = 'LOWEST'  # after the iteration is logged

    def __init__(self, epoch, how='exit', file=None):
        self.epoch, self.how = epoch, how
        self.file = file or f'epoch_{epoch}.pth'

    def before_train(self, runner):
        if self.how != 'kill_in_save':
            return
        name = self.file

        def put(backend, obj, filepath):
            # the file itself, or the temporary file written before it
            if os.path.basename(str(filepath)).startswith(name):
                with open(filepath, 'wb') as f:
                    f.write(obj[:len(obj) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
            return _put(backend, obj, filepath)

        LocalBackend.put = put

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        half = len(runner.train_dataloader) // 2
        if (self.how == 'exit' and runner.epoch + 1 == self.epoch
                and batch_idx + 1 == half):
            os._exit(3)


@HOOKS.register_module()
class RisingMetricHook(Hook):
    """Make every validation a new best: acc/top1 := the epoch."""

    priority = 'HIGHEST'  # before CheckpointHook reads the metrics

    def after_val_epoch(self, runner, metrics=None):
        metrics['acc/top1'] = float(runner.epoch)
'''


def _tool(name):
    return load_script(f'tools/{name}.py', 'tool_' + name)


def _options(root, epochs=EPOCHS, batch=BATCH, protocol='random'):
    """``--cfg-options`` for a short, deterministic run on ``root``."""
    opts = SMALL + [
        f'train_cfg.max_epochs={epochs}',
        f'train_dataloader.batch_size={batch}',
        f'randomness.seed={SEED}',
        'randomness.deterministic=True',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1',
        'log_processor.window_size=1',
    ]
    for subset in ('train', 'val', 'test'):
        opts += [
            f'{subset}_dataloader.dataset.data_root={root}',
            f'{subset}_dataloader.dataset.protocol={protocol}',
            f'{subset}_dataloader.dataset.num_folds=5',
            f'{subset}_dataloader.num_workers=0',
        ]
    return opts


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    """One torch thread (as the subprocesses get), restored afterwards.

    Two threads on a busy 2-core machine make every step ~50x slower, and
    runs compared bit for bit must use the same thread count.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(False)


def _env(extra_path=None):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    paths = [REPO] + ([extra_path] if extra_path else [])
    env['PYTHONPATH'] = os.pathsep.join(
        paths + [env['PYTHONPATH']] if env.get('PYTHONPATH') else paths)
    return env


def train_in_process(work_dir, options, resume=False):
    """Run ``tools/train.py`` in this process.

    Returns:
        dict: ``state`` (final weights), ``test`` (test metrics of the
        final model), ``runner``.
    """
    train = _tool('train')
    argv = [STEP, '--work-dir', work_dir]
    if resume:
        argv.append('--resume')
    args = train.parse_args(argv + ['--cfg-options'] + options)
    cfg = train.merge_args(Config.fromfile(STEP), args)
    cfg.experiment_name = f'rel_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    model = runner.train()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    test = runner.test()
    return dict(state=state, test=test, runner=runner)


def train_with_hooks(tmp_path, work_dir, options, resume=False):
    """``tools/train.py`` as ``__main__`` in a subprocess, with the hooks of
    ``CRASH_HOOK`` registered first (custom_imports are imported before
    --cfg-options apply)."""
    hook_dir = tmp_path / 'hook'
    if not hook_dir.is_dir():
        hook_dir.mkdir()
        (hook_dir / 'crash_hook.py').write_text(textwrap.dedent(CRASH_HOOK))
    runner = ('import runpy, sys, crash_hook; sys.argv = sys.argv[1:]; '
              'runpy.run_path(sys.argv[0], run_name="__main__")')
    return subprocess.run(
        [PYTHON, '-c', runner, osp.join(REPO, 'tools', 'train.py'), STEP,
         '--work-dir', work_dir] + (['--resume'] if resume else []) +
        ['--cfg-options'] + options,
        env=_env(str(hook_dir)), cwd=REPO, capture_output=True, text=True,
        timeout=300)


def history(work_dir):
    """Per-epoch val metrics and per-iteration train losses of all runs in
    ``work_dir`` (a resumed run's entries replace the crashed run's)."""
    val, loss = {}, {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'acc/top1' in rec:
                    val[rec['step']] = (rec['acc/top1'], rec['acc/mean1'])
                elif 'loss' in rec:
                    loss[rec['step']] = rec['loss']
    return val, loss


def best_checkpoints(work_dir):
    return sorted(
        osp.basename(p)
        for p in glob.glob(osp.join(work_dir, 'best_acc_top1_*.pth')))


def assert_same_metrics(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]), k)


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f'{k} differs'


@pytest.fixture(scope='module')
def reference(tiny_egait, tmp_path_factory):
    """An uninterrupted run: 4 epochs x 4 iterations."""
    work = str(tmp_path_factory.mktemp('reference'))
    out = train_in_process(work, _options(tiny_egait))
    out['work_dir'] = work
    return out


@pytest.mark.parametrize('how', ['exit', 'kill_in_save'])
def test_interrupted_training_resumes_exactly(how, reference, tiny_egait,
                                              tmp_path):
    """Die in epoch 3, ``--resume``: the same run as never dying.

    ``exit``: half-way through the epoch. ``kill_in_save``: SIGKILL while
    writing ``epoch_3.pth``, after the hook removed the oldest checkpoint
    (resumable because the configs keep two).
    """
    ref_val, ref_loss = history(reference['work_dir'])
    per_epoch = len(ref_loss) // EPOCHS  # iterations per epoch
    assert per_epoch >= 2 and sorted(ref_loss) == list(
        range(1, EPOCHS * per_epoch + 1))
    work = str(tmp_path / 'work')
    opts = _options(tiny_egait)
    crash = [
        'default_hooks.crash.type=CrashInEpochHook',
        'default_hooks.crash.epoch=3', f'default_hooks.crash.how={how}'
    ]
    proc = train_with_hooks(tmp_path, work, opts + crash)
    expected_rc = -signal.SIGKILL if how == 'kill_in_save' else 3
    assert proc.returncode == expected_rc, proc.stderr[-3000:]
    # it died in epoch 3: the last complete checkpoint is epoch 2's
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert osp.basename(f.read().strip()) == 'epoch_2.pth'
    val, loss = history(work)
    assert sorted(val) == [1, 2]
    # nothing half-written under a checkpoint's name
    assert not osp.exists(osp.join(work, 'epoch_3.pth'))
    if how == 'exit':
        assert max(loss) == 2 * per_epoch + per_epoch // 2
    else:  # all of epoch 3 trained; the kill cut its temporary file short
        assert osp.getsize(osp.join(work, 'epoch_3.pth.part')) > 0
        assert max(loss) == 3 * per_epoch
        # and the oldest checkpoint is removed only once the new one is
        # complete: epochs 1 and 2 are both still there
        assert osp.isfile(osp.join(work, 'epoch_1.pth'))

    resumed = train_in_process(work, opts, resume=True)
    assert not glob.glob(osp.join(work, '*.part'))  # removed on resume

    val, loss = history(work)
    assert loss == ref_loss  # every iteration, before and after the crash
    assert val == ref_val
    assert_same_metrics(resumed['test'], reference['test'])
    assert_same_state(resumed['state'], reference['state'])
    # the best checkpoint is the same epoch's, and there is only one
    assert best_checkpoints(work) == best_checkpoints(reference['work_dir'])


def test_kill_while_saving_best_keeps_previous_best(tiny_egait, tmp_path):
    """SIGKILL while writing the new best checkpoint (mmengine removes the
    previous best first): the previous best stays complete, nothing is
    written under the new best's name, and ``--resume`` goes on to one
    best checkpoint."""
    work = str(tmp_path / 'work')
    # every validation is a new best, so epoch 2 replaces epoch 1's
    opts = _options(tiny_egait, epochs=3) + [
        'default_hooks.rising.type=RisingMetricHook'
    ]
    crash = [
        'default_hooks.crash.type=CrashInEpochHook',
        'default_hooks.crash.epoch=2', 'default_hooks.crash.how=kill_in_save',
        'default_hooks.crash.file=best_acc_top1_epoch_2.pth'
    ]
    proc = train_with_hooks(tmp_path, work, opts + crash)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert best_checkpoints(work) == ['best_acc_top1_epoch_1.pth']
    best = torch.load(osp.join(work, 'best_acc_top1_epoch_1.pth'),
                      map_location='cpu')  # complete: it loads
    assert best['meta']['epoch'] == 1
    assert osp.getsize(osp.join(work, 'best_acc_top1_epoch_2.pth.part')) > 0
    # epoch 2 itself was saved before validation: it is complete
    assert torch.load(osp.join(work, 'epoch_2.pth'),
                      map_location='cpu')['meta']['epoch'] == 2

    proc = train_with_hooks(tmp_path, work, opts, resume=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert best_checkpoints(work) == ['best_acc_top1_epoch_3.pth']
    assert not glob.glob(osp.join(work, '*.part'))
    assert sorted(osp.basename(p) for p in glob.glob(
        osp.join(work, 'epoch_*.pth'))) == ['epoch_2.pth', 'epoch_3.pth']


def test_resume_with_nothing_to_resume_says_so(tiny_egait, tmp_path):
    """Killed before the first checkpoint (saved every 4 epochs),
    ``--resume`` stops with one line instead of silently starting over."""
    work = str(tmp_path / 'work')
    opts = _options(tiny_egait) + ['default_hooks.checkpoint.interval=4']
    crash = ['default_hooks.crash.type=CrashInEpochHook',
             'default_hooks.crash.epoch=1']
    proc = train_with_hooks(tmp_path, work, opts + crash)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert not osp.exists(osp.join(work, 'last_checkpoint'))
    runs = sorted(os.listdir(work))

    proc = run_train_tool(work, opts, resume=True)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(f'tools/train.py: --resume: nothing to resume in '
                           f'{work}'), line
    assert 'every 4 epochs (default_hooks.checkpoint.interval)' in line
    assert 'run without --resume to start over' in line
    new_run = [r for r in os.listdir(work) if r not in runs]
    assert not glob.glob(osp.join(work, *new_run, 'vis_data',
                                  'scalars.json'))  # nothing trained

    # last_checkpoint naming a file that is not there: named, not guessed
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_8.pth'))
    train = _tool('train')
    with pytest.raises(SystemExit, match=r'--resume: .*last_checkpoint names '
                       r'.*epoch_8\.pth, which is not a file'):
        train.main([STEP, '--work-dir', work, '--resume', '--cfg-options'] +
                   opts)


def run_train_tool(work_dir, options, resume=False):
    """Plain ``python tools/train.py STEP ...`` in a subprocess."""
    return subprocess.run(
        [PYTHON, osp.join(REPO, 'tools', 'train.py'), STEP, '--work-dir',
         work_dir] + (['--resume'] if resume else []) + ['--cfg-options'] +
        options, env=_env(), cwd=REPO, capture_output=True, text=True,
        timeout=300)


def test_same_seed_same_run(reference, tiny_egait, tmp_path):
    """Two runs with the same seed (deterministic mode) are bit-identical."""
    again = train_in_process(str(tmp_path), _options(tiny_egait))
    assert history(str(tmp_path)) == history(reference['work_dir'])
    assert_same_metrics(again['test'], reference['test'])
    assert_same_state(again['state'], reference['state'])
    assert torch.are_deterministic_algorithms_enabled()


def _gaits(root, **kwargs):
    """(key, label) of the gaits of an ``EGaitDataset``, in its order."""
    from mmaction.registry import DATASETS
    ds = DATASETS.build(
        dict(type='EGaitDataset', data_root=root, pipeline=[], **kwargs))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    return [(info['frame_dir'], int(info['label'])) for info in infos]


def split_digest(root, num_folds):
    """SHA-256 of the sorted 'protocol fold subset key' lines of every fold
    of both protocols (seed 0), as ``EGaitDataset`` splits ``root``."""
    gaits = _gaits(root, protocol='all')
    keys, labels = [k for k, _ in gaits], [lab for _, lab in gaits]
    lines = []
    for protocol in ('random', 'subject'):
        for fold in range(num_folds):
            split = make_split(keys, labels, protocol, num_folds, fold, 0,
                               0.1)
            lines += [f'{protocol} {fold} {subset} {keys[i]}'
                      for subset, idx in split.items() for i in idx]
    return hashlib.sha256('\n'.join(sorted(lines)).encode()).hexdigest()


def test_split_is_a_fixed_function_of_keys(tiny_egait):
    """The folds of the tiny set are the recorded ones, on every machine
    and in every run (seeded ``default_rng`` over sorted keys)."""
    assert split_digest(tiny_egait, 5) == TINY_SPLIT_SHA256
    # and the dataset uses exactly this split
    test = _gaits(tiny_egait, protocol='subject', num_folds=5, fold=2,
                  subset='test')
    gaits = _gaits(tiny_egait, protocol='all')
    split = make_split([k for k, _ in gaits], [lab for _, lab in gaits],
                       'subject', 5, 2, 0, 0.1)
    assert [k for k, _ in test] == [gaits[i][0] for i in split['test']]


def test_real_split_is_the_recorded_one(egait_root):
    """E-Gait's 10-fold splits (seed 0) are those of docs/egait.md's table,
    recorded as a digest of the key assignment."""
    assert split_digest(egait_root, 10) == EGAIT_SPLIT_SHA256
    gaits = _gaits(egait_root, protocol='all')
    split = make_split([k for k, _ in gaits], [lab for _, lab in gaits],
                       'random', 10, 0, 0, 0.1)
    assert {k: len(v) for k, v in split.items()} == dict(
        train=277, val=31, test=34)


# Train-pipeline settings that make each random gait transform the identity
# (the distributed comparison isolates the effect of per-rank BatchNorm).
NO_AUGMENTATION = dict(
    MirrorGait=dict(prob=0),
    RandomRotateGait=dict(prob=0),
    RandomScaleGait=dict(scale_range=(1, 1)),
    RandomSpeedGait=dict(speed_range=(1, 1), min_crop=1),
    RandomJitterGait=dict(prob=0),
    RandomFrameRateGait=dict(prob=0),
    RandomDropFrames=dict(prob=0),
    RandomOccludeJoints=dict(prob=0),
    RandomBoneScaleGait=dict(prob=0))


def _no_augmentation_options(config):
    opts = []
    pipeline = Config.fromfile(config).train_dataloader.dataset.pipeline
    for i, step in enumerate(pipeline):
        for name, value in NO_AUGMENTATION.get(step['type'], {}).items():
            value = str(value).replace(' ', '')
            opts.append(f'train_dataloader.dataset.pipeline.{i}.{name}='
                        f'{value}')
    return opts


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_group(cmd, env, timeout):
    """Run ``cmd`` in a process group of its own; on timeout the whole group
    (torchrun and every rank) is killed before the error is raised."""
    proc = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def dist_train(config, work_dir, options, procs=2, timeout=300):
    """``tools/dist_train.sh CONFIG procs`` on a free port; retried once if
    another job took the port between the probe and the launch."""
    for _ in range(2):
        env = _env()
        env.update(PORT=str(free_port()), PYTHON=PYTHON)
        proc = run_group(
            ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config,
             str(procs), '--work-dir', work_dir, '--cfg-options'] + options,
            env, timeout)
        if 'address already in use' not in proc.stderr.lower():
            break
    return proc


TEARDOWN_SCRIPT = '''
import os, runpy, sys
import torch.distributed as dist
tool = sys.argv[1]
sys.argv = [f'tools/{tool}.py'] + sys.argv[2:]
os.environ.update(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
                  MASTER_ADDR='127.0.0.1')
runpy.run_path(f'tools/{tool}.py', run_name='__main__')
print('PROCESS_GROUP_ALIVE', dist.is_initialized())
'''


def test_tools_destroy_the_process_group(tiny_egait, tmp_path):
    """``tools/train.py`` and ``tools/test.py`` with ``--launcher pytorch``
    leave no gloo group behind: a live one at interpreter exit lets gloo's
    threads race ``Py_FinalizeEx`` (pytorch/pytorch#190489)."""
    work = str(tmp_path / 'work')
    opts = ['--launcher', 'pytorch', '--work-dir', work, '--cfg-options'
            ] + _options(tiny_egait, epochs=1)
    for tool, args in (('train', [STEP]), ('test', None)):
        if args is None:  # test the checkpoint the training wrote
            args = [STEP, osp.join(work, 'epoch_1.pth')]
        env = _env()
        env['MASTER_PORT'] = str(free_port())
        proc = run_group([PYTHON, '-c', TEARDOWN_SCRIPT, tool] + args + opts,
                         env, 300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert 'PROCESS_GROUP_ALIVE False' in proc.stdout, \
            proc.stdout[-2000:]


@pytest.fixture(scope='module')
def small_step_ckpt(tmp_path_factory):
    """A narrow untrained STEP (``SMALL``) with fitted-looking statistics."""
    from step_mm.apis import init_gait_model
    from ast import literal_eval
    model = init_gait_model(STEP, cfg_options={
        k: literal_eval(v) for k, v in (o.split('=', 1) for o in SMALL)})
    n = model.cls_head.num_affective
    model.cls_head.set_affective_stats(np.zeros(n), np.ones(n))
    path = str(tmp_path_factory.mktemp('small_step') / 'step.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def _dist_test_cmd(ckpt, work, root, extra=()):
    opts = SMALL + [f'test_dataloader.dataset.data_root={root}',
                    'test_dataloader.dataset.protocol=all',
                    'test_dataloader.num_workers=0']
    return ['bash', osp.join(REPO, 'tools', 'dist_test.sh'), STEP, ckpt, '2',
            '--work-dir', work] + list(extra) + ['--cfg-options'] + opts


def test_dist_test_sh_tests_on_two_processes(small_step_ckpt, tiny_egait,
                                             tmp_path):
    """``tools/dist_test.sh`` (gloo, 2 processes): both ranks end cleanly
    (tools/test.py destroys the group) and the dump holds every gait."""
    work, dump = str(tmp_path / 'work'), str(tmp_path / 'dist.pkl')
    env = _env()
    env.update(PORT=str(free_port()), PYTHON=PYTHON)
    proc = run_group(
        _dist_test_cmd(small_step_ckpt, work, tiny_egait, ['--dump', dump]),
        env, 300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'terminate called' not in proc.stderr
    from step_mm.evaluation.dumps import load_dump
    assert len(load_dump(dump)) == 40


def test_dist_test_sh_signal_stops_every_rank(small_step_ckpt, tiny_egait,
                                              tmp_path):
    """SIGTERM to the script (what a timeout sends) stops torchrun and both
    ranks: the script execs the launcher instead of leaving it orphaned."""
    work = str(tmp_path / 'work')
    env = _env()
    env.update(PORT=str(free_port()), PYTHON=PYTHON)
    proc = subprocess.Popen(
        _dist_test_cmd(small_step_ckpt, work, tiny_egait), env=env, cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.time() + 240
        while not glob.glob(osp.join(work, '*', '*.log')):  # ranks started
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)  # to the script's process only
        proc.wait(timeout=60)
        time.sleep(2)
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)  # nothing of the job is left
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def write_pairs(root, num=20):
    """A set of ``num`` generated gaits, each stored twice (keys ``..._a``,
    ``..._b``, adjacent in the dataset's sorted order)."""
    from step_mm.datasets import write_gait_h5
    from step_mm.testing import make_fake_gait
    rng = np.random.default_rng(0)
    names = ('Happy', 'Angry', 'Sad', 'Neutral')
    feats, labels, aff = {}, {}, {}
    for i in range(num):
        gait = make_fake_gait(int(rng.integers(18, 76)), i % 4, rng)
        feat = rng.uniform(-1, 1, 29)
        for copy in 'ab':
            key = f'{i:03d}_{names[i % 4]}_{copy}_positions.csv'
            feats[key], labels[key], aff[key] = gait, np.int32(i % 4), feat
    write_gait_h5(osp.join(root, 'features.h5'), feats)
    write_gait_h5(osp.join(root, 'labels.h5'), labels)
    write_gait_h5(osp.join(root, 'affectiveFeatures.h5'), aff)
    return root


def test_distributed_gloo_matches_single_process(tmp_path):
    """2 CPU processes x 4 gaits (gloo) == 1 process x 8 gaits.

    ``tools/dist_train.sh`` (``--launcher pytorch``, gloo) against
    ``tools/train.py`` with the same effective batch. On distinct gaits the
    two differ by design: BatchNorm normalises each rank's 4 gaits with
    their own statistics (SyncBatchNorm needs a GPU), so only approximate
    agreement could be asked. To test the distributed mechanics exactly,
    every gait here is stored twice, the sampler does not shuffle and the
    augmentations and dropout are off: rank 0 gets gaits 0, 1, 2, 3, rank 1
    their copies, and the single process all eight, so every BatchNorm sees
    the same statistics and DDP's averaged gradient is the single process's
    gradient. What is left is float summation order: the per-iteration
    losses agree to 1e-4 (measured <= 3e-6), val top-1 on the 40 gaits to
    one gait, and the weights to 10% of the distance they moved from their
    initial values (measured 2%: Adam's normalised step turns rounding-level
    differences of near-zero gradients into full steps).
    """
    root = write_pairs(str(tmp_path / 'pairs'))
    opts = _options(root, epochs=2, protocol='all') + [
        'train_dataloader.sampler.shuffle=False', 'model.cls_head.dropout=0'
    ] + _no_augmentation_options(STEP)
    single = train_in_process(
        str(tmp_path / 'single'), opts + ['train_dataloader.batch_size=8'])
    work = str(tmp_path / 'dist')
    proc = dist_train(STEP, work, opts + ['train_dataloader.batch_size=4'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(glob.glob(osp.join(work, '*', '*.log'))[0]) as f:
        log = f.read()
    assert 'Distributed training: True' in log
    assert 'Epoch(train) [2][5/5]' in log  # 40 gaits / (2 x 4) per step

    val_s, loss_s = history(str(tmp_path / 'single'))
    val_d, loss_d = history(work)
    assert sorted(loss_d) == sorted(loss_s) == list(range(1, 11))
    for step in loss_s:
        assert abs(loss_s[step] - loss_d[step]) < 1e-4, step
    assert sorted(val_d) == sorted(val_s) == [1, 2]
    for epoch in val_s:
        assert abs(val_s[epoch][0] - val_d[epoch][0]) <= 1 / 40 + 1e-9

    dist_state = torch.load(
        osp.join(work, 'epoch_2.pth'), map_location='cpu')['state_dict']
    model = single['runner'].model
    init = Runner.from_cfg(single['runner'].cfg).model.state_dict()
    names = [name for name, _ in model.named_parameters()]
    moved = _norm(single['state'], init, names)
    apart = _norm(dist_state, single['state'], names)
    assert apart < 0.1 * moved, (apart, moved)


def _norm(a, b, names):
    """L2 distance between the ``names`` tensors of two state dicts."""
    return float(
        sum(((a[k].double() - b[k].double())**2).sum() for k in names)**0.5)


def test_distributed_gloo_trains_stepgen(tiny_egait, tmp_path):
    """``tools/dist_train.sh`` runs STEP-Gen on 2 CPU processes too."""
    config = sorted(
        c for c in glob.glob(osp.join(REPO, 'configs', 'step_gen', '*.py'))
        if 'no-pushpull' not in c)[0]
    work = str(tmp_path / 'dist')
    opts = [
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'train_dataloader.batch_size=4', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1', f'randomness.seed={SEED}'
    ]
    for subset in ('train', 'val'):
        opts += [
            f'{subset}_dataloader.dataset.data_root={tiny_egait}',
            f'{subset}_dataloader.dataset.protocol=all'
        ]
    proc = dist_train(config, work, opts)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(glob.glob(osp.join(work, '*', '*.log'))[0]) as f:
        log = f.read()
    assert 'Distributed training: True' in log
    assert 'Epoch(train) [1][5/5]' in log  # 40 gaits / (2 x 4) per step
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu')
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())
    scalars = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))[0]
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    val = [r for r in records if 'realism/generated_bone_drift' in r]
    assert len(val) == 1 and np.isfinite(list(val[0].values())).all()
    assert all(np.isfinite(r['loss']) for r in records if 'loss' in r)


def _draws():
    return (np.random.rand(3), random.random(), torch.rand(2))


def test_epoch_seed_hook_replays_an_epoch():
    """The RNG state at an epoch's start depends on (seed, epoch, rank)
    only, not on what was drawn before (the resumed-run situation)."""
    from step_mm.engine.hooks import EpochSeedHook
    logger = MagicMock()
    loader = torch.utils.data.DataLoader(list(range(8)), num_workers=0)
    runner = SimpleNamespace(
        seed=7, epoch=2, train_dataloader=loader, logger=logger)
    hook = EpochSeedHook()
    np.random.seed(123)
    hook.before_train_epoch(runner)
    first = _draws()
    np.random.seed(999), random.seed(5), torch.manual_seed(5), _draws()
    hook.before_train_epoch(runner)
    again = _draws()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    runner.epoch = 3
    hook.before_train_epoch(runner)
    assert not np.array_equal(_draws()[0], first[0])

    # workers: non-persistent ones get a per-epoch worker_init_fn
    workers = torch.utils.data.DataLoader(list(range(8)), num_workers=2)
    runner.train_dataloader = workers
    hook.before_train_epoch(runner)
    init3 = workers.worker_init_fn
    runner.epoch = 4
    hook.before_train_epoch(runner)
    init3(1)
    a = np.random.rand()
    workers.worker_init_fn(1)
    assert np.random.rand() != a
    init3(1)
    assert np.random.rand() == a

    # persistent workers cannot be reseeded: one warning
    persistent = torch.utils.data.DataLoader(
        list(range(8)), num_workers=2, persistent_workers=True)
    runner.train_dataloader = persistent
    hook.before_train_epoch(runner)
    hook.before_train_epoch(runner)
    assert persistent.worker_init_fn is None
    logger.warning.assert_called_once()
    assert 'persistent' in logger.warning.call_args[0][0]


RANDOM_TRANSFORMS = ('MirrorGait', 'RandomRotateGait', 'RandomScaleGait',
                     'RandomSpeedGait')


def test_configs_with_random_transforms_reseed_per_epoch():
    """Every config whose train pipeline draws random numbers registers
    EpochSeedHook, so its runs resume exactly."""
    configs = [
        c for c in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                             recursive=True) if '_base_' not in c
    ]
    checked = 0
    for path in configs:
        cfg = Config.fromfile(path)
        pipeline = cfg.train_dataloader.dataset.get('pipeline', [])
        if not any(t['type'] in RANDOM_TRANSFORMS for t in pipeline):
            continue
        hooks = list(cfg.get('default_hooks', {}).values()) + list(
            cfg.get('custom_hooks', []))
        assert any(h and h.get('type') == 'EpochSeedHook' for h in hooks), \
            path
        checked += 1
    assert checked >= 2


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only path')
def test_init_cpu_dist_slurm_environment(monkeypatch):
    """``--launcher slurm`` on CPU nodes: ranks from slurm's variables, the
    gloo group started before mmengine (whose launcher needs CUDA), DDP
    without device ids; nccl is refused with the fix in the message."""
    import torch.distributed as torch_dist

    from step_mm.utils import init_cpu_dist
    calls = []
    monkeypatch.setattr(torch_dist, 'is_initialized', lambda: False)
    monkeypatch.setattr(torch_dist, 'init_process_group',
                        lambda **kw: calls.append(kw))
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv('SLURM_PROCID', '3')
    monkeypatch.setenv('SLURM_NTASKS', '4')
    monkeypatch.setenv('SLURM_LOCALID', '1')
    monkeypatch.setenv('SLURM_NODELIST', 'node[1-2]')
    monkeypatch.setenv('MASTER_ADDR', 'node1')

    cfg = Config(dict(launcher='none'))
    assert not init_cpu_dist(cfg) and not calls
    cfg = Config(
        dict(launcher='slurm', env_cfg=dict(dist_cfg=dict(backend='gloo',
                                                          timeout=60))))
    assert init_cpu_dist(cfg)
    assert (os.environ['RANK'], os.environ['WORLD_SIZE'],
            os.environ['LOCAL_RANK'], os.environ['MASTER_PORT']) == (
                '3', '4', '1', '29500')
    assert calls[0]['backend'] == 'gloo' and calls[0]['rank'] == 3
    assert calls[0]['world_size'] == 4
    assert calls[0]['timeout'].total_seconds() == 60
    assert cfg.model_wrapper_cfg.type == 'MMDistributedDataParallel'
    assert cfg.model_wrapper_cfg.device_ids is None

    cfg = Config(
        dict(launcher='pytorch', env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    with pytest.raises(ValueError, match='needs GPUs.*dist_cfg.backend=gloo'):
        init_cpu_dist(cfg)
