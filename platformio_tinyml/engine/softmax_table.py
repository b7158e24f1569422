"""The exponentials of an int8 SOFTMAX, computed at build time: for each of the 256 differences an
input can have from its row's maximum, the Q0.31 value of exp(beta * scale * difference) that the
integer softmax of CMSIS-NN and TFLite Micro computes for it at run time (the input rescaled by the
op's multiplier and shift, then gemmlowp's exp_on_negative_values); 0 where the difference is below
diff_min, which the kernels leave out of the sum and map to the lowest output as a 0 does.

Plain integer arithmetic on Python ints, each step wrapped to int32 where the C code wraps."""

from __future__ import annotations

from .fixed_point import INT32_MAX, doubling_high_mul, divide_by_pot, wrap_int32

TABLE_SIZE = 256  # differences 0, -1, ... -255


# exp(-1/4) in Q0.31, and exp(-2^k / 4) for k = 0..6, which the reference multiplies in by bit.
_EXP_MINUS_QUARTER = 1895147668
_BIT_FACTORS = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_on_negative_values(value: int) -> int:
    """exp(value / 2^26) in Q0.31 for value <= 0 (Q5.26), as gemmlowp computes it: exp on
    [-1/4, 0) by a Taylor polynomial, times a factor per set bit of the rest."""
    quarter = 1 << 24
    mod_minus_quarter = (value & (quarter - 1)) - quarter
    remainder = mod_minus_quarter - value
    x = wrap_int32((mod_minus_quarter << 5) + (1 << 28))
    x2 = doubling_high_mul(x, x)
    x3 = doubling_high_mul(x2, x)
    x4_over_4 = divide_by_pot(doubling_high_mul(x2, x2), 2)
    terms_over_3 = doubling_high_mul(wrap_int32(x4_over_4 + x3), 715827883)  # 715827883: 1/3 in Q0.31
    polynomial = wrap_int32(x + divide_by_pot(wrap_int32(terms_over_3 + x2), 1))
    result = wrap_int32(_EXP_MINUS_QUARTER + doubling_high_mul(_EXP_MINUS_QUARTER, polynomial))
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
            scaled = doubling_high_mul(wrap_int32(difference * (1 << left_shift)), multiplier)
            table.append(exp_on_negative_values(scaled))
    return tuple(table)
