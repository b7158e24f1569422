"""Quantization parameters every kernel can compute with: finite positive scales small enough that
products of two stay finite in float32, zero points inside the tensor type's range, and per-channel
arrays as long as the dimension they run along.

quantization_problems(tensor) returns what is wrong, without saying where; verify.py says where.
"""

from __future__ import annotations

import math

from .model import Tensor

# sqrt(FLT_MAX) ~ 1.8e19: kernels multiply two scales in float32 (input * filter), so each must
# stay below it for the product to be finite.
MAX_SCALE = 2.0 ** 64

# The zero points each integer type can hold; TFLite Micro keeps them as int32.
ZERO_POINT_RANGES = {
    "int4": (-8, 7), "int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
    "uint16": (0, 65535), "int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 31), (1 << 31) - 1),
}


def quantization_problems(tensor: Tensor) -> list[str]:
    """What is wrong with an integer tensor's quantization (float tensors' is never used)."""
    quant = tensor.quantization
    if quant is None or tensor.dtype not in ZERO_POINT_RANGES:
        return []
    scales = len(quant.scale)
    if len(quant.zero_point) != scales:
        return [f"has {scales} quantization scales but {len(quant.zero_point)} zero points"]
    problems = [_scale_problem(n, s) for n, s in enumerate(quant.scale) if not _usable_scale(s)][:1]
    low, high = ZERO_POINT_RANGES[tensor.dtype]
    problems += [f"has zero point {zp} (number {n}), outside the {tensor.dtype} range [{low}, {high}]"
                 for n, zp in enumerate(quant.zero_point) if not low <= zp <= high][:1]
    if scales > 1:
        problems += _per_channel_problems(tensor, scales, quant.quantized_dimension)
    return problems


def _usable_scale(scale: float) -> bool:
    return math.isfinite(scale) and 0.0 < scale <= MAX_SCALE


def _scale_problem(number: int, scale: float) -> str:
    return (f"has quantization scale {scale!r} (number {number}); scales must be finite, positive "
            f"and at most 2^64 (about 1.8e19)")


def per_channel_axis(tensor: Tensor) -> int:
    """The dimension a per-channel tensor's scales run along. Older converters write a 1-D bias with
    the filter's quantized_dimension (3 for a depthwise bias); TFLite Micro reads such a bias along
    its only dimension, and so does this."""
    axis = tensor.quantization.quantized_dimension
    if len(tensor.shape) == 1 and not 0 <= axis < 1 and tensor.shape[0] == len(tensor.quantization.scale):
        return 0
    return axis


def _per_channel_problems(tensor: Tensor, scales: int, declared_axis: int) -> list[str]:
    axis = per_channel_axis(tensor)
    if not 0 <= axis < len(tensor.shape):
        return [f"is quantized per channel along dimension {declared_axis} but its shape "
                f"{list(tensor.shape)} has no such dimension"]
    if tensor.shape[axis] != scales:
        return [f"has {scales} quantization scales but its dimension {axis} has "
                f"{tensor.shape[axis]} channels"]
    return []
