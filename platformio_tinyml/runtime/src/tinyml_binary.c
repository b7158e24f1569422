/* ADD, SUB, MUL and SQUARED_DIFFERENCE on int8 with broadcasting (and MAXIMUM, MINIMUM, PRELU, DIV,
 * the comparisons, SELECT_V2 and the logical ops), as TFLite Micro's reference integer kernels
 * compute each element. On Helium cores an innermost run whose inputs are contiguous or broadcast
 * (stride 1 or 0) is computed four elements a vector, with CMSIS-NN's vector forms of the same
 * fixed-point steps (TFLite Micro's double rounding). */
#include "arm_nnsupportfunctions.h"
#include "tinyml_elements.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define HELIUM 1

static inline int32x4_t requantize_below_one4(int32x4_t x, int32_t multiplier, int32_t shift)
{
    return arm_divide_by_power_of_two_mve(arm_doubling_high_mult_mve(x, multiplier), -shift);
}

/* tinyml_binary_element() on four elements. */
static inline int32x4_t combine4(const tinyml_binary_params *p, int32x4_t x1, int32x4_t x2)
{
    const int32x4_t a = vaddq_n_s32(x1, p->input1_offset);
    const int32x4_t b = vaddq_n_s32(x2, p->input2_offset);
    int32x4_t result;
    if (p->op == TINYML_BINARY_MUL) {
        result = arm_requantize_mve(vmulq_s32(a, b), p->output_multiplier, p->output_shift);
    } else {
        const int32x4_t left = vdupq_n_s32(p->left_shift);
        const int32x4_t scaled1 = requantize_below_one4(vshlq_s32(a, left), p->input1_multiplier, p->input1_shift);
        const int32x4_t scaled2 = requantize_below_one4(vshlq_s32(b, left), p->input2_multiplier, p->input2_shift);
        if (p->op == TINYML_BINARY_ADD) {
            result = requantize_below_one4(vaddq_s32(scaled1, scaled2), p->output_multiplier, p->output_shift);
        } else if (p->op == TINYML_BINARY_SUB) {
            result = requantize_below_one4(vsubq_s32(scaled1, scaled2), p->output_multiplier, p->output_shift);
        } else {
            const int32x4_t difference = vsubq_s32(scaled1, scaled2);
            result = arm_requantize_mve(vmulq_s32(difference, difference), p->output_multiplier, p->output_shift);
        }
    }
    result = vaddq_n_s32(result, p->output_offset);
    return vminq_s32(vmaxq_s32(result, vdupq_n_s32(p->activation_min)), vdupq_n_s32(p->activation_max));
}

/* One innermost run of `count` outputs; each input's elements are `stride` (0 or 1) apart. */
static void run4(const tinyml_binary_params *p, const int8_t *a, int32_t stride1, const int8_t *b, int32_t stride2,
                 int8_t *output, int32_t count)
{
    const int32x4_t a_value = vdupq_n_s32(a[0]), b_value = vdupq_n_s32(b[0]);
    for (int32_t i = 0; i < count; i += 4) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(count - i));
        const int32x4_t x1 = stride1 ? vldrbq_z_s32(a + i, lanes) : a_value;
        const int32x4_t x2 = stride2 ? vldrbq_z_s32(b + i, lanes) : b_value;
        vstrbq_p_s32(output + i, combine4(p, x1, x2), lanes);
    }
}
#endif

/* One innermost run, element by element. The parameters are copied first: the int8 stores may
 * alias anything, so read through the pointer they would be loaded again for every element. */
static void run1(const tinyml_binary_params *params, const int8_t *a, int32_t stride1, const int8_t *b,
                 int32_t stride2, int8_t *output, int32_t count)
{
    const tinyml_binary_params p = *params;
    for (int32_t i = 0; i < count; i++) {
        output[i] = (int8_t)tinyml_binary_element(&p, a[i * stride1], b[i * stride2]);
    }
}

