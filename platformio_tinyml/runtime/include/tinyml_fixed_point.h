/* Fixed-point arithmetic of TFLite Micro's reference kernels (its default double-rounding build),
 * shared by the kernels in tinyml_*.c. Internal to the runtime. */
#ifndef TINYML_FIXED_POINT_H
#define TINYML_FIXED_POINT_H

#include <stdint.h>

/* (a * b * 2) / 2^32, rounded as TFLite's SaturatingRoundingDoublingHighMul; saturates the one
 * overflowing case. TFLite adds a nudge of 2^30 (1 - 2^30 below zero) and divides by 2^31 toward
 * zero: for every product p that is floor((p + 2^30) / 2^31), one add and an arithmetic shift. */
static inline int32_t tinyml_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + (1LL << 30)) >> 31);
}

/* x / 2^exponent, rounded to nearest with ties away from zero. */
static inline int32_t tinyml_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^(shift - 31): a left shift first (shift > 0), then the high multiply, then a
 * rounding right shift (shift < 0). The left shift wraps as TFLite's int32 arithmetic does. */
static inline int32_t tinyml_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return tinyml_divide_by_pot(tinyml_doubling_high_mul(shifted, multiplier), right);
}

/* The same for multipliers below one (shift <= 0): high multiply, then rounding right shift. */
static inline int32_t tinyml_requantize_below_one(int32_t x, int32_t multiplier, int32_t shift)
{
    return tinyml_divide_by_pot(tinyml_doubling_high_mul(x, multiplier), -shift);
}

/* TFLite's MultiplyByQuantizedMultiplier for an int64 sum (int16 kernels): the multiplier rounded to
 * 15 bits, then one rounding shift. */
static inline int32_t tinyml_requantize_s64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int32_t total_shift = 15 - shift;
    return (int32_t)((x * reduced + ((int64_t)1 << (total_shift - 1))) >> total_shift);
}

/* 1 / sqrt(x) as TFLite's GetInvSqrtQuantizedMultiplierExp with a reverse shift (-1): a multiplier
 * and shift for tinyml_requantize() (tinyml_reduce.c; L2_NORMALIZATION and int16 RSQRT). */
void tinyml_inverse_sqrt(int32_t x, int32_t *multiplier, int32_t *shift);

static inline int32_t tinyml_clamp(int32_t x, int32_t low, int32_t high)
{
    return x < low ? low : (x > high ? high : x);
}

#endif /* TINYML_FIXED_POINT_H */
