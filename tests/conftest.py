# Copyright (c) step_mm contributors. All rights reserved.
import os
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
EGAIT_ROOT = os.environ.get('EGAIT_ROOT') or osp.join(REPO, '..', 'shared',
                                                      'data', 'egait')


@pytest.fixture(scope='session', autouse=True)
def _mmaction_scope():
    import step_mm  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')


@pytest.fixture(scope='session')
def tiny_egait(tmp_path_factory):
    """A generated 40-gait data set (10 actors) in the official layout."""
    from step_mm.testing import write_fake_egait
    return write_fake_egait(str(tmp_path_factory.mktemp('tiny_egait')))


@pytest.fixture(scope='session')
def egait_root():
    """The real E-Gait copy; tests using it skip where it is absent."""
    if not osp.isfile(osp.join(EGAIT_ROOT, 'features.h5')):
        pytest.skip(f'real E-Gait data not found at {EGAIT_ROOT} '
                    '(set EGAIT_ROOT); research-only, never in the repo')
    return EGAIT_ROOT