int32_t tinyml_binary_s8(const tinyml_binary_params *params, const tinyml_broadcast_dims *dims,
                         const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t rank = dims->rank;
    if (rank < 1 || rank > TINYML_KERNEL_MAX_RANK || params->op < TINYML_BINARY_ADD ||
        params->op > TINYML_BINARY_SQUARED_DIFFERENCE) {
        return TINYML_KERNEL_ERROR;
    }
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    const int32_t inner = dims->dims[rank - 1];
    const int32_t stride1 = dims->input1_strides[rank - 1];
    const int32_t stride2 = dims->input2_strides[rank - 1];
    int32_t offset1 = 0, offset2 = 0;
    for (;;) {
        const int8_t *a = input1 + offset1;
        const int8_t *b = input2 + offset2;
#ifdef HELIUM
        if ((stride1 == 0 || stride1 == 1) && (stride2 == 0 || stride2 == 1)) {
            run4(params, a, stride1, b, stride2, output, inner);
            output += inner;
        } else
#endif
        {
            run1(params, a, stride1, b, stride2, output, inner);
            output += inner;
        }
        /* advance the outer dims like an odometer */
        int32_t d = rank - 2;
        for (; d >= 0; d--) {
            offset1 += dims->input1_strides[d];
            offset2 += dims->input2_strides[d];
            if (++index[d] < dims->dims[d]) {
                break;
            }
            offset1 -= dims->input1_strides[d] * dims->dims[d];
            offset2 -= dims->input2_strides[d] * dims->dims[d];
            index[d] = 0;
        }
        if (d < 0) {
            return TINYML_KERNEL_OK;
        }
    }
}

int32_t tinyml_binary_s16(const tinyml_binary_params *params, const tinyml_broadcast_dims *dims,
                          const int16_t *input1, const int16_t *input2, int16_t *output)
{
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    tinyml_broadcast_walk run;
    if (!tinyml_broadcast_start(dims, &run) || params->op < TINYML_BINARY_ADD ||
        params->op > TINYML_BINARY_SQUARED_DIFFERENCE) {
        return TINYML_KERNEL_ERROR;
    }
    const tinyml_binary_params p = *params; /* copied: the stores may alias it */
    do {
        const int16_t *a = input1 + run.offset1, *b = input2 + run.offset2;
        for (int32_t i = 0; i < run.inner; i++) {
            *output++ = (int16_t)tinyml_binary_element(&p, a[i * run.stride1], b[i * run.stride2]);
        }
    } while (tinyml_broadcast_next(dims, index, &run));
    return TINYML_KERNEL_OK;
}

int32_t tinyml_add_constant_s8(const tinyml_binary_params *params, const int8_t *input,
                               const int32_t *scaled_constant, int32_t period, int32_t size, int8_t *output)
{
    if (period < 1 || size % period != 0) {
        return TINYML_KERNEL_ERROR;
    }
    const tinyml_binary_params p = *params; /* copied: the int8 stores may alias it */
    for (int32_t start = 0; start < size; start += period) {
        for (int32_t i = start, j = 0; j < period; i++, j++) {
            const int32_t scaled = tinyml_requantize_below_one((input[i] + p.input1_offset) * (1 << p.left_shift),
                                                               p.input1_multiplier, p.input1_shift);
            const int32_t sum = tinyml_requantize_below_one(scaled + scaled_constant[j], p.output_multiplier,
                                                            p.output_shift);
            output[i] = (int8_t)tinyml_clamp(sum + p.output_offset, p.activation_min, p.activation_max);
        }
    }
    return TINYML_KERNEL_OK;
}

