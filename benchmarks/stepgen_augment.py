# Copyright (c) step_mm contributors. All rights reserved.
"""Does STEP-Gen augmentation help STEP? Protocol R, without leakage.

One command runs the whole fold loop of protocol R (stratified 10-fold on
E-Gait). For every fold and seed:

1. ``real_only``: STEP (``configs/step/step_*egait*.py``) trained on the
   fold's real ``train`` subset, checkpoint selected on ``val``, tested on
   the real ``test`` subset. This classifier is also the fixed feature
   extractor / judge for the quality metrics below.
2. For ``stepgen_push_pull`` and ``stepgen_no_push_pull`` (push-pull weight
   0): STEP-Gen trained ONLY on the fold's ``train`` subset; N gaits per
   class generated into the fold's work dir; then

   - STEP trained with them as ``extra_train`` (``EGaitDataset`` adds them
     to ``train`` only; this script also checks that no generated gait is
     in ``val``/``test``), selected on real ``val``, tested on real
     ``test`` -> ``top1``;
   - TSTR: STEP trained on the generated gaits only, selected on real
     ``val``, tested on real ``test`` -> ``tstr_top1``;
   - FGD: Fréchet distance between pooled backbone features (of the
     real-only classifier) of generated gaits and of the real test subset;
     baseline: real train vs real test;
   - bone-length drift and foot sliding of generated gaits beside the real
     train gaits';
   - fidelity: the real-only classifier's accuracy on generated gaits
     w.r.t. their intended labels.

Writes ``benchmarks/results/stepgen_random.json`` (atomically; ``--quick``
writes ``stepgen_random_quick.json``) and, for full runs, a table into
``configs/step_gen/README.md`` between markers::

    python benchmarks/stepgen_augment.py                 # 10 folds, seed 0
    python benchmarks/stepgen_augment.py --folds 0 1 --seeds 0 1
    python benchmarks/stepgen_augment.py --quick         # smoke test

Per-run results are cached in the work dir and reused when the settings
match, and so is each fold's trained STEP-Gen (``--no-resume`` recomputes
both).

``--recipe`` chooses how the generated gaits are made and used (results of
recipes other than ``mix`` go to ``stepgen_random_<recipe>.json``; every
recipe reports the best val top-1 beside the test top-1, so recipes are
compared on val):

- ``mix`` (default): N prior samples per class, 75 frames, added to the
  real train subset;
- ``mix_crop``: the same, each cut to the length of a real train gait of its
  class (STEP-Gen learns the pipeline's gaits looped to 75 frames, seams
  included, while STEP computes a real gait's affective features on its
  unlooped frames);
- ``posterior``: one variation of every real train gait (its posterior
  sample, ``STEPGen.resample``, decoded with its label and cut to its
  length) added to the real train subset;
- ``pretrain``: STEP trained on N prior samples per class only (the TSTR
  run), then fine-tuned on the real train subset.
"""
import argparse
import copy
import hashlib
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
import torch

from mmengine.logging import print_log
from mmengine.utils import ProgressBar

import step_mm  # noqa: F401
from step_mm.datasets import EGAIT_CLASSES, load_gait_files
from step_mm.evaluation import paired_wilcoxon
from step_mm.evaluation.metrics import (bone_length_drift, coverage,
                                        foot_slide, frechet_distance,
                                        motion_amplitude,
                                        within_class_diversity)
from step_mm.skeleton import align_to_reference
from step_mm.apis.generation import (generate_gait_files, load_generator,
                                     write_generated_gaits)
from step_mm.apis.protocol import (default_step_config, find_config,
                                   fit_and_test, set_epochs)
from step_mm.utils.io import dump_json, replace_marked_block

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

VARIANTS = ('real_only', 'stepgen_push_pull', 'stepgen_no_push_pull')
#: How generated gaits are made and used (``--recipe``, module docstring).
RECIPES = ('mix', 'mix_crop', 'posterior', 'pretrain')
GEN_VARIANTS = VARIANTS[1:]
GEN_CONFIG_GLOB = osp.join(REPO, 'configs', 'step_gen', 'stepgen_*.py')
RESULTS = osp.join(REPO, 'benchmarks', 'results')
README = osp.join(REPO, 'configs', 'step_gen', 'README.md')
MARK_NAME = 'stepgen_random'
MARK_BEGIN = f'<!-- {MARK_NAME}:start -->'
MARK_END = f'<!-- {MARK_NAME}:end -->'
FEATURES_FILE = 'features.h5'
LABELS_FILE = 'labels.h5'


