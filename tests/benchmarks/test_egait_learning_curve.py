# Copyright (c) step_mm contributors. All rights reserved.
"""``benchmarks/egait_learning_curve.py``: the fit and a tiny real run."""
import json

import numpy as np
import pytest

from step_mm.testing import load_script


def _script():
    return load_script('benchmarks/egait_learning_curve.py')


def test_fit_doubling_recovers_a_log_linear_curve():
    mod = _script()
    fractions = [0.125, 0.25, 0.5, 1.0]
    top1 = [0.6 + 0.03 * np.log2(f) for f in fractions]
    fit = mod.fit_doubling(fractions, top1)
    assert fit['gain_per_doubling'] == pytest.approx(0.03)
    assert fit['top1_at_full'] == pytest.approx(0.6)
    with pytest.raises(ValueError, match='two different fractions'):
        mod.fit_doubling([0.5, 0.5], [0.1, 0.2])


def test_learning_curve_runs_the_protocol_per_fraction(tiny_egait, tmp_path):
    mod = _script()
    out = tmp_path / 'results'
    result = mod.main([
        '--fractions', '0.5', '1.0', '--folds', '0', '--seeds', '0',
        '--epochs', '1', '--data-root', tiny_egait, '--work-dir',
        str(tmp_path / 'work'), '--out-dir', str(out)
    ])
    points = result['models']['step']['points']
    assert [p['fraction'] for p in points] == [0.5, 1.0]
    assert all(p['n_runs'] == 1 and 0 <= p['top1_mean'] <= 1
               for p in points)
    assert 'gain_per_doubling' in result['models']['step']['fit']
    saved = json.loads((out / 'egait_learning_curve.json').read_text())
    assert saved['models'] == json.loads(json.dumps(result['models']))
    assert '| step | 0.5 |' in (out / 'egait_learning_curve.md').read_text()
    # each fraction really trained on that share of the fold's train subset
    from mmaction.registry import DATASETS
    from mmengine.config import Config
    sizes = []
    for frac in ('0.5', '1'):
        cfg = sorted((tmp_path / 'work').glob(
            f'frac{frac}/egait_random/*/fold0_seed0/*.py'))[0]
        ds = Config.fromfile(str(cfg)).train_dataloader.dataset
        ds.pipeline = []
        sizes.append(len(DATASETS.build(ds)))
    assert sizes[0] == pytest.approx(sizes[1] / 2, abs=2)