/* MAXIMUM (maximum = 1) or MINIMUM (0) on the raw values, one function per element type. */
#define EXTREMUM(name, type)                                                                                    \
    int32_t name(const tinyml_broadcast_dims *dims, const type *input1, const type *input2, type *output,        \
                 int32_t maximum)                                                                              \
    {                                                                                                          \
        int32_t index[TINYML_KERNEL_MAX_RANK] = {0};                                                           \
        tinyml_broadcast_walk run;                                                                             \
        if (!tinyml_broadcast_start(dims, &run)) {                                                             \
            return TINYML_KERNEL_ERROR;                                                                        \
        }                                                                                                      \
        do {                                                                                                   \
            const type *a = input1 + run.offset1, *b = input2 + run.offset2;                                   \
            for (int32_t i = 0; i < run.inner; i++) {                                                          \
                const type x1 = a[i * run.stride1], x2 = b[i * run.stride2];                                   \
                *output++ = (maximum ? x1 > x2 : x1 < x2) ? x1 : x2;                                           \
            }                                                                                                  \
        } while (tinyml_broadcast_next(dims, index, &run));                                                    \
        return TINYML_KERNEL_OK;                                                                               \
    }

EXTREMUM(tinyml_extremum_s8, int8_t)
EXTREMUM(tinyml_extremum_s16, int16_t)

int32_t tinyml_prelu_s8(const tinyml_prelu_params *params, const tinyml_broadcast_dims *dims, const int8_t *input1,
                        const int8_t *input2, int8_t *output)
{
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    tinyml_broadcast_walk run;
    if (!tinyml_broadcast_start(dims, &run)) {
        return TINYML_KERNEL_ERROR;
    }
    do {
        const int8_t *x = input1 + run.offset1, *alphas = input2 + run.offset2;
        for (int32_t i = 0; i < run.inner; i++) {
            const int32_t value = x[i * run.stride1] + params->input_offset;
            const int32_t alpha = alphas[i * run.stride2] + params->alpha_offset;
            const int32_t scaled = value >= 0
                ? tinyml_requantize(value, params->multiplier_positive, params->shift_positive)
                : tinyml_requantize(value * alpha, params->multiplier_negative, params->shift_negative);
            *output++ = (int8_t)tinyml_clamp(scaled + params->output_offset, -128, 127);
        }
    } while (tinyml_broadcast_next(dims, index, &run));
    return TINYML_KERNEL_OK;
}

/* One int8 quotient before the output offset, TFLite's DivElementwise step by step. */
TINYML_ELEMENT int32_t div_element(const tinyml_div_params *params, int32_t numerator, int32_t divisor)
{
    if (divisor < 0) { /* the reciprocal must be positive to serve as a multiplier */
        numerator = -numerator;
        divisor = -divisor;
    }
    const int32_t headroom_plus_one = __builtin_clz((uint32_t)divisor);
    const int32_t reciprocal_shift = 31 - headroom_plus_one;
    const int32_t reciprocal =
        arm_nn_one_over_one_plus_x_for_x_in_0_1((int32_t)(((uint32_t)divisor << headroom_plus_one) - (1u << 31)));
    const int32_t headroom = numerator ? __builtin_clrsb(numerator) : 31;
    const int32_t quotient = tinyml_doubling_high_mul((int32_t)((uint32_t)numerator << headroom), reciprocal);
    const int32_t right_shift = reciprocal_shift + headroom - params->output_shift;
    if (right_shift > 31) {
        return 0;
    }
    return tinyml_divide_by_pot(tinyml_doubling_high_mul(quotient, params->output_multiplier), right_shift);
}

int32_t tinyml_div_s8(const tinyml_div_params *params, const tinyml_broadcast_dims *dims, const int8_t *input1,
                      const int8_t *input2, int8_t *output)
{
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    tinyml_broadcast_walk run;
    if (!tinyml_broadcast_start(dims, &run)) {
        return TINYML_KERNEL_ERROR;
    }
    do {
        const int8_t *a = input1 + run.offset1, *b = input2 + run.offset2;
        for (int32_t i = 0; i < run.inner; i++) {
            const int32_t divisor = b[i * run.stride2] + params->input2_offset;
            if (divisor == 0) {
                return TINYML_KERNEL_ERROR;
            }
            const int32_t quotient = div_element(params, a[i * run.stride1] + params->input1_offset, divisor);
            *output++ = (int8_t)tinyml_clamp(quotient + params->output_offset, params->activation_min,
                                             params->activation_max);
        }
    } while (tinyml_broadcast_next(dims, index, &run));
    return TINYML_KERNEL_OK;
}

