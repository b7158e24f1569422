/* MEAN, SUM, REDUCE_MAX and REDUCE_MIN on int8 over any set of axes (and ARG_MAX, ARG_MIN, CUMSUM
 * along one axis, L2_NORMALIZATION along the last; ADD_N). MEAN and SUM as TFLite Micro's reference reduce
 * kernel computes them: an int32 sum of the raw int8 values per output, corrected by the input zero
 * point, requantized with a multiplier that (for MEAN) includes 1 / count. REDUCE_MAX and
 * REDUCE_MIN: the largest and smallest raw values (TFLite Micro requires the output quantized as
 * the input). Integers only. */
#include "arm_nnsupportfunctions.h"
#include "tinyml_elements.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#define HELIUM 1
#endif

/* `acc` folded with `count` values `stride` apart: their sum, or the largest or smallest of them and
 * acc; on Helium a contiguous run sixteen values a vector. Inlined into callers that pass a constant
 * `fold`, so that each fold gets a loop of its own. */
TINYML_ELEMENT int32_t fold_run(const int8_t *input, int32_t count, int32_t stride, int32_t fold, int32_t acc)
{
#ifdef HELIUM
    if (stride == 1) {
        for (int32_t i = 0; i < count; i += 16) {
            const mve_pred16_t lanes = vctp8q((uint32_t)(count - i));
            const int8x16_t values = vldrbq_z_s8(input + i, lanes);
            acc = fold == TINYML_REDUCE_MAX   ? vmaxvq_p_s8((int8_t)acc, values, lanes)
                  : fold == TINYML_REDUCE_MIN ? vminvq_p_s8((int8_t)acc, values, lanes)
                                              : vaddvaq_p_s8(acc, values, lanes);
        }
        return acc;
    }
#endif
    for (int32_t i = 0; i < count; i++) {
        const int32_t value = input[i * stride];
        acc = fold == TINYML_REDUCE_MAX   ? (value > acc ? value : acc)
              : fold == TINYML_REDUCE_MIN ? (value < acc ? value : acc)
                                          : acc + value;
    }
    return acc;
}

/* The fold over the reduced axes: runs along the innermost one, the others counted like an odometer. */
TINYML_ELEMENT int32_t fold_reduced(const tinyml_reduce_dims *dims, const int8_t *input, int32_t fold)
{
    const int32_t rank = dims->reduced_rank;
    if (rank == 0) {
        return input[0];
    }
    const int32_t run = dims->reduced_dims[rank - 1], stride = dims->reduced_strides[rank - 1];
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    int32_t offset = 0;
    int32_t acc = fold == TINYML_REDUCE_MAX ? -128 : fold == TINYML_REDUCE_MIN ? 127 : 0;
    for (;;) {
        acc = fold_run(input + offset, run, stride, fold, acc);
        int32_t d = rank - 2;
        for (; d >= 0; d--) {
            offset += dims->reduced_strides[d];
            if (++index[d] < dims->reduced_dims[d]) {
                break;
            }
            offset -= dims->reduced_strides[d] * dims->reduced_dims[d];
            index[d] = 0;
        }
        if (d < 0) {
            return acc;
        }
    }
}

/* The folds, each a function of its own: inlined into the output loop, they left it short of
 * registers (MEAN then took about five instructions more per output). */
static __attribute__((noinline)) int32_t sum_reduced(const tinyml_reduce_dims *dims, const int8_t *input)
{
    return fold_reduced(dims, input, TINYML_REDUCE_SUM);
}

static __attribute__((noinline)) int32_t max_reduced(const tinyml_reduce_dims *dims, const int8_t *input)
{
    return fold_reduced(dims, input, TINYML_REDUCE_MAX);
}

static __attribute__((noinline)) int32_t min_reduced(const tinyml_reduce_dims *dims, const int8_t *input)
{
    return fold_reduced(dims, input, TINYML_REDUCE_MIN);
}

/* Every output, the kept axes counted like an odometer. Inlined per constant `fold`, so that MEAN
 * and SUM do not test it per output: MEAN and SUM requantize the sum, REDUCE_MAX's and REDUCE_MIN's
 * outputs are quantized as their input. */
