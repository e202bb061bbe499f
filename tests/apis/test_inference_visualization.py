# Copyright (c) step_mm contributors. All rights reserved.
import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from step_mm.visualization import (BODY_PART_COLORS, bone_part,
                                   confusion_matrix, draw_gait_frames,
                                   load_dump, plot_confusion_matrix,
                                   render_gait_animation, render_gait_frame)
from step_mm.testing import make_fake_gait

PROBS = {'happy': 0.1, 'angry': 0.6, 'sad': 0.1, 'neutral': 0.2}


def test_gait_animation_gif(tmp_path):
    gait = make_fake_gait(30, 1)
    out = render_gait_animation(gait, str(tmp_path / 'walk.gif'), PROBS,
                                max_frames=6)
    with Image.open(out) as im:
        assert im.n_frames == 6 and im.size == (750, 400)
        first = np.asarray(im.convert('RGB'))
        im.seek(3)
        later = np.asarray(im.convert('RGB'))
    assert (first != later).any()  # the skeleton moves


def _has_color(img, rgb, tol=8):
    return (np.abs(img.astype(int) - rgb).max(-1) <= tol).any()


def test_gait_frames_legend_colours_and_titles():
    gait = make_fake_gait(75, 1)
    frames = draw_gait_frames(gait, result=PROBS)
    assert len(frames) == 75 and frames[0].shape == (400, 750, 3)
    legend = frames[0][-24:]  # the legend strip: one swatch per body part
    for color in BODY_PART_COLORS.values():
        assert _has_color(legend, color)
    # bones take their body part's colour: left arm bones end at 4, 5, 6
    assert [bone_part(c) for c in (3, 5, 8, 11, 14)] == [
        'trunk', 'left arm', 'right arm', 'left leg', 'right leg']
    # one title per panel (the emotion), all panels at the same scale
    two = draw_gait_frames([gait, gait[:10]], ['real: a (happy)',
                                               'generated: b (sad)'],
                           frames=[0, 10], normalize=False)
    assert two[0].shape == (324, 600, 3)
    # the short gait loops: its frame 10 is its frame 0
    np.testing.assert_array_equal(two[0][30:-24, 300:], two[1][30:-24, 300:])
    assert (two[0][30:-24, :300] != two[1][30:-24, :300]).any()
    with pytest.raises(ValueError, match='2 titles for 1 gaits'):
        draw_gait_frames(gait, ['a', 'b'])
    with pytest.raises(ValueError, match='single gait'):
        draw_gait_frames([gait, gait], result=PROBS)


def test_gait_frame_png(tmp_path):
    out = render_gait_frame(make_fake_gait(30), str(tmp_path / 'f.png'),
                            frame=4, normalize=False)
    with Image.open(out) as im:
        img = np.asarray(im.convert('RGB'))
    assert (img.std(axis=(0, 1)) > 0).all()
    with pytest.raises(ValueError, match=r'\(T, 16, 3\)'):
        render_gait_frame(np.zeros((30, 17, 3)), str(tmp_path / 'g.png'))
    with pytest.raises(TypeError):
        render_gait_frame(make_fake_gait(30), str(tmp_path / 'g.png'), 3)


def _dump(labels, preds, style='1.1'):
    out = []
    for y, p in zip(labels, preds):
        score = torch.full((4, ), 0.1)
        score[p] = 0.7
        if style == '1.1':
            out.append(dict(pred_scores=dict(item=score),
                            gt_labels=dict(item=torch.tensor([y]))))
        else:
            out.append(dict(pred_score=score, gt_label=torch.tensor(y)))
    return out


def test_confusion_from_dump(tmp_path):
    labels = [0, 0, 1, 2, 3, 3, 3]
    preds = [0, 1, 1, 2, 3, 0, 3]
    path = str(tmp_path / 'dump.pkl')
    with open(path, 'wb') as f:
        pickle.dump(_dump(labels, preds), f)
    scores, gt = load_dump(path)
    assert scores.shape == (7, 4) and gt.tolist() == labels
    cm = plot_confusion_matrix(path, str(tmp_path / 'cm.png'))
    expected = np.zeros((4, 4), int)
    np.add.at(expected, (labels, preds), 1)
    np.testing.assert_array_equal(cm, expected)
    np.testing.assert_array_equal(
        confusion_matrix(np.array(labels), np.array(preds), 4), expected)
    with Image.open(tmp_path / 'cm.png') as im:
        assert im.size[0] > 300
    # mmaction2 >= 1.2 field names are read too
    cm2 = plot_confusion_matrix(_dump(labels, preds, '1.2'),
                                str(tmp_path / 'cm2.pdf'))
    np.testing.assert_array_equal(cm2, expected)
    with pytest.raises(ValueError, match='lacks pred_scores/gt_labels'):
        load_dump([dict(pred=1)])
    with pytest.raises(ValueError, match='2 class names for 4'):
        plot_confusion_matrix(path, str(tmp_path / 'x.png'), ('a', 'b'))