/* One comparison of two requantized values; inlined with the kind constant for each loop below. */
TINYML_ELEMENT int compare(int32_t comparison, int32_t a, int32_t b)
{
    switch (comparison) {
    case TINYML_COMPARE_EQUAL:
        return a == b;
    case TINYML_COMPARE_NOT_EQUAL:
        return a != b;
    case TINYML_COMPARE_GREATER:
        return a > b;
    case TINYML_COMPARE_GREATER_EQUAL:
        return a >= b;
    case TINYML_COMPARE_LESS:
        return a < b;
    default:
        return a <= b;
    }
}

TINYML_ELEMENT int32_t compare_scaled(int32_t value, int32_t offset, int32_t multiplier, int32_t shift)
{
    return tinyml_requantize_below_one((value + offset) * (1 << 8), multiplier, shift);
}

int32_t tinyml_compare_s8(const tinyml_compare_params *params, const tinyml_broadcast_dims *dims, const int8_t *input1,
                          const int8_t *input2, uint8_t *output)
{
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    tinyml_broadcast_walk run;
    if (!tinyml_broadcast_start(dims, &run) || params->comparison < TINYML_COMPARE_EQUAL ||
        params->comparison > TINYML_COMPARE_LESS_EQUAL) {
        return TINYML_KERNEL_ERROR;
    }
    do {
        const int8_t *a = input1 + run.offset1, *b = input2 + run.offset2;
        for (int32_t i = 0; i < run.inner; i++) {
            const int32_t x1 = compare_scaled(a[i * run.stride1], params->input1_offset, params->input1_multiplier,
                                              params->input1_shift);
            const int32_t x2 = compare_scaled(b[i * run.stride2], params->input2_offset, params->input2_multiplier,
                                              params->input2_shift);
            *output++ = (uint8_t)compare(params->comparison, x1, x2);
        }
    } while (tinyml_broadcast_next(dims, index, &run));
    return TINYML_KERNEL_OK;
}

int32_t tinyml_select_s8(const tinyml_broadcast_dims *dims, const uint8_t *input1, const int8_t *input2,
                         int8_t *output)
{
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    tinyml_broadcast_walk run;
    if (!tinyml_broadcast_start(dims, &run)) {
        return TINYML_KERNEL_ERROR;
    }
    do {
        const uint8_t *condition = input1 + run.offset1;
        const int8_t *chosen = input2 + run.offset2;
        for (int32_t i = 0; i < run.inner; i++, output++) {
            if (condition[i * run.stride1]) {
                *output = chosen[i * run.stride2];
            }
        }
    } while (tinyml_broadcast_next(dims, index, &run));
    return TINYML_KERNEL_OK;
}

int32_t tinyml_logical_b8(const tinyml_broadcast_dims *dims, const uint8_t *input1, const uint8_t *input2,
                          uint8_t *output, int32_t operation)
{
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    tinyml_broadcast_walk run;
    if (!tinyml_broadcast_start(dims, &run) || operation < TINYML_LOGICAL_AND || operation > TINYML_LOGICAL_NOT) {
        return TINYML_KERNEL_ERROR;
    }
    do {
        const uint8_t *a = input1 + run.offset1, *b = input2 + run.offset2;
        for (int32_t i = 0; i < run.inner; i++) {
            const int x1 = a[i * run.stride1] != 0, x2 = b[i * run.stride2] != 0;
            *output++ = (uint8_t)(operation == TINYML_LOGICAL_AND  ? x1 && x2
                                  : operation == TINYML_LOGICAL_OR ? x1 || x2
                                                                   : !x1);
        }
    } while (tinyml_broadcast_next(dims, index, &run));
    return TINYML_KERNEL_OK;
}
