"""The exponentials of an int8 SOFTMAX, computed at build time: for each of the 256 differences an
input can have from its row's maximum, the Q0.31 value of exp(beta * scale * difference) that the
integer softmax of CMSIS-NN and TFLite Micro computes for it at run time (the input rescaled by the
op's multiplier and shift, then gemmlowp's exp_on_negative_values); 0 where the difference is below
diff_min, which the kernels leave out of the sum and map to the lowest output as a 0 does.

Plain integer arithmetic on Python ints, each step wrapped to int32 where the C code wraps."""

from __future__ import annotations

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
TABLE_SIZE = 256  # differences 0, -1, ... -255


def _wrap(value: int) -> int:
    return (value + (1 << 31)) % (1 << 32) - (1 << 31)


def doubling_high_mul(a: int, b: int) -> int:
    """(a * b * 2) / 2^32 with the reference's nudge, truncated toward zero; saturating."""
    if a == b == INT32_MIN:
        return INT32_MAX
    nudge = (1 << 30) if (a < 0) == (b < 0) else 1 - (1 << 30)
    total = a * b + nudge
    quotient = abs(total) >> 31
    return _wrap(quotient if total >= 0 else -quotient)


def divide_by_pot(x: int, exponent: int) -> int:
    """x / 2^exponent rounded to nearest, ties away from zero (exponent 0..31)."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    result = x >> exponent
    threshold = (mask >> 1) + (1 if result < 0 else 0)
    return result + (1 if remainder > threshold else 0)


# exp(-1/4) in Q0.31, and exp(-2^k / 4) for k = 0..6, which the reference multiplies in by bit.
_EXP_MINUS_QUARTER = 1895147668
_BIT_FACTORS = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_on_negative_values(value: int) -> int:
    """exp(value / 2^26) in Q0.31 for value <= 0 (Q5.26), as gemmlowp computes it: exp on
    [-1/4, 0) by a Taylor polynomial, times a factor per set bit of the rest."""
    quarter = 1 << 24
    mod_minus_quarter = (value & (quarter - 1)) - quarter
    remainder = mod_minus_quarter - value
    x = _wrap((mod_minus_quarter << 5) + (1 << 28))
    x2 = doubling_high_mul(x, x)
    x3 = doubling_high_mul(x2, x)
    x4_over_4 = divide_by_pot(doubling_high_mul(x2, x2), 2)
    polynomial = _wrap(x + divide_by_pot(_wrap(doubling_high_mul(_wrap(x4_over_4 + x3), 715827883) + x2), 1))
    result = _wrap(_EXP_MINUS_QUARTER + doubling_high_mul(_EXP_MINUS_QUARTER, polynomial))
    for bit, factor in enumerate(_BIT_FACTORS, start=24):
        if remainder & (1 << bit):
            result = doubling_high_mul(result, factor)
    return INT32_MAX if value == 0 else result


def softmax_exp_table(multiplier: int, left_shift: int, diff_min: int) -> tuple[int, ...]:
    """[d] = the exponential of difference -d, for d = 0 .. 255 (see the module's docstring)."""
    table = []
    for distance in range(TABLE_SIZE):
        difference = -distance
        if difference < diff_min:
            table.append(0)
        else:
            table.append(exp_on_negative_values(doubling_high_mul(_wrap(difference * (1 << left_shift)), multiplier)))
    return tuple(table)
