# Copyright (c) step_mm contributors. All rights reserved.
"""step_mm: emotion perception from gaits as an OpenMMLab (mmaction2) plugin.

The OpenMMLab packages are deliberately not in ``install_requires``: pip
would resolve mmaction2/mmpose to their declared dependencies (full mmcv
built from source, chumpy, torchvision) that do not install or import on
Python 3.11 + torch 2.13 CPU. Install the pinned stack first
(``make venv`` or the commands in README.md), then this package.
"""
import os
import os.path as osp
import shutil
import sys
import warnings

from setuptools import find_packages, setup

#: What ships in ``step_mm/.mim`` (as in mmaction2): configs, tools, index.
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def version():
    ns = {}
    with open('step_mm/version.py', encoding='utf-8') as f:
        exec(f.read(), ns)
    return ns['__version__']


def add_mim_extension():
    """Put configs, tools and model-index.yml into ``step_mm/.mim``.

    mmaction2's own ``setup.py`` does the same: symlinks for an editable
    install (``pip install -e .``, ``python setup.py develop``), copies for
    a wheel or sdist, so ``step-mm`` and mim-style lookups find the configs
    outside a clone.
    """
    if 'develop' in sys.argv:
        mode = 'symlink'  # pip install -e . / python setup.py develop
    elif any(a in sys.argv for a in ('sdist', 'bdist_wheel', 'install',
                                     'build', 'egg_info')):
        mode = 'copy'
    else:
        return
    here = osp.dirname(osp.abspath(__file__))
    mim = osp.join(here, 'step_mm', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(here, name), osp.join(mim, name)
        if osp.isfile(dst) or osp.islink(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            try:
                os.symlink(osp.relpath(src, osp.dirname(dst)), dst)
                continue
            except OSError:
                warnings.warn(f'cannot link {dst}; copying instead')
        if osp.isfile(src):
            shutil.copyfile(src, dst)
        else:
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))


add_mim_extension()

setup(
    name='step_mm',
    version=version(),
    description='STEP / STEP-Gen emotion perception from gaits for '
    'mmaction2',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['step_mm', 'step_mm.*']),
    include_package_data=True,
    package_data={'step_mm': ['.mim/model-index.yml', '.mim/configs/**/*',
                              '.mim/tools/**/*']},
    python_requires='>=3.8',
    install_requires=['numpy<2', 'h5py', 'scipy', 'matplotlib', 'einops'],
    extras_require={'tests': ['pytest', 'onnx', 'onnxruntime']},
    entry_points={'console_scripts': ['step-mm = step_mm.cli:main']},
    license='Apache License 2.0',
    zip_safe=False)