# ------------------------------------------------------------- configs
def default_gen_configs() -> Dict[str, str]:
    """STEP-Gen configs of the two generator variants."""
    return dict(
        stepgen_push_pull=find_config(GEN_CONFIG_GLOB,
                                      exclude=('no-pushpull', )),
        stepgen_no_push_pull=find_config(GEN_CONFIG_GLOB,
                                         require=('no-pushpull', )))


def _set_split(ds: dict, fold: int, seed: int, num_folds: int,
               data_root: Optional[str]) -> None:
    ds.update(protocol='random', num_folds=num_folds, fold=fold, seed=seed)
    if data_root:
        ds['data_root'] = data_root


def _set_epochs(cfg, epochs: Optional[int]) -> None:
    """:func:`step_mm.apis.protocol.set_epochs` where ``epochs`` is set."""
    if epochs:
        set_epochs(cfg, epochs)
        ckpt = cfg.get('default_hooks', {}).get('checkpoint')
        if ckpt and ckpt.get('interval', 1) > epochs:
            ckpt['interval'] = epochs


def _finish(cfg, work_dir: str, seed: int, name: str):
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.experiment_name = f'{name}_{os.getpid()}_{time.time_ns()}'
    cfg.log_level = 'WARNING'
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
    return cfg


def build_stepgen_cfg(gen_config: str, fold: int, seed: int, work_dir: str,
                      num_folds: int = 10, epochs: Optional[int] = None,
                      data_root: Optional[str] = None):
    """STEP-Gen config trained on the fold's ``train`` subset only (no
    val/test loops: nothing is selected on held-out data)."""
    from mmengine.config import Config
    cfg = Config.fromfile(gen_config)
    _set_split(cfg.train_dataloader.dataset, fold, seed, num_folds,
               data_root)
    cfg.train_dataloader.dataset.subset = 'train'
    cfg.train_dataloader.dataset.pop('extra_train', None)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    _set_epochs(cfg, epochs)
    cfg.default_hooks.checkpoint = dict(
        type='SafeCheckpointHook', interval=cfg.train_cfg.max_epochs,
        save_best=None, max_keep_ckpts=1)
    return _finish(cfg, work_dir, seed, 'stepgen')


def build_step_cfg(step_config: str, fold: int, seed: int, work_dir: str,
                   train_source: str = 'real',
                   gen_dir: Optional[str] = None,
                   num_folds: int = 10,
                   epochs: Optional[int] = None,
                   data_root: Optional[str] = None):
    """STEP config of one fold.

    Args:
        train_source (str): ``'real'`` (the fold's real train subset),
            ``'augment'`` (real train + generated gaits as
            ``extra_train``) or ``'synthetic'`` (generated gaits only,
            TSTR). Val and test are always the fold's real subsets.
        gen_dir (str, optional): Folder of ``features.h5``/``labels.h5``
            of generated gaits, for ``'augment'``/``'synthetic'``.
    """
    from mmengine.config import Config
    if train_source not in ('real', 'augment', 'synthetic'):
        raise ValueError(f'unknown train_source {train_source!r}')
    if train_source != 'real' and not gen_dir:
        raise ValueError(f'train_source={train_source!r} needs gen_dir')
    cfg = Config.fromfile(step_config)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[key].dataset
        _set_split(ds, fold, seed, num_folds, data_root)
        ds.pop('extra_train', None)
    cfg.val_dataloader.dataset.subset = 'val'
    cfg.test_dataloader.dataset.subset = 'test'
    train = cfg.train_dataloader.dataset
    train.subset = 'train'
    gen = dict(data_root=gen_dir, features_file=FEATURES_FILE,
               labels_file=LABELS_FILE)
    if train_source == 'augment':
        train.extra_train = [gen]
    elif train_source == 'synthetic':
        train.update(gen)
        train.update(protocol='all', affective_file=None)
    _set_epochs(cfg, epochs)
    return _finish(cfg, work_dir, seed, f'step_{train_source}')


