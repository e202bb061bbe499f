# Copyright (c) step_mm contributors. All rights reserved.
"""The source database of an E-Gait gait, from its key.

E-Gait pools gaits of seven sources (Bhattacharya et al., 2020); the keys
follow each source's own naming, so the source is read from the key's
pattern (docs/egait.md, "Sources"):

================  ==========================================  =====
source            key pattern (example)                       gaits
================  ==========================================  =====
``BML``           ``<actor>_walk_<an|ha|nu|sa>_<n>_fin_...``  120
                  (``ale_walk_an_1_fin_positions.csv``)
``ICT``           ``<nnn>_<Angry|Happy|Neutral|Sad>_...``     84
                  (``001_Angry_positions.csv``)
``CMU``           ``<subject>_<trial>_positions.csv``         49
                  (``02_01_positions.csv``)
``UNC_RGB``       ``<a>_<b>_<c>_positions.csv``               41
                  (``1_0_0_positions.csv``)
``SIG``           ``..._Scene_..._database_normed_...``       24
                  (``0_Scene_15_database_normed_...``)
``Human3.6M``     ``S<subject>_<n>_positions.csv``            14
                  (``S11_1_positions.csv``)
``RGB``           ``File<n>_positions.csv``                   10
                  (``File12_positions.csv``)
================  ==========================================  =====

The mapping of the two RGB-derived patterns (``UNC_RGB``: three numbers,
``RGB``: ``File<n>``) and of ``SIG`` to the paper's source names is our
reading of the key patterns; the counts are those of the 342 released
gaits. Keys matching none (generated or other gaits) are ``'other'``.
"""
import re
from typing import Dict, Sequence

import numpy as np

__all__ = ['SOURCES', 'source_of', 'accuracy_by_source']

#: Source names, in the order of the table above.
SOURCES = ('BML', 'ICT', 'CMU', 'UNC_RGB', 'SIG', 'Human3.6M', 'RGB')

_PATTERNS = (
    ('BML', re.compile(r'^[a-z]+_walk_(an|ha|nu|sa)_\d+_fin')),
    ('ICT', re.compile(r'^\d+_(Angry|Happy|Neutral|Sad)_positions')),
    ('SIG', re.compile(r'_Scene_.*database_normed')),
    ('Human3.6M', re.compile(r'^S\d+_\d+_positions')),
    ('RGB', re.compile(r'^File\d+_positions')),
    ('UNC_RGB', re.compile(r'^\d+_\d+_\d+_positions')),
    ('CMU', re.compile(r'^\d+_\d+_positions')),
)


def source_of(key: str) -> str:
    """The source database of a gait key (``'other'`` if none matches).

    Args:
        key (str): The gait's key, e.g. ``'02_01_positions.csv'``.

    Returns:
        str: One of :data:`SOURCES`, or ``'other'``.

    Examples:
        >>> source_of('ale_walk_an_1_fin_positions.csv')
        'BML'
        >>> source_of('S11_1_positions.csv')
        'Human3.6M'
    """
    for name, pattern in _PATTERNS:
        if pattern.search(key):
            return name
    return 'other'


def accuracy_by_source(keys: Sequence[str], pred: Sequence[int],
                       labels: Sequence[int]) -> Dict[str, dict]:
    """Top-1 accuracy and gait count per source.

    Args:
        keys (Sequence[str]): Gait keys.
        pred (Sequence[int]): Predicted labels.
        labels (Sequence[int]): True labels.

    Returns:
        dict[str, dict]: ``{source: {'top1': float, 'num': int}}`` for the
        sources present, in :data:`SOURCES` order (``'other'`` last).
    """
    src = np.array([source_of(k) for k in keys])
    hit = np.asarray(pred) == np.asarray(labels)
    out = {}
    for name in SOURCES + ('other', ):
        mask = src == name
        if mask.any():
            out[name] = dict(top1=float(hit[mask].mean()), num=int(mask.sum()))
    return out
