/* MEAN and SUM on int8 over any set of axes, as TFLite Micro's reference reduce kernel computes
 * them: an int32 sum of the raw int8 values per output, corrected by the input zero point,
 * requantized with a multiplier that (for MEAN) includes 1 / count. Integers only. */
#include "tinyml_elements.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#define HELIUM 1
#endif

/* The sum of `count` values `stride` apart; on Helium a contiguous run sixteen values a vector. */
static int32_t sum_run(const int8_t *input, int32_t count, int32_t stride)
{
    int32_t sum = 0;
#ifdef HELIUM
    if (stride == 1) {
        for (int32_t i = 0; i < count; i += 16) {
            const mve_pred16_t lanes = vctp8q((uint32_t)(count - i));
            sum = vaddvaq_p_s8(sum, vldrbq_z_s8(input + i, lanes), lanes);
        }
        return sum;
    }
#endif
    for (int32_t i = 0; i < count; i++) {
        sum += input[i * stride];
    }
    return sum;
}

/* The sum over the reduced axes: runs along the innermost one, the others counted like an odometer. */
static int32_t sum_reduced(const tinyml_reduce_dims *dims, const int8_t *input)
{
    const int32_t rank = dims->reduced_rank;
    if (rank == 0) {
        return input[0];
    }
    const int32_t run = dims->reduced_dims[rank - 1], stride = dims->reduced_strides[rank - 1];
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    int32_t offset = 0;
    int32_t sum = 0;
    for (;;) {
        sum += sum_run(input + offset, run, stride);
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
            return sum;
        }
    }
}

int32_t tinyml_reduce_s8(const tinyml_reduce_params *params, const tinyml_reduce_dims *dims,
                         const int8_t *input, int8_t *output)
{
    const int32_t rank = dims->kept_rank;
    if (rank < 0 || rank > TINYML_KERNEL_MAX_RANK || dims->reduced_rank < 0 ||
        dims->reduced_rank > TINYML_KERNEL_MAX_RANK || params->count <= 0) {
        return TINYML_KERNEL_ERROR;
    }
    if (rank == 0) {
        *output = (int8_t)tinyml_reduce_finish(params, sum_reduced(dims, input));
        return TINYML_KERNEL_OK;
    }
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    int32_t offset = 0;
    for (;;) {
        *output++ = (int8_t)tinyml_reduce_finish(params, sum_reduced(dims, input + offset));
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
            return TINYML_KERNEL_OK;
        }
    }
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
