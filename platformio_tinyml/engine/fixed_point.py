"""TFLite's fixed-point steps on Python ints, each wrapped to int32 where the C code wraps: what the
build precomputes must equal what the kernels compute at run time, bit for bit."""

from __future__ import annotations

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def wrap_int32(value: int) -> int:
    return (value + (1 << 31)) % (1 << 32) - (1 << 31)


def doubling_high_mul(a: int, b: int) -> int:
    """(a * b * 2) / 2^32 with the reference's nudge, truncated toward zero; saturating."""
    if a == b == INT32_MIN:
        return INT32_MAX
    nudge = (1 << 30) if (a < 0) == (b < 0) else 1 - (1 << 30)
    total = a * b + nudge
    quotient = abs(total) >> 31
    return wrap_int32(quotient if total >= 0 else -quotient)


def divide_by_pot(x: int, exponent: int) -> int:
    """x / 2^exponent rounded to nearest, ties away from zero (exponent 0..31)."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    result = x >> exponent
    threshold = (mask >> 1) + (1 if result < 0 else 0)
    return result + (1 if remainder > threshold else 0)


def requantize_below_one(x: int, multiplier: int, shift: int) -> int:
    """TFLite's MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0)."""
    return divide_by_pot(doubling_high_mul(x, multiplier), -shift)
