"""Fixed-point quantization parameters, computed exactly as TFLite / TFLite Micro compute them.

TFLite does this maths in C `double` (and some products in `float`) when a kernel is prepared;
Python floats are IEEE doubles and numpy.float32 gives the float steps, so the integers below are
the ones TFLite Micro hands to its kernels, bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
# The largest left shift a requantization may ask of the kernels: CMSIS-NN shifts an int32 left by
# it (1 << 31 is undefined in C), and a real multiplier of 2^30 or more means broken scales anyway.
MAX_LEFT_SHIFT = 30
# Softmax on int8: the scaled input differences are Q5.26 (TFLite's kScaledDiffIntegerBits).
SOFTMAX_DIFF_INTEGER_BITS = 5
# Elementwise ADD on int8 first shifts inputs left by this many bits (TFLite's left_shift).
ADD_INPUT_LEFT_SHIFT = 20
INT16_ADD_LEFT_SHIFT = 15  # TFLite Micro's add and sub Prepare for int16 outputs


class QuantizationError(ValueError):
    """Scales that give no usable fixed-point parameters (zero, negative, not finite, or a
    multiplier too large to apply); the lowering reports it against the op."""


def tflite_round(value: float) -> float:
    """C's round(): halves away from zero (Python's round() would go to even)."""
    if not math.isfinite(value):
        raise QuantizationError(f"{value!r} cannot be rounded to an integer")
    return math.copysign(math.floor(abs(value) + 0.5), value)


def usable_scale(scale: float) -> bool:
    """Finite and positive, as every kernel's maths needs."""
    return math.isfinite(scale) and scale > 0.0


def positive_scales(*scales: float) -> tuple[float, ...]:
    """The scales as float32 values, each usable_scale()."""
    values = tuple(float(np.float32(scale)) for scale in scales)
    for value in values:
        if not usable_scale(value):
            raise QuantizationError(f"quantization scale {value!r} is not finite and positive")
    return values


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """real_multiplier ~= multiplier * 2**(shift - 31), multiplier a Q0.31 int32 in [2**30, 2**31).

    Returns (multiplier, shift); shift > 0 is a left shift. Tiny multipliers flush to (0, 0)."""
    if not (math.isfinite(real_multiplier) and real_multiplier >= 0.0):
        raise QuantizationError(f"multiplier {real_multiplier!r} is not finite and non-negative")
    if real_multiplier == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real_multiplier)
    fixed = int(tflite_round(fraction * (1 << 31)))
    if fixed == 1 << 31:  # the fraction rounded up to 1.0
        fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return fixed, shift


def kernel_multiplier(real_multiplier: float) -> tuple[int, int]:
    """quantize_multiplier() for a multiplier a kernel applies with a left shift of at most
    MAX_LEFT_SHIFT bits."""
    multiplier, shift = quantize_multiplier(real_multiplier)
    if shift > MAX_LEFT_SHIFT:
        raise QuantizationError(f"the requantization multiplier {real_multiplier:.6g} needs a left shift of "
                                f"{shift} bits; the kernels apply at most {MAX_LEFT_SHIFT} (are the scales right?)")
    return multiplier, shift


def quantize_multiplier_smaller_than_one(real_multiplier: float) -> tuple[int, int]:
    if not 0.0 < real_multiplier < 1.0:
        raise QuantizationError(f"multiplier {real_multiplier!r} must lie in (0, 1)")
    return quantize_multiplier(real_multiplier)


def quantize_multiplier_greater_than_one(real_multiplier: float) -> tuple[int, int]:
    if not real_multiplier > 1.0:
        raise QuantizationError(f"multiplier {real_multiplier!r} must be greater than 1")
    return quantize_multiplier(real_multiplier)