# --------------------------------------------------------------- leaks
def dataset_keys(dataset) -> List[str]:
    """Keys (``frame_dir``) of every gait of a dataset."""
    return [dataset.get_data_info(i)['frame_dir'] for i in range(len(dataset))]


def check_no_leak(dataset, gen_keys: Iterable[str], name: str) -> None:
    """Raise if a generated gait is in ``dataset`` (a val/test subset)."""
    gen_keys = set(gen_keys)
    bad = [
        dataset.get_data_info(i)['frame_dir'] for i in range(len(dataset))
        if dataset.get_data_info(i).get('synthetic')
        or dataset.get_data_info(i)['frame_dir'] in gen_keys
    ]
    if bad:
        raise RuntimeError(f'LEAK: {len(bad)} generated gaits in the {name} '
                           f'subset, e.g. {bad[:3]}')


# ------------------------------------------------------------ training
def train_and_test(cfg, gen_keys: Iterable[str] = ()):
    """Train, reload the best-on-val checkpoint if any, test
    (:func:`step_mm.apis.protocol.fit_and_test`), refusing a val or test
    subset that holds a generated gait.

    Returns:
        tuple: ``(test metrics, runner)``; ``runner.model`` holds the
        selected weights.
    """
    gen_keys = set(gen_keys)

    def no_leak(runner):
        if runner._val_dataloader is not None:
            check_no_leak(runner.val_dataloader.dataset, gen_keys, 'val')
        if runner._test_dataloader is not None:
            check_no_leak(runner.test_dataloader.dataset, gen_keys, 'test')

    metrics, runner, _ = fit_and_test(cfg, no_leak)
    return metrics, runner


def _top1(metrics: dict) -> float:
    for key in ('acc/top1', 'top1'):
        if key in metrics:
            return float(metrics[key])
    raise KeyError(f'no top-1 accuracy in the test metrics {list(metrics)}')


@torch.no_grad()
def extract(model, dataset_cfg: dict, batch_size: int = 64):
    """Pooled backbone features, predicted and true labels of a dataset."""
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(
        dict(
            batch_size=batch_size,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dataset_cfg))
    model.eval()
    feats, preds, labels = [], [], []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        x = model.extract_feat(data['inputs'], stage='backbone')
        x = x[0] if isinstance(x, tuple) else x
        if x.ndim == 5:  # (N, M, C, T, V)
            x = x.flatten(3).mean(-1).mean(1)
        elif x.ndim == 4:  # (N, C, T, V)
            x = x.flatten(2).mean(-1)
        feats.append(x.float().cpu())
        out = model.test_step(batch)
        preds += [int(ds.pred_scores.item.argmax()) for ds in out]
        labels += [int(ds.gt_labels.item) for ds in batch['data_samples']]
    return torch.cat(feats).numpy(), np.array(preds), np.array(labels)


def _dataset_like(template: dict, **kw) -> dict:
    ds = copy.deepcopy(dict(template))
    ds.pop('extra_train', None)
    ds.update(kw)
    return ds


def realism_stats(gaits) -> Dict[str, float]:
    return dict(
        bone_drift=float(np.mean(bone_length_drift(gaits))),
        foot_slide=float(np.mean(foot_slide(gaits))),
        motion=float(np.mean(motion_amplitude(gaits))))


def looped(gaits: Sequence[np.ndarray], num_frames: int) -> np.ndarray:
    """Gaits looped (or cut) to ``num_frames`` as STEP-Gen trains on them
    (``GaitToLength(pad_mode='loop', test_mode=True)``)."""
    from step_mm.datasets.transforms import GaitToLength
    loop = GaitToLength(clip_len=num_frames, pad_mode='loop', test_mode=True)
    return np.stack([
        loop.transform(dict(keypoint=g[None]))['keypoint'][0] for g in gaits
    ])


