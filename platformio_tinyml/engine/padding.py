"""Padding of windowed ops (convolution, pooling), as TFLite computes it (their output sizes are
checked by graph/window_checks.py)."""

from __future__ import annotations


def leading_padding(stride: int, dilation: int, in_size: int, filter_size: int, out_size: int) -> int:
    """Padding before the first element (TFLite's ComputePaddingWithOffset). When the total is odd the
    extra element goes after the last one, which kernels get for free by bounds checks."""
    effective_filter = (filter_size - 1) * dilation + 1
    total = max(0, (out_size - 1) * stride + effective_filter - in_size)
    return total // 2
