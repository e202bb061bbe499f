# Copyright (c) step_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmaction.evaluation import AccMetric, ConfusionMatrix

from step_mm.evaluation.functional import (accuracies, confusion,
                                           fuse_dumps, fuse_scores)


def _runner_metrics(scores, labels):
    """What the runner's evaluator reports for these scores."""
    acc = AccMetric(metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                    metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
    cm = ConfusionMatrix(num_classes=scores.shape[1])
    samples = [
        dict(pred_scores=dict(item=torch.tensor(s)),
             gt_labels=dict(item=torch.tensor([y])))
        for s, y in zip(scores, labels)
    ]
    for metric in (acc, cm):
        metric.process(None, samples)
    out = acc.compute_metrics(acc.results)
    out['cm'] = cm.compute_metrics(cm.results)['result'].numpy()
    return out


def test_accuracies_match_the_runner_metrics():
    rng = np.random.default_rng(0)
    # class 3 never occurs but is predicted, class 2 is never predicted
    labels = np.array([0, 0, 1, 1, 1, 2, 2, 0, 1, 0])
    scores = rng.random((10, 4))
    scores[[0, 4], 3] = 5
    scores[:, 2] = -1
    ref = _runner_metrics(scores, labels)
    acc = accuracies(scores, labels)
    assert acc['top1'] == pytest.approx(ref['top1'])
    assert acc['mean_class'] == pytest.approx(ref['mean1'])
    cm = confusion(scores.argmax(1), labels, 4)
    np.testing.assert_array_equal(cm, ref['cm'])
    assert cm.dtype == np.int64 and cm.sum() == 10
    assert np.isnan(acc['per_class'][3]) and acc['per_class'][2] == 0
    # the old nan-mean over present classes is another number here
    assert acc['mean_class'] != pytest.approx(np.nanmean(acc['per_class']))


def test_fuse_dumps_matches_gaits_by_name():
    a = (['x', 'y', 'z'], np.array([[1., 0], [0, 1], [1, 0]]),
         np.array([0, 1, 1]))
    b = (['z', 'x', 'y'], np.array([[0., 3], [2, 0], [0, 1]]),
         np.array([1, 0, 1]))
    names, fused, labels = fuse_dumps([a, b], weights=[1, 0.5])
    assert names == ['x', 'y', 'z']
    np.testing.assert_allclose(fused, [[2, 0], [0, 1.5], [1, 1.5]])
    np.testing.assert_array_equal(labels, [0, 1, 1])
    np.testing.assert_allclose(fuse_scores([a[1], a[1]]), 2 * a[1])
    with pytest.raises(ValueError, match='disagree on labels'):
        fuse_dumps([a, (b[0], b[1], np.array([0, 0, 1]))])
    with pytest.raises(ValueError, match='different gaits'):
        fuse_dumps([a, (['x', 'y', 'w'], b[1], b[2])])
    with pytest.raises(ValueError, match='at least two'):
        fuse_dumps([a])