def diversity_stats(generated: List[dict], real: tuple,
                    loop_to: Optional[int] = None) -> Dict[str, float]:
    """Within-class diversity (:func:`within_class_diversity`, averaged
    over classes) of the generated gaits and of the real train gaits in the
    same form: looped to ``loop_to`` frames (as STEP-Gen learns them) when
    the generated gaits are the model's full-length samples, as they are
    otherwise (cut to real lengths)."""
    real_gaits, real_labels = real
    if loop_to:
        real_gaits = looped(real_gaits, loop_to)

    def mean_div(gaits, labels):
        return float(
            np.mean(list(within_class_diversity(gaits, labels).values())))

    return dict(
        diversity=mean_div([g['joints'] for g in generated],
                           [g['label'] for g in generated]),
        real_diversity=mean_div(real_gaits, real_labels))


def real_train_set(step_cfg) -> tuple:
    """The fold's real train gaits (normalised, unpadded) and labels."""
    from mmaction.registry import DATASETS
    ds = _dataset_like(step_cfg.train_dataloader.dataset, pipeline=[])
    ds = DATASETS.build(ds)
    gaits = [
        align_to_reference(ds.get_data_info(i)['keypoint'][0])
        for i in range(len(ds))
    ]
    labels = np.array([ds.get_data_info(i)['label'] for i in range(len(ds))])
    return gaits, labels


def trained_generator(gen_cfg, vdir: str, resume: bool = True) -> tuple:
    """The fold's STEP-Gen: trained now, or loaded from its final
    checkpoint in ``vdir/stepgen`` when an earlier run left one.

    Returns:
        tuple: ``(model, seconds spent training)``.
    """
    ckpt = osp.join(vdir, 'stepgen',
                    f'epoch_{gen_cfg.train_cfg.max_epochs}.pth')
    if resume and osp.isfile(ckpt):
        print_log(f'reusing the STEP-Gen checkpoint {ckpt}',
                  logger='current')
        model, _ = load_generator(gen_cfg, ckpt)
        return model, 0.0
    t0 = time.time()
    _, runner = train_and_test(gen_cfg)
    return runner.model, time.time() - t0


def generate(gen_cfg, model, out_dir: str, num_per_class: int, seed: int,
             recipe: str = 'mix', real: Optional[tuple] = None) -> List[dict]:
    """Write the gaits of a recipe made by a trained STEP-Gen and return
    them as loaded back (``load_gait_files``: ``key``, ``joints``, ...).

    ``mix``/``pretrain``: ``num_per_class`` prior samples per class (the
    model's length, 75 frames). ``mix_crop``: the same, each cut to a
    length drawn from the real train gaits of its class (the generator
    learns gaits looped to 75 frames; real gaits are 18-75 frames long and
    their affective features are computed before any looping).
    ``posterior``: one posterior sample (``STEPGen.resample``) of every
    real train gait in ``real = (gaits, labels)``, cut to its length.
    """
    ds_cfg = gen_cfg.train_dataloader.dataset
    class_names = tuple(ds_cfg.get('class_names', EGAIT_CLASSES))
    if recipe in ('mix', 'pretrain'):
        paths = generate_gait_files(
            model, out_dir, num_per_class, class_names, seed=seed)
    else:
        if real is None:
            raise ValueError(f'recipe {recipe!r} needs the real train set')
        real_gaits, real_labels = real
        lengths = np.array([len(g) for g in real_gaits])
        rng = torch.Generator().manual_seed(seed)
        if recipe == 'mix_crop':
            labels = np.repeat(np.arange(len(class_names)), num_per_class)
            gen = model.generate(torch.from_numpy(labels), generator=rng)
            pick = np.random.default_rng(seed)
            cut = [
                pick.choice(lengths[real_labels == y]) if
                (real_labels == y).any() else gen.shape[1] for y in labels
            ]
        elif recipe == 'posterior':
            T = model.encoder.num_frames
            labels = real_labels
            gen = model.resample(
                torch.from_numpy(looped(real_gaits, T)).float(),
                torch.from_numpy(labels),
                generator=rng)
            cut = np.minimum(lengths, T)
        else:
            raise ValueError(f'unknown recipe {recipe!r}')
        gen = gen.float().cpu().numpy()
        paths = write_generated_gaits(
            out_dir, [g[:n] for g, n in zip(gen, cut)], labels, class_names)
    return load_gait_files(*paths, class_names)


