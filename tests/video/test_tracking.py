# Copyright (c) step_mm contributors. All rights reserved.
"""The IoU tracker on hand-made boxes, and gap filling."""
import numpy as np
import pytest

from step_mm.video.pipeline import split_gaps
from step_mm.video.tracking import IoUTracker, box_iou


def person(x: float, y: float = 100., w: float = 30., h: float = 80.):
    return [x, y, x + w, y + h]


def run(tracker, frames):
    """Feed ``frames`` (lists of boxes) and return the ids per frame."""
    ids = []
    for t, boxes in enumerate(frames):
        tracker.predict(t)
        ids.append(tracker.update(np.array(boxes).reshape(-1, 4), t).tolist())
        tracker.finish_frame(t)
    return ids


def test_box_iou():
    iou = box_iou(np.array([person(0), person(15)]),
                  np.array([person(0), person(100), [0, 0, 0, 0]]))
    np.testing.assert_allclose(iou, [[1, 0, 0], [1 / 3, 0, 0]])


def test_crossing_people_keep_their_ids():
    # A walks right, B walks left at the same height; they overlap fully at
    # frame 10. The detections come in a shuffled order.
    rng = np.random.default_rng(0)
    frames, truth = [], []
    for t in range(21):
        a, b = person(50 + 8 * t), person(210 - 8 * t, y=104)
        order = rng.permutation(2)
        frames.append([(a, b)[k] for k in order])
        truth.append(['A', 'B'][k] for k in order)
    ids = run(IoUTracker(), frames)
    seen = {}
    for frame_ids, names in zip(ids, truth):
        for tid, name in zip(frame_ids, names):
            assert seen.setdefault(name, tid) == tid, (name, frame_ids)
    assert sorted(seen.values()) == [0, 1]


def test_a_lost_track_ends_and_a_new_person_gets_a_new_id():
    tracker = IoUTracker(max_missed=3)
    frames = [[person(10 + 2 * t)] for t in range(5)]  # person 0, frames 0-4
    frames += [[] for _ in range(2)]  # lost at 5, 6
    frames += [[person(300)]] + [[person(300 + 2 * t)] for t in range(1, 4)]
    ids = run(tracker, frames)
    assert ids[:5] == [[0]] * 5
    assert ids[7:] == [[1]] * 4  # a new person, a new id
    # person 0 was last seen at frame 4; it ends when missed > 3 (frame 8)
    assert [t.track_id for t in tracker.finished] == [0]
    assert tracker.finished[0].last_frame == 4
    assert [t.track_id for t in tracker.live_tracks] == [1]
    # coming back after the end is a new person too
    tracker.predict(11)
    assert tracker.update(np.array([person(18)]), 11).tolist() == [2]


def test_a_short_miss_keeps_the_id_and_duplicates_start_nothing():
    tracker = IoUTracker(max_missed=3)
    frames = [[person(10 + 4 * t)] for t in range(4)]
    frames += [[], []]  # missed twice; the prediction keeps moving
    frames += [[person(10 + 4 * t)] for t in range(6, 9)]
    ids = run(tracker, frames)
    assert all(i == [0] for i in ids if i)
    tracker.predict(9)
    ids = tracker.update(np.array([person(46), person(47)]), 9)
    assert sorted(ids.tolist()) == [-1, 0]  # the second box is a duplicate
    with pytest.raises(ValueError, match='predict'):
        tracker.update(np.zeros((0, 4)), 10)


def test_split_gaps_fills_short_gaps_and_splits_long_ones():
    frames = np.array([0, 1, 2, 5, 6, 20, 21, 22])
    values = np.stack([np.full((2, 3), f, np.float32) for f in frames])
    pieces = split_gaps(frames, values, max_gap=2)
    assert [(s, len(v)) for s, v in pieces] == [(0, 7), (20, 3)]
    np.testing.assert_allclose(pieces[0][1][:, 0, 0], np.arange(7))
    assert split_gaps(frames, values, max_gap=20)[0][1].shape == (23, 2, 3)
    with pytest.raises(ValueError, match='increasing'):
        split_gaps(np.array([0, 0]), np.zeros((2, 1)), 1)
