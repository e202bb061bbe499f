# Copyright (c) step_mm contributors. All rights reserved.
"""Bases of the gait transforms: a ``__repr__`` built from the arguments
and, for the random augmentations, one probability gate."""
from abc import abstractmethod
from typing import Any, Dict, Tuple

import numpy as np
from mmcv.transforms import BaseTransform


def gait_name(results: Dict) -> str:
    """The gait's ``frame_dir``, quoted, for error messages.

    Args:
        results (dict): The transform's input.

    Returns:
        str: ``repr(results['frame_dir'])``, ``"'<gait>'"`` if absent.
    """
    return repr(results.get('frame_dir', '<gait>'))


def _format_arg(value: Any) -> str:
    """A string quoted (``!r``), anything else as ``str`` (``{}``)."""
    return repr(value) if isinstance(value, str) else str(value)


class BaseGaitTransform(BaseTransform):
    """A transform whose ``__repr__`` lists the attributes in ``repr_args``.

    ``repr(t)`` reads ``ClassName(a=1, mode='loop')``: strings are quoted,
    other values written as ``str`` gives them.

    Examples:
        >>> class Shift(BaseGaitTransform):
        ...     repr_args = ('offset', 'mode')
        ...     def __init__(self, offset=1., mode='add'):
        ...         self.offset, self.mode = offset, mode
        ...     def transform(self, results):
        ...         return results
        >>> Shift()
        Shift(offset=1.0, mode='add')
    """

    #: Names of the attributes shown by ``__repr__``, in order.
    repr_args: Tuple[str, ...] = ()

    def __repr__(self) -> str:
        args = ', '.join(f'{name}={_format_arg(getattr(self, name))}'
                         for name in self.repr_args)
        return f'{self.__class__.__name__}({args})'


class RandomGaitTransform(BaseGaitTransform):
    """A transform applied with probability ``prob``.

    :meth:`transform` draws one ``np.random.rand()`` from numpy's global
    state (reseeded per epoch by ``EpochSeedHook``) and calls :meth:`apply`
    when it is below ``prob``; otherwise the results pass unchanged and
    nothing more is drawn. Subclasses implement :meth:`apply` and list
    ``'prob'`` in ``repr_args`` where they show it.

    Args:
        prob (float): Probability of applying the transform.
    """

    def __init__(self, prob: float) -> None:
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        """Apply the transform with probability ``prob``."""
        if np.random.rand() < self.prob:
            return self.apply(results)
        return results

    @abstractmethod
    def apply(self, results: Dict) -> Dict:
        """The transform itself, once the gate has let it through."""