def real_only_classifier(cfg, resume: bool = True) -> tuple:
    """Train (or reload) STEP on the fold's real train subset.

    A finished earlier run of the same work dir (``real_only.json`` beside
    its best-on-val checkpoint) is reloaded instead of retrained, so that
    every ``--recipe`` of a fold shares one real-only classifier.

    Returns:
        tuple: ``(model with the best-on-val weights, test metrics, best
        val top-1)``.
    """
    from mmengine.runner import Runner
    record = osp.join(cfg.work_dir, 'real_only.json')
    if resume and osp.isfile(record):
        with open(record) as f:
            saved = json.load(f)
        if osp.isfile(saved['checkpoint']):
            print_log(f"reusing the real-only STEP {saved['checkpoint']}",
                      logger='current')
            runner = Runner.from_cfg(cfg)
            runner.load_checkpoint(saved['checkpoint'])
            return runner.model, saved['metrics'], saved['val_top1']
    metrics, runner = train_and_test(cfg)
    best = runner.message_hub.get_info('best_ckpt')
    val = _best_val(runner)
    if best and osp.isfile(best):
        dump_json(
            dict(checkpoint=best, val_top1=val,
                 metrics={k: float(v) for k, v in metrics.items()
                          if isinstance(v, (int, float))}), record)
    return runner.model, metrics, val


def _best_val(runner) -> Optional[float]:
    best = runner.message_hub.get_info('best_score')
    return None if best is None else float(best)


# ----------------------------------------------------------------- run
def run_one(args, fold: int, seed: int, gen_configs: Dict[str, str],
            step_config: str) -> dict:
    """All variants of one fold and seed."""
    root = osp.join(args.work_dir, f'fold{fold}_seed{seed}')
    rec = dict(fold=fold, seed=seed)
    kw = dict(num_folds=args.num_folds, data_root=args.data_root)

    t0 = time.time()
    cfg = build_step_cfg(step_config, fold, seed,
                         osp.join(root, 'real_only'), 'real',
                         epochs=args.step_epochs, **kw)
    judge, metrics, val_real = real_only_classifier(cfg,
                                                    not args.no_resume)
    test_tpl = cfg.test_dataloader.dataset
    f_train, _, _ = extract(
        judge, _dataset_like(test_tpl, subset='train'))
    f_test, _, _ = extract(judge, _dataset_like(test_tpl, subset='test'))
    real = real_train_set(cfg)
    rec['real_only'] = dict(top1=_top1(metrics), val_top1=val_real,
                            seconds=round(time.time() - t0, 1))
    rec['real_reference'] = dict(
        fgd=frechet_distance(f_train, f_test), **realism_stats(real[0]))
    print(f'[fold {fold} seed {seed}] real_only top1 '
          f"{rec['real_only']['top1']:.4f}", flush=True)

    for variant in args.variants:
        if variant == 'real_only':
            continue
        t0 = time.time()
        vdir = osp.join(root, variant)
        gcfg = build_stepgen_cfg(gen_configs[variant], fold, seed,
                                 osp.join(vdir, 'stepgen'),
                                 epochs=args.gen_epochs, **kw)
        model, t_gen_train = trained_generator(gcfg, vdir,
                                               not args.no_resume)
        suffix = '' if args.recipe == 'mix' else f'_{args.recipe}'
        gen_dir = osp.join(vdir, 'generated' + suffix)
        generated = generate(gcfg, model, gen_dir, args.num_per_class, seed,
                             args.recipe, real)
        loop_to = (model.decoder.num_frames
                   if args.recipe in ('mix', 'pretrain') else None)
        del model
        gen_keys = [g['key'] for g in generated]
        gen_gaits = [g['joints'] for g in generated]
        res = dict(num_generated=len(gen_keys),
                   stepgen_train_seconds=round(t_gen_train, 1))
        res.update(realism_stats(gen_gaits))
        res.update(diversity_stats(generated, real, loop_to))
        f_gen, p_gen, y_gen = extract(
            judge,
            _dataset_like(test_tpl, data_root=gen_dir,
                          features_file=FEATURES_FILE,
                          labels_file=LABELS_FILE, affective_file=None,
                          protocol='all', subset='test'))
        res['fgd'] = frechet_distance(f_gen, f_test)
        res['fgd_vs_train'] = frechet_distance(f_gen, f_train)
        # mode collapse: the share of real train gaits with a generated
        # one nearby, in the same feature space
        res['coverage'] = coverage(f_train, f_gen)
        res['fidelity'] = float((p_gen == y_gen).mean())

        tcfg = build_step_cfg(step_config, fold, seed,
                              osp.join(vdir, 'step_tstr' + suffix),
                              'synthetic', gen_dir, epochs=args.step_epochs,
                              **kw)
        metrics, tstr_runner = train_and_test(tcfg, gen_keys)
        res['tstr_top1'] = _top1(metrics)
        if args.recipe == 'pretrain':
            # STEP trained on generated gaits only, fine-tuned on real ones
            acfg = build_step_cfg(step_config, fold, seed,
                                  osp.join(vdir, 'step_pretrain'), 'real',
                                  epochs=args.step_epochs, **kw)
            acfg.load_from = tstr_runner.message_hub.get_info('best_ckpt')
            if not acfg.load_from or not osp.isfile(acfg.load_from):
                raise FileNotFoundError(
                    f'no best checkpoint of the synthetic-only run in '
                    f'{tcfg.work_dir}')
        else:
            acfg = build_step_cfg(step_config, fold, seed,
                                  osp.join(vdir, 'step_augment' + suffix),
                                  'augment', gen_dir,
                                  epochs=args.step_epochs, **kw)
        del tstr_runner
        metrics, runner = train_and_test(acfg, gen_keys)
        res['top1'] = _top1(metrics)
        res['val_top1'] = _best_val(runner)
        res['seconds'] = round(time.time() - t0, 1)
        rec[variant] = res
        print(f'[fold {fold} seed {seed}] {variant}: top1 {res["top1"]:.4f}'
              f' tstr {res["tstr_top1"]:.4f} fgd {res["fgd"]:.3g} '
              f'(real {rec["real_reference"]["fgd"]:.3g}) bone '
              f'{res["bone_drift"]:.4f} foot {res["foot_slide"]:.3f} '
              f'fidelity {res["fidelity"]:.3f}', flush=True)
    return rec