TINYML_ELEMENT void reduce_all(const tinyml_reduce_params *params, const tinyml_reduce_dims *dims,
                               const int8_t *input, int8_t *output, int32_t fold)
{
    const int32_t rank = dims->kept_rank;
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    int32_t offset = 0;
    for (;;) {
        const int8_t *reduced = input + offset;
        *output++ = fold == TINYML_REDUCE_MAX   ? (int8_t)max_reduced(dims, reduced)
                    : fold == TINYML_REDUCE_MIN ? (int8_t)min_reduced(dims, reduced)
                                                : (int8_t)tinyml_reduce_finish(params, sum_reduced(dims, reduced));
        int32_t d = rank - 1;
        for (; d >= 0; d--) {
            offset += dims->kept_strides[d];
            if (++index[d] < dims->kept_dims[d]) {
                break;
            }
            offset -= dims->kept_strides[d] * dims->kept_dims[d];
            index[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}

int32_t tinyml_reduce_s8(const tinyml_reduce_params *params, const tinyml_reduce_dims *dims,
                         const int8_t *input, int8_t *output)
{
    if (dims->kept_rank < 0 || dims->kept_rank > TINYML_KERNEL_MAX_RANK || dims->reduced_rank < 0 ||
        dims->reduced_rank > TINYML_KERNEL_MAX_RANK || params->count <= 0) {
        return TINYML_KERNEL_ERROR;
    }
    if (params->fold == TINYML_REDUCE_SUM) {
        reduce_all(params, dims, input, output, TINYML_REDUCE_SUM);
    } else if (params->fold == TINYML_REDUCE_MAX) {
        reduce_all(params, dims, input, output, TINYML_REDUCE_MAX);
    } else if (params->fold == TINYML_REDUCE_MIN) {
        reduce_all(params, dims, input, output, TINYML_REDUCE_MIN);
    } else {
        return TINYML_KERNEL_ERROR;
    }
    return TINYML_KERNEL_OK;
}

/* One step of an odometer over `rank` dims: `offset` moves to the next position; 0 once every
 * position was visited. */
static inline int odometer_next(int32_t rank, const int32_t *dims, const int32_t *strides, int32_t *index,
                                int32_t *offset)
{
    for (int32_t d = rank - 1; d >= 0; d--) {
        *offset += strides[d];
        if (++index[d] < dims[d]) {
            return 1;
        }
        *offset -= strides[d] * dims[d];
        index[d] = 0;
    }
    return 0;
}

int32_t tinyml_reduce_s16(const tinyml_reduce_params *params, const tinyml_reduce_dims *dims,
                          const int16_t *input, int16_t *output)
{
    if (dims->kept_rank < 0 || dims->kept_rank > TINYML_KERNEL_MAX_RANK || dims->reduced_rank < 0 ||
        dims->reduced_rank > TINYML_KERNEL_MAX_RANK || params->count <= 0 || params->fold != TINYML_REDUCE_SUM) {
        return TINYML_KERNEL_ERROR;
    }
    int32_t kept_index[TINYML_KERNEL_MAX_RANK] = {0}, kept = 0;
    do {
        int32_t reduced_index[TINYML_KERNEL_MAX_RANK] = {0}, reduced = 0, sum = 0;
        do {
            sum += input[kept + reduced];
        } while (odometer_next(dims->reduced_rank, dims->reduced_dims, dims->reduced_strides, reduced_index,
                               &reduced));
        *output++ = (int16_t)tinyml_clamp(tinyml_reduce_value(params, sum), INT16_MIN, INT16_MAX);
    } while (odometer_next(dims->kept_rank, dims->kept_dims, dims->kept_strides, kept_index, &kept));
    return TINYML_KERNEL_OK;
}

int32_t tinyml_arg_extremum_s8(const int8_t *input, int32_t *output, int32_t outer, int32_t axis_size,
                               int32_t inner, int32_t maximum)
{
    for (int32_t o = 0; o < outer; o++) {
        const int8_t *block = input + o * axis_size * inner;
        for (int32_t i = 0; i < inner; i++) {
            int32_t best = 0;
            int8_t value = block[i];
            for (int32_t a = 1; a < axis_size; a++) {
                const int8_t x = block[a * inner + i];
                if (maximum ? x > value : x < value) { /* strict: the first of equal values wins */
                    value = x;
                    best = a;
                }
            }
            *output++ = best;
        }
    }
    return TINYML_KERNEL_OK;
}

/* 1 / sqrt(x) for x > 1 as a multiplier and a left shift, as TFLite's GetInvSqrtQuantizedMultiplierExp
 * (reverse shift -1): x normalised into [2^27, 2^29) by pairs of bits, five Newton-Raphson steps in
 * gemmlowp's fixed point with 3 integer bits, then times sqrt(2) / 2. */
void tinyml_inverse_sqrt(int32_t x, int32_t *multiplier, int32_t *shift)
{
    if (x <= 1) { /* TFLite takes 0 (an all-zero row) as 1 */
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    int32_t right_shift = 11;
    while (x >= (1 << 29)) {
        x /= 4;
        right_shift++;
    }
    const int32_t pairs = (__builtin_clz((uint32_t)x) - 1) / 2 - 1;
    right_shift -= pairs;
    x <<= 2 * pairs;
    const int32_t half_x = arm_nn_divide_by_power_of_two(x >> 1, 1);
    const int32_t half_three = (1 << 28) + (1 << 27), one = 1 << 28;
    int32_t y = one;
    for (int32_t i = 0; i < 5; i++) {
        const int32_t y_cubed = tinyml_doubling_high_mul(tinyml_doubling_high_mul(y, y), y);
        const int32_t y3 = arm_nn_mult_by_power_of_two(y_cubed, 6);
        const int32_t step = tinyml_doubling_high_mul(half_three, y) - tinyml_doubling_high_mul(half_x, y3);
        y = arm_nn_mult_by_power_of_two(step, 3);
    }
    y = tinyml_doubling_high_mul(y, 1518500250); /* sqrt(2) / 2 in Q0.31 */
    if (right_shift < 0) {
        y <<= -right_shift;
        right_shift = 0;
    }
    *multiplier = y;
    *shift = -right_shift;
}

int32_t tinyml_l2_normalization_s8(const int8_t *input, int8_t *output, int32_t rows, int32_t depth,
                                   int32_t input_zero_point)
{
    for (int32_t r = 0; r < rows; r++, input += depth, output += depth) {
        int32_t squares = 0;
        for (int32_t i = 0; i < depth; i++) {
            const int32_t value = input[i] - input_zero_point;
            squares += value * value;
        }
        int32_t multiplier, shift;
        tinyml_inverse_sqrt(squares, &multiplier, &shift);
        for (int32_t i = 0; i < depth; i++) { /* the output's scale 1/128 is the shift's 7 */
            const int32_t scaled = tinyml_requantize(input[i] - input_zero_point, multiplier, shift + 7);
            output[i] = (int8_t)tinyml_clamp(scaled, -128, 127);
        }
    }
    return TINYML_KERNEL_OK;
}

/* A value's term in TFLite's running int8 sums (CUMSUM, ADD_N): value + offset, shifted left 20 bits,
 * halved by (multiplier, shift). */
TINYML_ELEMENT int32_t sum_term(int32_t value, const tinyml_running_sum_params *params)
{
    return tinyml_requantize_below_one((value + params->input_offset) * (1 << 20), params->input_multiplier,
                                       params->input_shift);
}

/* A running sum's int8 output. */
TINYML_ELEMENT int8_t sum_output(int32_t sum, const tinyml_running_sum_params *params)
{
    return (int8_t)tinyml_clamp(tinyml_requantize_below_one(sum, params->output_multiplier, params->output_shift) +
                                    params->output_offset, -128, 127);
}

int32_t tinyml_cumsum_s8(const tinyml_running_sum_params *params, const int8_t *input, int8_t *output, int32_t outer,
                         int32_t axis_size, int32_t inner)
{
    const int32_t step = params->reverse ? -inner : inner;
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t i = 0; i < inner; i++) {
            const int32_t first = o * axis_size * inner + i + (params->reverse ? (axis_size - 1) * inner : 0);
            /* TFLite Micro starts from the input offset's own scaled term, not from 0; its int32 sum wraps
             * (a long axis of large values overflows it), so the sum here wraps the same way, defined. */
            uint32_t sum = (uint32_t)sum_term(0, params);
            for (int32_t a = 0, at = first; a < axis_size; a++, at += step) {
                const int32_t before = (int32_t)sum;
                sum += (uint32_t)sum_term(input[at], params);
                output[at] = sum_output(params->exclusive ? before : (int32_t)sum, params);
            }
        }
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_add_n_s8(const tinyml_running_sum_params *params, const int8_t *const *inputs, int32_t count,
                        int32_t size, int8_t *output)
{
    for (int32_t i = 0; i < size; i++) {
        uint32_t sum = (uint32_t)sum_term(0, params); /* TFLite Micro's start, as CUMSUM's */
        for (int32_t n = 0; n < count; n++) {
            sum += (uint32_t)sum_term(inputs[n][i], params);
        }
        output[i] = sum_output((int32_t)sum, params);
    }
    return TINYML_KERNEL_OK;
}
