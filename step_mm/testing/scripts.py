# Copyright (c) step_mm contributors. All rights reserved.
"""The clone's scripts (``tools/``, ``benchmarks/``, ``projects/``) as
modules, for tests that call their functions and ``main(argv)``."""
import importlib.util
import os.path as osp
from types import ModuleType
from typing import Optional

__all__ = ['REPO', 'load_script']

#: The clone holding ``step_mm/`` and its scripts.
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_script(path: str, name: Optional[str] = None) -> ModuleType:
    """Import a script file as a new module (not put in ``sys.modules``).

    Every call executes the file again: a test gets a fresh module, with
    no state left by another test.

    Args:
        path (str): The script, relative to the clone (e.g.
            ``'benchmarks/egait_sklearn.py'``) or absolute.
        name (str, optional): The module's ``__name__``. Defaults to the
            file name without ``.py``.

    Returns:
        ModuleType: The executed module.

    Raises:
        FileNotFoundError: If there is no such file.
    """
    full = path if osp.isabs(path) else osp.join(REPO, path)
    if not osp.isfile(full):
        raise FileNotFoundError(f'no script {full}')
    name = name or osp.splitext(osp.basename(full))[0]
    spec = importlib.util.spec_from_file_location(name, full)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