def per_channel_multipliers(input_scale: float, filter_scales: tuple[float, ...], output_scale: float,
                            channels: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(multipliers, shifts) per output channel of a convolution, as TFLite's
    PopulateConvolutionQuantizationParams: input_scale * filter_scale / output_scale in double.
    A single filter scale applies to every channel."""
    scales = filter_scales if len(filter_scales) > 1 else filter_scales * channels
    input_scale, output_scale = positive_scales(input_scale, output_scale)
    pairs = [kernel_multiplier(input_scale * scale / output_scale) for scale in positive_scales(*scales)]
    return tuple(m for m, _ in pairs), tuple(s for _, s in pairs)


def fully_connected_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """Per-tensor FULLY_CONNECTED: TFLite multiplies the two scales in float, then divides in double."""
    positive_scales(input_scale, filter_scale, output_scale)
    product = float(np.float32(input_scale) * np.float32(filter_scale))
    return kernel_multiplier(product / float(np.float32(output_scale)))


def checked_log2(scale: float) -> tuple[int, bool]:
    """TFLite's CheckedLog2, in float: log2 of the scale rounded, and whether the scale is a power of
    two (within 1e-3 of one)."""
    value = np.float32(np.log(np.float32(scale))) * (np.float32(1.0) / np.float32(np.log(np.float32(2.0))))
    rounded = np.round(value)
    return int(rounded), bool(abs(value - rounded) < np.float32(1e-3))


def quantize_value(real: float, scale: float, zero_point: int) -> int:
    """zero_point + round(real / scale), the division in float as TFLite's activation ranges do."""
    positive_scales(scale)
    return zero_point + int(tflite_round(float(np.float32(real) / np.float32(scale))))


def activation_range(activation: str, scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """Clamp bounds of an int8 (or int16) output for a fused activation (TFLite
    CalculateActivationRangeQuantized)."""
    bounds = {
        "NONE": (None, None),
        "RELU": (0.0, None),
        "RELU6": (0.0, 6.0),
        "RELU_N1_TO_1": (-1.0, 1.0),
    }
    if activation not in bounds:
        raise QuantizationError(f"fused activation {activation} is not supported on {dtype} outputs")
    low, high = bounds[activation]
    type_min, type_max = (INT8_MIN, INT8_MAX) if dtype == "int8" else (-(1 << 15), (1 << 15) - 1)
    act_min = type_min if low is None else max(type_min, quantize_value(low, scale, zero_point))
    act_max = type_max if high is None else min(type_max, quantize_value(high, scale, zero_point))
    return act_min, act_max


def softmax_input_scaling(beta: float, input_scale: float) -> tuple[int, int, int]:
    """(multiplier, left_shift, diff_min) for an int8 softmax, as TFLite's PreprocessSoftmaxScaling
    and CalculateInputRadius prepare them (the double-rounding build TFLite Micro uses)."""
    integer_bits = SOFTMAX_DIFF_INTEGER_BITS
    if not (math.isfinite(beta) and beta > 0.0):
        raise QuantizationError(f"softmax beta {beta!r} is not finite and positive")
    positive_scales(input_scale)
    real = min(float(np.float32(beta)) * float(np.float32(input_scale)) * (1 << (31 - integer_bits)),
               (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier_greater_than_one(real)
    radius = math.floor(((1 << integer_bits) - 1) * (1 << (31 - integer_bits)) / (1 << left_shift))
    return multiplier, left_shift, -radius


def add_scaling(input1_scale: float, input2_scale: float, output_scale: float,
                left_shift: int = ADD_INPUT_LEFT_SHIFT):
    """Multipliers of int8 ADD (TFLite's add Prepare): both inputs rescaled to twice the larger input
    scale after a left shift of 20 bits (15 for int16), then the sum rescaled to the output.

    Returns ((m1, s1), (m2, s2), (m_out, s_out))."""
    in1, in2, out = positive_scales(input1_scale, input2_scale, output_scale)
    twice_max = 2 * max(in1, in2)
    return (quantize_multiplier_smaller_than_one(in1 / twice_max),
            quantize_multiplier_smaller_than_one(in2 / twice_max),
            quantize_multiplier_smaller_than_one(twice_max / ((1 << left_shift) * out)))


def mul_scaling(input1_scale: float, input2_scale: float, output_scale: float) -> tuple[int, int]:
    """Multiplier of int8 MUL: input1_scale * input2_scale / output_scale in double."""
    in1, in2, out = positive_scales(input1_scale, input2_scale, output_scale)
    return kernel_multiplier(in1 * in2 / out)


SQUARED_DIFFERENCE_LEFT_SHIFT = 7  # TFLite's int8 SQUARED_DIFFERENCE: 255**2 << 14 fits in int32


def squared_difference_scaling(input1_scale: float, input2_scale: float, output_scale: float,
                               left_shift: int = SQUARED_DIFFERENCE_LEFT_SHIFT):
    """Multipliers of int8 SQUARED_DIFFERENCE (TFLite Micro's Prepare): inputs rescaled to twice
    the larger input scale after a left shift of 7 bits (0 for int16), the squared difference to the
    output.

    Returns ((m1, s1), (m2, s2), (m_out, s_out))."""
    in1, in2, out = positive_scales(input1_scale, input2_scale, output_scale)
    twice_max = 2.0 * max(in1, in2)
    # (1 << 14) * output_scale is a float product in TFLite; a power of two scales exactly.
    real_output = (twice_max * twice_max) / float(np.float32((1 << (2 * left_shift)) * out))
    return (quantize_multiplier_smaller_than_one(in1 / twice_max),
            quantize_multiplier_smaller_than_one(in2 / twice_max),
            kernel_multiplier(real_output))


def mean_multiplier(multiplier: int, shift: int, count: int) -> tuple[int, int]:
    """Folds 1 / count into a (multiplier, shift) pair as TFLite's integer MEAN does: the multiplier
    is scaled up by 2**k (k = floor(log2(count)), at most 32 and at most 31 + shift, so the shift
    stays >= -31) and divided by count in 64-bit integers, truncating."""
    k = min(count.bit_length() - 1, 32, 31 + shift)
    scaled = (multiplier << k) // count if k >= 0 else (multiplier >> -k) // count
    return int(scaled), shift - k
