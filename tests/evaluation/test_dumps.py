# Copyright (c) step_mm contributors. All rights reserved.
"""step_mm.evaluation.dumps.load_dump reads score dumps without running
code from the pickle."""
import os
import pickle

import numpy as np
import pytest
import torch

from step_mm.evaluation.dumps import load_dump


class _Payload:
    """Unpickling calls os.system: creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class _TensorPayload:
    """A 'tensor storage' whose bytes are a pickle calling os.system:
    ``torch.storage._load_from_bytes`` would torch.load them unsafely."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return torch.storage._load_from_bytes, (pickle.dumps(
            _Payload(self.marker)), )


def test_reads_what_dumps_hold(tmp_path):
    results = [
        dict(frame_dir='001_Happy', fps=30.0, total_frames=75,
             gt_labels=dict(item=torch.tensor([1])),
             pred_scores=dict(item=torch.rand(4)),
             affective_feats=torch.rand(29).double(),
             keypoint=np.zeros((1, 3, 16, 3), np.float32),
             shape=(1, 2), seen={1, 2}, count=np.int64(3))
    ]
    for protocol in (2, pickle.HIGHEST_PROTOCOL):  # 2: mmengine's default
        path = str(tmp_path / f'p{protocol}.pkl')
        with open(path, 'wb') as f:
            pickle.dump(results, f, protocol=protocol)
        got = load_dump(path)
        assert got[0]['frame_dir'] == '001_Happy'
        for key in ('affective_feats', ):
            torch.testing.assert_close(got[0][key], results[0][key])
        torch.testing.assert_close(got[0]['pred_scores']['item'],
                                   results[0]['pred_scores']['item'])
        assert got[0]['keypoint'].dtype == np.float32
        assert got[0]['count'] == 3 and got[0]['seen'] == {1, 2}


@pytest.mark.parametrize('payload', [_Payload, _TensorPayload])
def test_code_in_the_pickle_never_runs(tmp_path, payload):
    marker = str(tmp_path / 'ran')
    path = str(tmp_path / 'evil.pkl')
    with open(path, 'wb') as f:
        pickle.dump([dict(pred_scores=payload(marker))], f, protocol=2)
    with pytest.raises(ValueError) as info:
        load_dump(path)
    message = str(info.value)
    assert message.startswith(f'{path}: not loaded: the pickle calls ')
    assert '\n' not in message and 'weights_only' not in message
    assert not os.path.exists(marker)


def test_cut_short_empty_and_wrong_content(tmp_path):
    path = str(tmp_path / 'd.pkl')
    with open(path, 'wb') as f:
        pickle.dump([dict(x=torch.ones(3))], f, protocol=2)
    data = open(path, 'rb').read()
    for name, content, match in (
            ('cut.pkl', data[:len(data) // 2], 'ends early'),
            ('empty.pkl', b'', 'ends early'),
            ('random.pkl', bytes(range(7, 200)), 'not a readable dump'),
            ('dict.pkl', pickle.dumps(dict(a=1)), 'non-empty list.*dict'),
            ('none.pkl', pickle.dumps([]), 'non-empty list'),
            ('items.pkl', pickle.dumps([1, 2]), 'result 0 is a int')):
        bad = str(tmp_path / name)
        with open(bad, 'wb') as f:
            f.write(content)
        with pytest.raises(ValueError, match=f'^{bad}: .*{match}'):
            load_dump(bad)
    with pytest.raises(FileNotFoundError, match='nope.pkl'):
        load_dump(str(tmp_path / 'nope.pkl'))
