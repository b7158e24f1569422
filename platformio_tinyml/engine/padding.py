"""Output sizes and padding of windowed ops (convolution, pooling), as TFLite computes them."""

from __future__ import annotations


def output_size(padding: str, in_size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    """TFLite's ComputeOutSize for 'SAME' or 'VALID' padding."""
    effective_filter = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return (in_size + stride - effective_filter) // stride
    raise ValueError(f"padding {padding!r} is neither SAME nor VALID")


def leading_padding(stride: int, dilation: int, in_size: int, filter_size: int, out_size: int) -> int:
    """Padding before the first element (TFLite's ComputePaddingWithOffset). When the total is odd the
    extra element goes after the last one, which kernels get for free by bounds checks."""
    effective_filter = (filter_size - 1) * dilation + 1
    total = max(0, (out_size - 1) * stride + effective_filter - in_size)
    return total // 2
