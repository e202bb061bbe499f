# Copyright (c) step_mm contributors. All rights reserved.
import os
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from step_mm.models.utils import (LongTemporalConv, long_temporal_conv,
                                  reachable_taps)
from step_mm.models.utils import temporal_conv

# entering torch.backends.mkldnn.flags() warns about TF32 on Intel GPUs
pytestmark = pytest.mark.filterwarnings('ignore:TF32 acceleration')

# The shapes that make a plain oneDNN Conv2d abort in backward ("double free
# or corruption"): kernel 75 over 38 and 19 frames.
_CRASH_SCRIPT = """
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location('tc', sys.argv[1])
tc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tc)
for cin, cout, stride, length in [(64, 64, 2, 38), (64, 64, 1, 38),
                                  (3, 32, 1, 19), (32, 32, 1, 19)]:
    conv = tc.LongTemporalConv(cin, cout, kernel_size=75, stride=stride)
    x = torch.randn(8, cin, length, 16, requires_grad=True)
    conv(x).mean().backward()
print('survived')
"""


def _reference(x, weight, bias, stride, padding):
    """Plain conv2d, away from oneDNN: the ground truth."""
    with torch.backends.mkldnn.flags(enabled=False):
        y = F.conv2d(x, weight, bias, (stride, 1), (padding, 0))
    return y


def _assert_close(actual, expected, tol=1e-4):
    assert actual.shape == expected.shape
    scale = max(1.0, expected.abs().max().item())
    err = (actual - expected).abs().max().item()
    assert err <= tol * scale, f'max error {err:.3g} (scale {scale:.3g})'


@pytest.mark.parametrize('stride', [1, 2])
@pytest.mark.parametrize('length', [8, 19, 38, 75, 240])
def test_equals_conv2d_forward_and_backward(length, stride):
    torch.manual_seed(length * 10 + stride)
    conv = LongTemporalConv(6, 8, kernel_size=75, stride=stride)
    x = torch.randn(2, 6, length, 16, requires_grad=True)
    y = conv(x)
    grad_out = torch.randn_like(y)
    grads = torch.autograd.grad(y, (x, conv.weight, conv.bias), grad_out)

    x_ref = x.detach().clone().requires_grad_()
    w_ref = conv.weight.detach().clone().requires_grad_()
    b_ref = conv.bias.detach().clone().requires_grad_()
    y_ref = _reference(x_ref, w_ref, b_ref, stride, 37)
    with torch.backends.mkldnn.flags(enabled=False):
        grads_ref = torch.autograd.grad(y_ref, (x_ref, w_ref, b_ref), grad_out)

    assert y.shape == (2, 8, (length - 1) // stride + 1, 16)
    _assert_close(y, y_ref)
    for g, g_ref in zip(grads, grads_ref):
        _assert_close(g, g_ref)


@pytest.mark.parametrize('length,stride,expected', [
    (75, 1, (0, 74, 37, 37)),
    (240, 2, (0, 74, 37, 36)),
    (8, 1, (30, 44, 7, 7)),
    (38, 2, (1, 74, 36, 36)),
    (1, 1, (37, 37, 0, 0)),
])
def test_reachable_taps(length, stride, expected):
    assert reachable_taps(length, 75, stride, 37) == expected


def test_unreachable_taps_get_no_gradient():
    conv = LongTemporalConv(3, 4, kernel_size=75)
    conv(torch.randn(2, 3, 8, 16)).sum().backward()
    assert conv.weight.grad[:, :, :30].abs().sum() == 0
    assert conv.weight.grad[:, :, 45:].abs().sum() == 0
    assert conv.weight.grad[:, :, 30:45].abs().sum() > 0


def test_other_kernel_and_padding():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 4)
    w = torch.randn(5, 3, 9, 1)
    b = torch.randn(5)
    for stride in (1, 2, 3):
        for padding in (0, 2, 4, 6):
            if 5 + 2 * padding < 9:
                with pytest.raises(ValueError, match='no output'):
                    long_temporal_conv(x, w, b, stride, padding)
                continue
            _assert_close(
                long_temporal_conv(x, w, b, stride, padding),
                _reference(x, w, b, stride, padding))


def test_checkpoint_layout_matches_conv2d():
    conv = LongTemporalConv(4, 8, kernel_size=75, stride=2, bias=True)
    plain = nn.Conv2d(4, 8, (75, 1), (2, 1), (37, 0))
    plain.load_state_dict(conv.state_dict())
    x = torch.randn(2, 4, 100, 16)
    with torch.backends.mkldnn.flags(enabled=False):
        expected = plain(x)
    _assert_close(conv(x), expected)
    conv.load_state_dict(nn.Conv2d(4, 8, (75, 1)).state_dict())
    assert 'kernel_size=(75, 1)' in repr(conv)

    no_bias = LongTemporalConv(4, 8, kernel_size=9, bias=False)
    assert no_bias.bias is None
    assert set(no_bias.state_dict()) == {'weight'}


def test_backward_survives_crashing_shapes():
    # in a subprocess, so a regression fails this test instead of killing
    # the whole session; MALLOC_CHECK_=3 makes glibc abort on heap damage
    env = dict(os.environ, MALLOC_CHECK_='3')
    proc = subprocess.run(
        [sys.executable, '-c', _CRASH_SCRIPT, temporal_conv.__file__],
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0 and 'survived' in proc.stdout, proc.stderr


@pytest.mark.parametrize('dilation', [2, 3])
@pytest.mark.parametrize('stride', [1, 2, 3])
@pytest.mark.parametrize('length', [1, 2, 5, 12])
def test_dilated_equals_conv2d(length, stride, dilation):
    """Dilated kernels (multi-scale TCNs) longer than short inputs."""
    torch.manual_seed(length + 10 * stride + 100 * dilation)
    for kernel, padding in [(5, None), (3, None), (5, 0), (9, 1)]:
        conv = LongTemporalConv(
            3, 4, kernel_size=kernel, stride=stride, dilation=dilation,
            padding=padding).double()
        span = dilation * (kernel - 1) + 1
        if length + 2 * conv.padding < span:
            with pytest.raises(ValueError, match='gives no output'):
                conv(torch.randn(1, 3, length, 2, dtype=torch.float64))
            continue
        x = torch.randn(2, 3, length, 5, dtype=torch.float64,
                        requires_grad=True)
        y = conv(x)
        grad_out = torch.randn_like(y)
        grads = torch.autograd.grad(y, (x, conv.weight, conv.bias),
                                    grad_out)
        with torch.backends.mkldnn.flags(enabled=False):
            y_ref = F.conv2d(x, conv.weight, conv.bias, (stride, 1),
                             (conv.padding, 0), (dilation, 1))
            grads_ref = torch.autograd.grad(
                y_ref, (x, conv.weight, conv.bias), grad_out)
        _assert_close(y, y_ref, 1e-10)
        for g, g_ref in zip(grads, grads_ref):
            _assert_close(g, g_ref, 1e-10)


def test_dilated_padding_default_keeps_length():
    conv = LongTemporalConv(2, 2, kernel_size=5, dilation=2)
    assert conv.padding == 4 and 'dilation=(2, 1)' in repr(conv)
    assert conv(torch.randn(1, 2, 3, 4)).shape == (1, 2, 3, 4)
