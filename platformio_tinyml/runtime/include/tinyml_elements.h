/* One output element of the runtime's elementwise and reduce kernels, as TFLite Micro's reference
 * integer kernels compute it. Shared by tinyml_binary.c, tinyml_reduce.c and tinyml_lut.c and by
 * the row loops the engine generates for fused groups (LayerNorm's chain), which keep each op's
 * values in registers instead of tensors. Internal to the runtime. */
#ifndef TINYML_ELEMENTS_H
#define TINYML_ELEMENTS_H

#include "tinyml_fixed_point.h"
#include "tinyml_kernels.h"

/* Always inlined: with the op's params a static const, the compiler then folds the op's branches
 * and constants into the loop (GCC would otherwise call a function per element). */
#if defined(__GNUC__)
#define TINYML_ELEMENT static inline __attribute__((always_inline))
#else
#define TINYML_ELEMENT static inline
#endif

/* The broadcast odometer over all but the innermost dim: moves both inputs' offsets to the next
 * innermost run; 0 when every run is done. `index` starts all zeros. */
TINYML_ELEMENT int tinyml_broadcast_next_run(const tinyml_broadcast_dims *dims, int32_t *index, int32_t *offset1,
                                             int32_t *offset2)
{
    for (int32_t d = dims->rank - 2; d >= 0; d--) {
        *offset1 += dims->input1_strides[d];
        *offset2 += dims->input2_strides[d];
        if (++index[d] < dims->dims[d]) {
            return 1;
        }
        *offset1 -= dims->input1_strides[d] * dims->dims[d];
        *offset2 -= dims->input2_strides[d] * dims->dims[d];
        index[d] = 0;
    }
    return 0;
}

/* A walk over a broadcast's innermost runs, for kernels with one plain loop per run: each run is
 * `inner` elements of input1 + offset1 (stride1 apart) against input2 + offset2 (stride2 apart).
 * The odometer's index lives beside it, so that the compiler keeps these in registers (an int8
 * store could otherwise alias them). */
typedef struct {
    int32_t offset1, offset2, inner, stride1, stride2;
} tinyml_broadcast_walk;

/* The first run; 0 for dims no kernel takes. `index` starts all zeros. */
TINYML_ELEMENT int tinyml_broadcast_start(const tinyml_broadcast_dims *dims, tinyml_broadcast_walk *walk)
{
    const int32_t rank = dims->rank;
    if (rank < 1 || rank > TINYML_KERNEL_MAX_RANK) {
        return 0;
    }
    walk->offset1 = walk->offset2 = 0;
    walk->inner = dims->dims[rank - 1];
    walk->stride1 = dims->input1_strides[rank - 1];
    walk->stride2 = dims->input2_strides[rank - 1];
    return 1;
}

/* The next run; 0 when every run is done. */
TINYML_ELEMENT int tinyml_broadcast_next(const tinyml_broadcast_dims *dims, int32_t *index, tinyml_broadcast_walk *walk)
{
    return tinyml_broadcast_next_run(dims, index, &walk->offset1, &walk->offset2);
}

/* ADD, SUB, MUL or SQUARED_DIFFERENCE of two raw int8 values (x1, x2), clamped to the activation. */
TINYML_ELEMENT int32_t tinyml_binary_element(const tinyml_binary_params *p, int32_t x1, int32_t x2)
{
    const int32_t a = x1 + p->input1_offset;
    const int32_t b = x2 + p->input2_offset;
    int32_t result;
    if (p->op == TINYML_BINARY_MUL) {
        result = tinyml_requantize(a * b, p->output_multiplier, p->output_shift);
    } else {
        const int32_t scaled1 =
            tinyml_requantize_below_one(a * (1 << p->left_shift), p->input1_multiplier, p->input1_shift);
        const int32_t scaled2 =
            tinyml_requantize_below_one(b * (1 << p->left_shift), p->input2_multiplier, p->input2_shift);
        if (p->op == TINYML_BINARY_ADD) {
            result = tinyml_requantize_below_one(scaled1 + scaled2, p->output_multiplier, p->output_shift);
        } else if (p->op == TINYML_BINARY_SUB) {
            result = tinyml_requantize_below_one(scaled1 - scaled2, p->output_multiplier, p->output_shift);
        } else {
            const int32_t difference = scaled1 - scaled2;
            result = tinyml_requantize(difference * difference, p->output_multiplier, p->output_shift);
        }
    }
    return tinyml_clamp(result + p->output_offset, p->activation_min, p->activation_max);
}

/* MEAN or SUM from the int32 sum of the raw int8 values reduced into one output. */
TINYML_ELEMENT int32_t tinyml_reduce_value(const tinyml_reduce_params *p, int32_t sum)
{
    const int32_t shifted = sum - p->input_zero_point * p->count;
    return tinyml_requantize(shifted, p->multiplier, p->shift) + p->output_zero_point;
}

TINYML_ELEMENT int32_t tinyml_reduce_finish(const tinyml_reduce_params *p, int32_t sum)
{
    return tinyml_clamp(tinyml_reduce_value(p, sum), -128, 127);
}

/* Whether a table's op refuses the int8 input `value` (RSQRT of a non-positive value): bit
 * (value + 128) of the 32-byte set. */
TINYML_ELEMENT int tinyml_table_refuses(const uint8_t *invalid, int32_t value)
{
    const uint32_t index = (uint32_t)(value + 128);
    return (invalid[index >> 3] & (1u << (index & 7u))) != 0;
}

#if defined(__ARM_FEATURE_SIMD32) && !(defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1))
#include <arm_acle.h>
#include <string.h>
#define TINYML_SIMD32 1

/* Four int8 values as two int16 pairs, bytes 0 and 2 then 1 and 3 (SXTB16, then ROR and SXTB16),
 * which SMLAD multiplies pairwise. */
TINYML_ELEMENT int32_t tinyml_ror8(int32_t word)
{
    return (int32_t)(((uint32_t)word >> 8) | ((uint32_t)word << 24));
}

TINYML_ELEMENT int32_t tinyml_bytes13(int32_t word)
{
#if defined(__GNUC__)
    int32_t pairs; /* one SXTB16 with its rotation, which GCC does not combine by itself */
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(pairs) : "r"(word));
    return pairs;
#else
    return __sxtb16(tinyml_ror8(word));
#endif
}

TINYML_ELEMENT int32_t tinyml_load4(const int8_t *bytes)
{
    int32_t word;
    memcpy(&word, bytes, sizeof word); /* an unaligned word load */
    return word;
}
#endif

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>

/* The second half of TFLite's requantization for right shifts only (exponent e >= 0; `exponent`
 * holds -e per lane), after the rounding doubling high multiply (VQRDMULH, by a vector or a scalar):
 * the division by 2^e rounding half away from zero, where VRSHL rounds half up, so negative values
 * take one off first. For tinyml_depthwise.c and tinyml_pointwise.c; CMSIS-NN's
 * arm_requantize_mve_32x4 also takes left shifts, at more cost. */
TINYML_ELEMENT int32x4_t tinyml_divide_by_pot_mve(int32x4_t product, int32x4_t exponent)
{
    return vrshlq_s32(vqaddq_s32(product, vshrq_n_s32(vandq_s32(product, exponent), 31)), exponent);
}
#endif

#endif /* TINYML_ELEMENTS_H */
