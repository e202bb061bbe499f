# Copyright (c) step_mm contributors. All rights reserved.
"""step_mm: emotion perception from gaits as an OpenMMLab (mmaction2) plugin.

The OpenMMLab packages are deliberately not in ``install_requires``: pip
would resolve mmaction2/mmpose to their declared dependencies (full mmcv
built from source, chumpy, torchvision) that do not install or import on
Python 3.11 + torch 2.13 CPU. Install the pinned stack first
(``make venv`` or the commands in README.md), then this package.
"""
from setuptools import find_packages, setup


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def version():
    ns = {}
    with open('step_mm/version.py', encoding='utf-8') as f:
        exec(f.read(), ns)
    return ns['__version__']


setup(
    name='step_mm',
    version=version(),
    description='STEP / STEP-Gen emotion perception from gaits for '
    'mmaction2',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['step_mm', 'step_mm.*']),
    python_requires='>=3.8',
    install_requires=['numpy<2', 'h5py', 'scipy', 'matplotlib', 'einops'],
    extras_require={'tests': ['pytest', 'onnx', 'onnxruntime']},
    entry_points={'console_scripts': ['step-mm = step_mm.cli:main']},
    license='Apache License 2.0',
    zip_safe=False)