def _mean_std(values: List[float]) -> tuple:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def summarize(runs: List[dict], variants: Sequence[str]) -> dict:
    """Means (and stds) over runs per variant."""
    summary = {}
    ref = [r['real_reference'] for r in runs]
    for variant in variants:
        rows = [r[variant] for r in runs if variant in r]
        if not rows:
            continue
        m, s = _mean_std([x['top1'] for x in rows])
        out = dict(top1_mean=m, top1_std=s, n_runs=len(rows))
        if all(x.get('val_top1') is not None for x in rows):
            out['val_top1_mean'], out['val_top1_std'] = _mean_std(
                [x['val_top1'] for x in rows])
        realism = [k for k in ('bone_drift', 'foot_slide', 'motion')
                   if all(k in x for x in ref)]
        if variant == 'real_only':
            out['fgd_real_vs_real'] = _mean_std([x['fgd'] for x in ref])[0]
            for key in realism:
                out[key] = _mean_std([x[key] for x in ref])[0]
        else:
            out['tstr_top1'], out['tstr_top1_std'] = _mean_std(
                [x['tstr_top1'] for x in rows])
            # paired with real-only STEP of the same fold and seed: the
            # gain's mean, spread, wins/losses and two-sided Wilcoxon p
            both = [r for r in runs if variant in r and 'real_only' in r]
            if both:
                test = paired_wilcoxon(
                    [dict(r[variant], fold=r['fold'], seed=r['seed'])
                     for r in both],
                    [dict(r['real_only'], fold=r['fold'], seed=r['seed'])
                     for r in both])
                out.update(
                    top1_gain_mean=test['mean_diff'],
                    top1_gain_std=test['std_diff'],
                    top1_gain_sem=test['std_diff'] / np.sqrt(test['n']),
                    wins=test['wins'],
                    losses=test['losses'],
                    top1_gain_p=test['p_value'])
            for key in ['fgd', 'fgd_vs_train', 'fidelity'] + realism:
                out[key] = _mean_std([x[key] for x in rows])[0]
            for key in ('diversity', 'real_diversity', 'coverage'):
                if all(key in x for x in rows):
                    out[key] = _mean_std([x[key] for x in rows])[0]
            out['fgd_real_vs_real'] = _mean_std([x['fgd'] for x in ref])[0]
            for key in realism:
                out[f'real_{key}'] = _mean_std([x[key] for x in ref])[0]
        summary[variant] = out
    return summary


