# Copyright (c) step_mm contributors. All rights reserved.
"""step_mm: emotion perception from gaits (STEP, STEP-Gen, E-Gait) as an
mmaction2 plugin.

Importing the package registers its datasets, transforms, models, metrics
and hooks into mmaction2's registries.
"""
import mmengine
from mmengine.utils import digit_version

from .version import __version__

MMENGINE_RANGE = ('0.7.1', '1.0.0')
MMACTION_RANGE = ('1.0.0', '1.2.0')
MMCV_RANGE = ('2.0.0', '2.1.0')


def _check(name: str, version: str, lo: str, hi: str) -> None:
    if not digit_version(lo) <= digit_version(version) < digit_version(hi):
        raise ImportError(
            f'step_mm needs {lo} <= {name} < {hi}, found {name}=={version}. '
            'Install the pinned stack with `make venv` (see README, '
            '"Installation").')


try:
    import mmaction
    import mmcv
except ImportError as e:  # pragma: no cover - exercised by a broken env only
    raise ImportError(
        f'step_mm needs mmaction2 and mmcv(-lite): {e}. Run `make venv` or '
        '`pip install -r requirements/runtime.txt` then `pip install '
        '--no-deps -r requirements/nodeps.txt`.') from e

_check('mmengine', mmengine.__version__, *MMENGINE_RANGE)
_check('mmcv', mmcv.__version__, *MMCV_RANGE)
_check('mmaction2', mmaction.__version__, *MMACTION_RANGE)

from .utils import register_safe_globals  # noqa: E402

register_safe_globals()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__']
