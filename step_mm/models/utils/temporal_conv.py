# Copyright (c) step_mm contributors. All rights reserved.
"""A temporal convolution whose kernel may be longer than the sequence.

STEP convolves over time with a kernel of 75 frames while the feature maps
shrink to 19 frames and below. torch's oneDNN (mkldnn) Conv2d corrupts the
heap in its backward pass when the kernel is longer than the input and the
padding is implicit. :func:`long_temporal_conv` computes exactly the same
result as ``F.conv2d(x, w, b, (stride, 1), (padding, 0))`` without ever
handing oneDNN such a shape:

1. Taps that can only ever meet zero padding are dropped: the weight is
   sliced to the taps some output can reach for the current length, and the
   padding is reduced by as many taps as were dropped at each end.
2. The remaining zero padding is written explicitly (``F.pad``) and the
   convolution runs with ``padding=0``, so oneDNN always sees an input at
   least as long as the kernel. Implicit padding is avoided even where the
   kernel fits: with torch 2.13 oneDNN also returns a wrong weight gradient
   for ``k = T = 75`` at stride 2, which explicit padding does not.

The weight keeps its full ``(C_out, C_in, k, 1)`` shape, so a checkpoint of
:class:`LongTemporalConv` loads into an ``nn.Conv2d`` and back.
"""
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def reachable_taps(length: int,
                   kernel_size: int,
                   stride: int,
                   padding: int,
                   dilation: int = 1) -> Tuple[int, int, int, int]:
    """Kernel taps that meet real input, and the padding they still need.

    Output ``t`` reads input ``t * stride - padding + j * dilation`` with tap
    ``j``. Taps before the first or after the last returned one meet only
    zero padding for every output, so they can be dropped.

    Args:
        length (int): Length ``T`` of the input.
        kernel_size (int): Length ``k`` of the kernel.
        stride (int): Temporal stride.
        padding (int): Zero padding on each end of the input.
        dilation (int): Spacing between kernel taps. Defaults to 1.

    Returns:
        tuple[int, int, int, int]: First and last kept tap (inclusive), and
        the zero padding before and after the input that the kept taps need
        to produce the same output length as the full kernel. A negative
        padding means as many frames are cut off that end: with a dilation
        above 1 or a stride above 1 no output reads them.
    """
    span = (kernel_size - 1) * dilation + 1
    out_len = (length + 2 * padding - span) // stride + 1
    if out_len < 1:
        raise ValueError(f'a temporal kernel of {kernel_size} (dilation '
                         f'{dilation}) with padding {padding} gives no '
                         f'output for length {length}')
    # the last output must reach input 0, the first output input T - 1
    first = max(0, -(-(padding - (out_len - 1) * stride) // dilation))
    last = min(kernel_size - 1, (length - 1 + padding) // dilation)
    pad_before = padding - first * dilation
    needed = (out_len - 1) * stride + (last - first) * dilation + 1
    pad_after = needed - pad_before - length
    return first, last, pad_before, pad_after


def long_temporal_conv(x: torch.Tensor,
                       weight: torch.Tensor,
                       bias: Optional[torch.Tensor] = None,
                       stride: int = 1,
                       padding: int = 0,
                       dilation: int = 1) -> torch.Tensor:
    """Temporal convolution, safe for kernels longer than the input.

    Equal to ``F.conv2d(x, weight, bias, (stride, 1), (padding, 0),
    (dilation, 1))``.

    Args:
        x (torch.Tensor): Input of shape ``(N, C_in, T, V)``.
        weight (torch.Tensor): Kernel of shape ``(C_out, C_in, k, 1)``.
        bias (torch.Tensor, optional): Bias of shape ``(C_out, )``.
            Defaults to None.
        stride (int): Temporal stride. Defaults to 1.
        padding (int): Zero padding on each end of the time axis.
            Defaults to 0.
        dilation (int): Spacing between kernel taps. Defaults to 1.

    Returns:
        torch.Tensor: Output of shape ``(N, C_out, T_out, V)`` with
        ``T_out = (T + 2 * padding - dilation * (k - 1) - 1) // stride + 1``.
    """
    full_size = weight.shape[2]
    first, last, pad_before, pad_after = reachable_taps(
        x.shape[2], full_size, stride, padding, dilation)
    if first > last:  # every tap meets padding only (stride > length)
        first, last, pad_before, pad_after = 0, full_size - 1, padding, padding
    if first > 0 or last < full_size - 1:
        weight = weight[:, :, first:last + 1]
    if pad_before or pad_after:
        # a negative pad cuts frames that no output reads
        x = F.pad(x, (0, 0, pad_before, pad_after))
    return F.conv2d(x, weight, bias, (stride, 1), dilation=(dilation, 1))


class LongTemporalConv(nn.Module):
    """A ``(k, 1)`` temporal ``Conv2d`` that stays exact and safe for any T.

    A drop-in for ``nn.Conv2d(in_channels, out_channels, (kernel_size, 1),
    (stride, 1), ((kernel_size - 1) // 2, 0))`` over ``(N, C, T, V)``
    feature maps, with the same parameter names and shapes. See
    :func:`long_temporal_conv`.

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        kernel_size (int): Temporal kernel length. Defaults to 75.
        stride (int): Temporal stride. Defaults to 1.
        padding (int, optional): Zero padding on each end of the time axis.
            Defaults to None, meaning ``dilation * (kernel_size - 1) // 2``
            (the length is kept at stride 1).
        bias (bool): Whether to add a learnable bias. Defaults to True.
        dilation (int): Spacing between kernel taps. Defaults to 1.

    Examples:
        >>> import torch
        >>> conv = LongTemporalConv(64, 64, kernel_size=75, stride=2)
        >>> conv(torch.randn(2, 64, 38, 16)).shape
        torch.Size([2, 64, 19, 16])
        >>> conv(torch.randn(2, 64, 8, 16)).shape
        torch.Size([2, 64, 4, 16])
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 75,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 bias: bool = True,
                 dilation: int = 1) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.dilation = dilation
        self.padding = (dilation * (kernel_size - 1) //
                        2 if padding is None else padding)
        self.weight = nn.Parameter(
            torch.empty(out_channels, in_channels, kernel_size, 1))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise like ``nn.Conv2d``."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve ``(N, C_in, T, V)`` over time."""
        return long_temporal_conv(x, self.weight, self.bias, self.stride,
                                  self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, '
                f'kernel_size=({self.kernel_size}, 1), '
                f'stride=({self.stride}, 1), padding=({self.padding}, 0), '
                f'dilation=({self.dilation}, 1), bias={self.bias is not None}')