def markdown(summary: dict, settings: dict) -> str:
    """The README table of a summary."""
    lines = [
        f"Protocol R (random stratified {settings['num_folds']}-fold), "
        f"folds {settings['folds']}, seeds {settings['seeds']}; "
        f"{settings['num_per_class']} generated gaits per class; recipe "
        f"`{settings.get('recipe', 'mix')}`; written by "
        '`python benchmarks/stepgen_augment.py` '
        f"({settings['date']}).", '',
        '| variant | STEP top-1 (mean ± std) | best val top-1 | TSTR top-1 | '
        'FGD (real vs real) | bone drift | foot slide (m/s) | motion (m) | '
        'diversity, m (real) | coverage | fidelity | paired gain, points (p) '
        '| runs |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|'
    ]

    def opt(s, key, fmt, suffix=''):
        return f'{s[key]:{fmt}}{suffix}' if key in s else '-'

    def gain(s):
        if 'top1_gain_mean' not in s:
            return '-'
        return (f"{100 * s['top1_gain_mean']:+.1f} ± "
                f"{100 * s['top1_gain_std']:.1f} "
                f"({opt(s, 'top1_gain_p', '.3g')})")

    for variant, s in summary.items():
        top1 = (f"{100 * s['top1_mean']:.1f} ± {100 * s['top1_std']:.1f} | "
                + (f"{100 * s['val_top1_mean']:.1f}"
                   if 'val_top1_mean' in s else '-'))
        if variant == 'real_only':
            lines.append(
                f"| {variant} | {top1} | - | ({s['fgd_real_vs_real']:.3g})"
                f" | {s['bone_drift']:.4f} (real) | "
                f"{s['foot_slide']:.3f} (real) | "
                f"{s.get('motion', float('nan')):.4f} (real) | "
                '- | - | - | - | '
                f"{s['n_runs']} |")
        else:
            lines.append(
                f"| {variant} | {top1} | {100 * s['tstr_top1']:.1f} | "
                f"{s['fgd']:.3g} ({s['fgd_real_vs_real']:.3g}) | "
                f"{s['bone_drift']:.4f} | {s['foot_slide']:.3f} | "
                f"{s.get('motion', float('nan')):.4f} | "
                f"{opt(s, 'diversity', '.4f')} "
                f"({opt(s, 'real_diversity', '.4f')}) | "
                f"{opt(s, 'coverage', '.2f')} | "
                f"{100 * s['fidelity']:.1f} | {gain(s)} | {s['n_runs']} |")
    return '\n'.join(lines)


