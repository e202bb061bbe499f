# Copyright (c) step_mm contributors. All rights reserved.
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config

from step_mm.datasets import EGAIT_CLASSES, read_h5_arrays, write_gait_h5
from step_mm.testing import load_script, make_fake_gait

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GEN_CONFIG = sorted(
    c for c in glob.glob(osp.join(REPO, 'configs', 'step_gen', '*.py'))
    if 'no-pushpull' not in c)[0]
# render() builds animations that the error-path checks never save
pytestmark = pytest.mark.filterwarnings('ignore:Animation was deleted')
STEP_CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'step', 'step_*egait*.py')))


@pytest.fixture(scope='module')
def tools():
    return load_script('tools/generate_gaits.py')


def _fitted_model():
    """An untrained STEP-Gen of the config with its latent prior fitted to
    fake gaits (as FitLatentPriorHook fits it in training)."""
    model = MODELS.build(Config.fromfile(GEN_CONFIG).model)
    rng = np.random.default_rng(0)
    gaits = np.stack(
        [make_fake_gait(75, k % 4, rng).reshape(75, 16, 3) for k in range(16)])
    model.fit_prior(torch.from_numpy(gaits).float(), np.arange(16) % 4)
    return model


@pytest.fixture(scope='module')
def generated(tools, tmp_path_factory):
    """Four gaits per class from an (untrained) STEP-Gen."""
    model = _fitted_model()
    out = str(tmp_path_factory.mktemp('generated'))
    feat, labels = tools.generate_gait_files(
        model, out, 4, EGAIT_CLASSES, seed=0, batch_size=5)
    return out, feat, labels


def test_generated_files_load_with_correct_labels(generated):
    out, feat, labels = generated
    arrays = read_h5_arrays(feat)
    assert len(arrays) == 16
    assert all(re.fullmatch(r'\d{5}_(Happy|Angry|Sad|Neutral)', k)
               for k in arrays)
    assert all(v.shape == (75, 48) for v in arrays.values())
    stored = read_h5_arrays(labels)
    for labels_file in (None, 'labels.h5'):
        ds = DATASETS.build(
            dict(type='EGaitDataset', data_root=out, pipeline=[],
                 labels_file=labels_file, protocol='all'))
        assert len(ds) == 16
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            name = info['frame_dir'].split('_')[1].lower()
            assert info['label'] == EGAIT_CLASSES.index(name)
            assert info['label'] == int(stored[info['frame_dir']])
            assert info['keypoint'].shape == (1, 75, 16, 3)
    counts = np.bincount([int(v) for v in stored.values()])
    assert counts.tolist() == [4, 4, 4, 4]


def test_generate_cli(tools, tmp_path, monkeypatch):
    model = MODELS.build(Config.fromfile(GEN_CONFIG).model)
    ckpt = str(tmp_path / 'stepgen.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    argv = ['generate_gaits.py', GEN_CONFIG, ckpt, '--num-per-class', '3',
            '--out', str(tmp_path / 'gen'), '--prior', 'reference',
            '--seed', '1', '--suffix', '_x']
    monkeypatch.setattr(sys, 'argv', argv)
    tools.main()
    feats = read_h5_arrays(str(tmp_path / 'gen' / 'features_x.h5'))
    assert len(feats) == 12
    assert osp.isfile(tmp_path / 'gen' / 'labels_x.h5')
    # the same seed gives the same gaits
    monkeypatch.setattr(sys, 'argv', argv[:-4] + ['--out',
                                                  str(tmp_path / 'gen2'),
                                                  '--seed', '1', '--suffix',
                                                  '_x'])
    tools.main()
    again = read_h5_arrays(str(tmp_path / 'gen2' / 'features_x.h5'))
    assert all(np.array_equal(feats[k], again[k]) for k in feats)
    with pytest.raises(FileNotFoundError, match='checkpoint'):
        tools.load_generator(GEN_CONFIG, str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match='num_per_class'):
        tools.generate_gait_files(model, str(tmp_path), 0)


def _env():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    return env


def _bytes(folder):
    return {
        name: open(osp.join(folder, name), 'rb').read()
        for name in sorted(os.listdir(folder))
    }


