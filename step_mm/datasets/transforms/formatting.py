# Copyright (c) step_mm contributors. All rights reserved.
from typing import Dict, Sequence

from mmcv.transforms import to_tensor
from mmaction.datasets.transforms import PackActionInputs
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackGaitInputs(PackActionInputs):
    """``PackActionInputs`` that also carries per-sample extras.

    mmaction2 1.1.0's ``PackActionInputs`` has no ``algorithm_keys``; this
    adds it: each listed key is stored as a tensor field of the data sample
    (e.g. ``data_sample.affective_feats``), where heads read it.

    Required Keys:

        - keypoint (or the other inputs of ``PackActionInputs``)
        - label (optional)
        - the ``algorithm_keys``

    Added Keys:

        - inputs
        - data_samples

    Args:
        algorithm_keys (Sequence[str]): Keys to put in the data samples.
            Defaults to ``('affective_feats',)``.
        meta_keys (Sequence[str]): Defaults to ``('frame_dir',
            'total_frames', 'fps')``.
        collect_keys (tuple[str], optional): As in ``PackActionInputs``.
    """

    def __init__(self,
                 algorithm_keys: Sequence[str] = ('affective_feats', ),
                 meta_keys: Sequence[str] = ('frame_dir', 'total_frames',
                                             'fps'),
                 collect_keys=None) -> None:
        super().__init__(collect_keys=collect_keys, meta_keys=meta_keys)
        self.algorithm_keys = tuple(algorithm_keys)

    def transform(self, results: Dict) -> Dict:
        packed = super().transform(results)
        sample = packed['data_samples']
        for key in self.algorithm_keys:
            if key not in results:
                raise KeyError(
                    f'PackGaitInputs: {key!r} missing for gait '
                    f"{results.get('frame_dir', '<gait>')!r}; add the "
                    'transform that produces it (e.g. GaitAffectiveFeatures)')
            sample.set_field(to_tensor(results[key]), key)
        return packed

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(algorithm_keys='
                f'{self.algorithm_keys}, meta_keys={self.meta_keys})')