def update_readme(table: str, path: str = README) -> None:
    """Replace the text between the markers of the README (appended to it
    where it has none)."""
    replace_marked_block(path, MARK_NAME, table, append=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='STEP-Gen augmentation benchmark (protocol R)')
    parser.add_argument('--folds', type=int, nargs='+', default=None,
                        help='folds to run (default: all)')
    parser.add_argument('--num-folds', type=int, default=10)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='split and training seeds')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=VARIANTS)
    parser.add_argument(
        '--recipe', choices=RECIPES, default='mix',
        help='how generated gaits are made and used (module docstring); '
        "other than 'mix', results go to stepgen_random_<recipe>.json and "
        'the README table is left alone')
    parser.add_argument('--num-per-class', type=int, default=250,
                        help='generated gaits per class and fold')
    parser.add_argument('--gen-epochs', type=int, default=None,
                        help='STEP-Gen epochs (default: the config\'s)')
    parser.add_argument('--step-epochs', type=int, default=None,
                        help='STEP epochs (default: the config\'s)')
    parser.add_argument('--step-config', default=None,
                        help='default: configs/step/step_*-aff_*egait*.py')
    parser.add_argument('--gen-config', default=None,
                        help='STEP-Gen config of stepgen_push_pull')
    parser.add_argument('--gen-config-no-pushpull', default=None,
                        help='STEP-Gen config of stepgen_no_push_pull')
    parser.add_argument('--data-root', default=None,
                        help='E-Gait folder (default: the configs\')')
    parser.add_argument('--work-dir',
                        default=osp.join(REPO, 'work_dirs',
                                         'stepgen_augment'))
    parser.add_argument('--out', default=None,
                        help='result JSON (default: benchmarks/results/'
                        'stepgen_random[_quick].json; only the default '
                        'rewrites the README table)')
    parser.add_argument('--quick', action='store_true',
                        help='smoke test: fold 0, 2 STEP-Gen and 1 STEP '
                        'epochs, 8 gaits per class, no README update')
    parser.add_argument('--no-resume', action='store_true',
                        help='recompute runs cached in the work dir')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch\'s)')
    args = parser.parse_args(argv)
    if args.quick:
        args.folds = args.folds or [0]
        args.gen_epochs = args.gen_epochs or 2
        args.step_epochs = args.step_epochs or 1
        if args.num_per_class == parser.get_default('num_per_class'):
            args.num_per_class = 8
        args.work_dir = args.work_dir + '_quick'
    args.folds = args.folds if args.folds is not None else list(
        range(args.num_folds))
    bad = [f for f in args.folds if not 0 <= f < args.num_folds]
    if bad:
        parser.error(f'folds {bad} outside 0..{args.num_folds - 1}')
    name = 'stepgen_random' + (
        '' if args.recipe == 'mix' else f'_{args.recipe}') + (
            '_quick' if args.quick else '')
    # the README's table is the default results file's
    args.readme = not args.quick and args.recipe == 'mix' and (
        args.out is None
        or osp.abspath(args.out) == osp.join(RESULTS, f'{name}.json'))
    args.out = args.out or osp.join(RESULTS, f'{name}.json')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    step_config = args.step_config or default_step_config()
    gen_configs = default_gen_configs() if not (
        args.gen_config and args.gen_config_no_pushpull) else {}
    if args.gen_config:
        gen_configs['stepgen_push_pull'] = args.gen_config
    if args.gen_config_no_pushpull:
        gen_configs['stepgen_no_push_pull'] = args.gen_config_no_pushpull
    settings = dict(
        protocol='random', num_folds=args.num_folds, folds=args.folds,
        seeds=args.seeds, variants=args.variants,
        num_per_class=args.num_per_class, gen_epochs=args.gen_epochs,
        step_epochs=args.step_epochs,
        step_config=osp.relpath(step_config, REPO),
        gen_configs={k: osp.relpath(v, REPO)
                     for k, v in gen_configs.items()},
        quick=args.quick)
    if args.recipe != 'mix':  # (runs cached before --recipe existed)
        settings['recipe'] = args.recipe
    sig = hashlib.sha1(json.dumps(
        {k: v for k, v in settings.items() if k not in ('folds', 'seeds')},
        sort_keys=True).encode()).hexdigest()[:12]
    print(f'step config {step_config}\ngen configs {gen_configs}',
          flush=True)
    runs = []
    t_start = time.time()
    bar = ProgressBar(len(args.seeds) * len(args.folds))
    for seed in args.seeds:
        for fold in args.folds:
            bar.update()
            cache = osp.join(
                args.work_dir, f'fold{fold}_seed{seed}', 'run.json'
                if args.recipe == 'mix' else f'run_{args.recipe}.json')
            if not args.no_resume and osp.isfile(cache):
                with open(cache) as f:
                    cached = json.load(f)
                if cached.get('signature') == sig:
                    print_log(f'[fold {fold} seed {seed}] reusing {cache}',
                              logger='current')
                    runs.append(cached['run'])
                    continue
            rec = run_one(args, fold, seed, gen_configs, step_config)
            dump_json(dict(signature=sig, run=rec), cache, indent=2)
            runs.append(rec)
    settings['date'] = time.strftime('%Y-%m-%d')
    settings['seconds'] = round(time.time() - t_start, 1)
    summary = summarize(runs, args.variants)
    result = dict(
        benchmark='stepgen_augment', settings=settings, summary=summary,
        runs=runs,
        command='python benchmarks/stepgen_augment.py ' +
        ' '.join(sys.argv[1:] if argv is None else argv))
    dump_json(result, args.out, indent=2)
    table = markdown(summary, settings)
    print(table)
    if args.readme:
        update_readme(table)
    print(f'wrote {args.out}')
    return result


if __name__ == '__main__':
    main()