def test_generate_cli_never_replaces_data_without_overwrite(
        tiny_egait, tmp_path):
    """``--out`` at a copy of E-Gait: refused in one line naming the file,
    nothing changed; ``--overwrite`` replaces both files."""
    model = _fitted_model()
    ckpt = str(tmp_path / 'stepgen.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    data = str(tmp_path / 'egait_copy')
    shutil.copytree(tiny_egait, data)
    before = _bytes(data)
    cmd = [sys.executable, osp.join(REPO, 'tools', 'generate_gaits.py'),
           GEN_CONFIG, ckpt, '--num-per-class', '2', '--out', data]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert 'Traceback' not in proc.stderr
    assert err[-1] == (
        f'tools/generate_gaits.py: {osp.join(data, "features.h5")} exists; '
        'pass --overwrite to replace it, or choose another --out or --suffix '
        '(nothing was written)')
    assert _bytes(data) == before

    proc = subprocess.run(cmd + ['--overwrite'], env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(read_h5_arrays(osp.join(data, 'features.h5'))) == 8
    assert len(read_h5_arrays(osp.join(data, 'labels.h5'))) == 8
    assert sorted(os.listdir(data)) == sorted(before)  # no temporary files


def test_generate_cli_refuses_a_checkpoint_without_a_fitted_prior(tmp_path):
    """A checkpoint trained without FitLatentPriorHook (or before it): one
    line naming it; ``--prior normal`` still generates."""
    model = MODELS.build(Config.fromfile(GEN_CONFIG).model)
    ckpt = str(tmp_path / 'old.pth')
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith('prior_')}
    torch.save(dict(state_dict=state), ckpt)
    cmd = [sys.executable, osp.join(REPO, 'tools', 'generate_gaits.py'),
           GEN_CONFIG, ckpt, '--num-per-class', '1', '--out',
           str(tmp_path / 'gen')]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f'tools/generate_gaits.py: {ckpt}: no fitted latent prior for '
        'class(es) [0, 1, 2, 3] (it is fitted in training by '
        'FitLatentPriorHook); pass --prior normal, or retrain with the config')
    assert not osp.exists(tmp_path / 'gen' / 'features.h5')
    proc = subprocess.run(cmd + ['--prior', 'normal'], env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(read_h5_arrays(str(tmp_path / 'gen' / 'features.h5'))) == 4


def test_failed_write_replaces_neither_file(tools, tiny_egait, tmp_path,
                                            monkeypatch):
    """A write that fails half-way (here: the labels file) leaves both old
    files as they were, and no temporary file behind."""
    data = str(tmp_path / 'egait_copy')
    shutil.copytree(tiny_egait, data)
    before = _bytes(data)
    calls = []

    def failing_write(path, gaits):
        calls.append(path)
        if len(calls) == 2:
            with open(path, 'wb') as f:
                f.write(b'half')
            raise OSError('disk full')
        write_gait_h5(path, gaits)

    import step_mm.apis.generation as generation
    monkeypatch.setattr(generation, 'write_gait_h5', failing_write)
    gaits = [make_fake_gait(20, 0, np.random.default_rng(0))] * 4
    with pytest.raises(OSError, match='disk full'):
        tools.write_generated_gaits(data, gaits, [0, 1, 2, 3],
                                    overwrite=True)
    assert len(calls) == 2
    assert _bytes(data) == before
    with pytest.raises(FileExistsError, match='labels_x.h5 exists'):
        open(osp.join(data, 'labels_x.h5'), 'w').close()
        tools.write_generated_gaits(data, gaits, [0, 1, 2, 3], suffix='_x')


def test_visualize_gaits(tmp_path, monkeypatch):
    from PIL import Image
    vis = load_script('tools/analysis_tools/visualize_gaits.py')
    rng = np.random.default_rng(0)
    real = str(tmp_path / 'features.h5')
    gen = str(tmp_path / 'gen.h5')
    write_gait_h5(real, {f'r{i}': make_fake_gait(5, i, rng)
                         for i in range(3)})
    write_gait_h5(str(tmp_path / 'labels.h5'),
                  {f'r{i}': np.array(i) for i in range(3)})
    write_gait_h5(gen, {f'{i:05d}_Happy': make_fake_gait(4, 0, rng)
                        for i in range(2)})
    out = str(tmp_path / 'out.gif')
    png = str(tmp_path / 'frame.png')
    monkeypatch.setattr(sys, 'argv', [
        'visualize_gaits.py', '--real', real, '--gen', gen, '--out', out,
        '--num', '2', '--frame-png', png, '--panel-size', '120'
    ])
    vis.main()
    with Image.open(out) as im:
        # 2 rows of 2 panels, the legend below; the longest gait's frames
        assert im.size == (240, 264) and im.n_frames == 5
    assert osp.getsize(png) > 0
    # emotions come from labels.h5 beside features.h5, else from the key
    assert vis._emotions(real) == {'r0': 'happy', 'r1': 'angry', 'r2': 'sad'}
    assert vis.emotion_of('00001_Happy', {}) == 'happy'
    rows = [vis.select_gaits(real, 2, keys=['r2'])]
    assert [k for k, _ in rows[0]] == ['r2']
    monkeypatch.setattr(sys, 'argv', [
        'visualize_gaits.py', '--real', real, '--out',
        str(tmp_path / 'x.avi')
    ])
    with pytest.raises(SystemExit, match='.gif or .mp4'):
        vis.main()


@pytest.mark.skipif(not STEP_CONFIGS, reason='no STEP config yet')
def test_augmentation_never_leaks_into_val_or_test(tiny_egait, generated,
                                                   tmp_path):
    bench = load_script('benchmarks/stepgen_augment.py')
    gen_dir, feat, _ = generated
    gen_keys = set(read_h5_arrays(feat))
    kw = dict(num_folds=5, data_root=tiny_egait)

    def build(cfg, key):
        return DATASETS.build(cfg[key].dataset)

    for source in ('augment', 'synthetic'):
        cfg = bench.build_step_cfg(STEP_CONFIGS[0], 1, 0, str(tmp_path),
                                   source, gen_dir, **kw)
        train = build(cfg, 'train_dataloader')
        val = build(cfg, 'val_dataloader')
        test = build(cfg, 'test_dataloader')
        train_keys = set(bench.dataset_keys(train))
        assert gen_keys <= train_keys
        if source == 'synthetic':
            assert train_keys == gen_keys
        else:
            assert len(train_keys) > len(gen_keys)
        for ds, name in ((val, 'val'), (test, 'test')):
            keys = set(bench.dataset_keys(ds))
            assert keys and not keys & gen_keys
            assert not any(
                ds.get_data_info(i).get('synthetic') for i in range(len(ds)))
            bench.check_no_leak(ds, gen_keys, name)
        with pytest.raises(RuntimeError, match='LEAK'):
            bench.check_no_leak(train, gen_keys, 'train')
    # STEP-Gen learns from the fold's train subset only
    gcfg = bench.build_stepgen_cfg(GEN_CONFIG, 1, 0, str(tmp_path), **kw)
    assert gcfg.val_dataloader is None and gcfg.test_dataloader is None
    gen_train = set(bench.dataset_keys(build(gcfg, 'train_dataloader')))
    assert not gen_train & set(bench.dataset_keys(test))
    assert not gen_train & set(bench.dataset_keys(val))


@pytest.mark.parametrize('recipe', ['mix_crop', 'posterior'])
def test_augment_recipes_write_loadable_gaits(tmp_path, recipe):
    bench = load_script('benchmarks/stepgen_augment.py')
    gcfg = Config.fromfile(GEN_CONFIG)
    model = _fitted_model()
    rng = np.random.default_rng(0)
    lengths = [20, 30, 40, 75, 50, 60]
    real_labels = np.array([0, 0, 1, 2, 3, 3])
    real = ([make_fake_gait(n, 0, rng).reshape(n, 16, 3) for n in lengths],
            real_labels)
    keys = [g['key'] for g in bench.generate(gcfg, model, str(tmp_path), 3,
                                             0, recipe, real)]
    gaits = read_h5_arrays(str(tmp_path / 'features.h5'))
    labels = read_h5_arrays(str(tmp_path / 'labels.h5'))
    assert sorted(keys) == sorted(gaits) == sorted(labels)
    for key in keys:
        label = int(labels[key])
        assert key.endswith(EGAIT_CLASSES[label].capitalize())
        # every gait is as long as a real train gait of its class
        assert len(gaits[key]) in {
            n for n, y in zip(lengths, real_labels) if y == label}
        assert gaits[key].shape[1] == 48
    if recipe == 'posterior':  # one variation of each real gait, in order
        assert [len(gaits[k]) for k in sorted(keys)] == lengths
    else:
        assert len(keys) == 3 * 4
    with pytest.raises(ValueError, match='needs the real train set'):
        bench.generate(gcfg, model, str(tmp_path), 3, 0, recipe)


def test_augment_summary_and_readme_block(tmp_path):
    bench = load_script('benchmarks/stepgen_augment.py')
    gen = dict(top1=0.6, tstr_top1=0.4, fgd=2.0, fgd_vs_train=1.5,
               bone_drift=0.01, foot_slide=0.7, motion=0.02, fidelity=0.5)
    runs = [
        dict(fold=f, seed=0, real_only=dict(top1=0.5 + 0.1 * f),
             real_reference=dict(fgd=1.0, bone_drift=0.006, foot_slide=0.6,
                                 motion=0.03),
             stepgen_push_pull=dict(gen), stepgen_no_push_pull=dict(gen))
        for f in range(2)
    ]
    summary = bench.summarize(runs, bench.VARIANTS)
    assert set(summary) == set(bench.VARIANTS)
    assert summary['real_only']['top1_mean'] == pytest.approx(0.55)
    assert summary['real_only']['top1_std'] == pytest.approx(0.0707, 1e-3)
    for v in bench.GEN_VARIANTS:
        assert {'top1_mean', 'top1_std', 'tstr_top1', 'fgd', 'bone_drift',
                'foot_slide', 'motion', 'fidelity', 'n_runs',
                'real_motion'} <= set(summary[v])
        assert summary[v]['n_runs'] == 2
    table = bench.markdown(summary, dict(num_folds=10, folds=[0, 1],
                                         seeds=[0], num_per_class=8,
                                         date='today'))
    readme = str(tmp_path / 'README.md')
    with open(readme, 'w') as f:
        f.write(f'# x\n\n{bench.MARK_BEGIN}\nSTALE-TABLE\n'
                f'{bench.MARK_END}\ntail\n')
    bench.update_readme(table, readme)
    text = open(readme).read()
    assert 'STALE-TABLE' not in text and text.endswith('tail\n')
    assert '| stepgen_push_pull | 60.0 ± 0.0 |' in text
    bench.update_readme(table, readme)  # idempotent
    assert open(readme).read() == text
    # results of before the diversity columns still print (as '-')
    assert '| - | - |' in table


def test_augment_diversity_stats():
    bench = load_script('benchmarks/stepgen_augment.py')
    rng = np.random.default_rng(0)
    real = ([make_fake_gait(n, k % 4, rng).reshape(n, 16, 3)
             for k, n in enumerate(range(24, 40))], np.arange(16) % 4)
    copy = [dict(joints=g.copy(), label=int(y)) for g, y in zip(*real)]
    stats = bench.diversity_stats(copy, real)
    assert stats['diversity'] > 0
    assert stats['diversity'] == pytest.approx(stats['real_diversity'])
    # full-length samples are compared with real gaits looped as in training
    looped = bench.diversity_stats(copy, real, loop_to=75)
    assert looped['real_diversity'] != pytest.approx(stats['real_diversity'])
    collapsed = bench.diversity_stats([copy[0]] * 4 + copy[1:2] * 4, real)
    assert collapsed['diversity'] == pytest.approx(0, abs=1e-6)
    gen = dict(top1=0.6, tstr_top1=0.4, fgd=2.0, fgd_vs_train=1.5,
               fidelity=0.5, bone_drift=0.01, foot_slide=0.7, motion=0.02,
               coverage=0.75, **stats)
    runs = [dict(fold=0, seed=0, real_only=dict(top1=0.5),
                 real_reference=dict(fgd=1.0, bone_drift=0.006,
                                     foot_slide=0.6, motion=0.03),
                 stepgen_push_pull=gen)]
    summary = bench.summarize(runs, ['real_only', 'stepgen_push_pull'])
    row = summary['stepgen_push_pull']
    assert row['coverage'] == 0.75
    assert row['real_diversity'] == pytest.approx(stats['real_diversity'])
    table = bench.markdown(summary, dict(num_folds=10, folds=[0], seeds=[0],
                                         num_per_class=4, date='today'))
    assert (f"| {row['diversity']:.4f} ({row['real_diversity']:.4f}) | "
            '0.75 |') in table
    # the paired gain over real-only and its Wilcoxon p (one run: +10.0)
    assert row['top1_gain_mean'] == pytest.approx(0.1)
    assert '| +10.0 ± 0.0 (1) | 1 |' in table


def test_benchmark_checkpoints_are_written_atomically(tmp_path):
    """benchmarks/stepgen_augment.py trains with SafeCheckpointHook (a kill
    while saving leaves the previous checkpoint, never a cut-short one)."""
    from mmaction.registry import HOOKS

    from step_mm.engine.hooks import SafeCheckpointHook
    bench = load_script('benchmarks/stepgen_augment.py')
    cfgs = [bench.build_stepgen_cfg(GEN_CONFIG, 1, 0, str(tmp_path))]
    if STEP_CONFIGS:
        cfgs.append(bench.build_step_cfg(STEP_CONFIGS[0], 1, 0,
                                         str(tmp_path)))
    for cfg in cfgs:
        hook = HOOKS.build(cfg.default_hooks.checkpoint)
        assert isinstance(hook, SafeCheckpointHook), type(hook)


def test_augment_only_the_default_results_rewrite_the_readme(tmp_path):
    bench = load_script('benchmarks/stepgen_augment.py')
    assert bench.parse_args(['--folds', '0']).readme
    default = osp.join(REPO, 'benchmarks', 'results', 'stepgen_random.json')
    assert bench.parse_args(['--folds', '0', '--out', default]).readme
    assert not bench.parse_args(
        ['--folds', '0', '--out', str(tmp_path / 'x.json')]).readme
    assert not bench.parse_args(['--quick']).readme
    assert not bench.parse_args(['--folds', '0', '--recipe',
                                 'posterior']).readme
