/* Kernels on int16 activations (int16x8 models, and the LSTM's int16 gates), as TFLite Micro's
 * reference kernels compute them. */
#include <stddef.h>

#include "arm_nn_tables.h"
#include "tinyml_fixed_point.h"
#include "tinyml_kernels.h"

/* The input scaled as TFLite's int16 Logistic and Tanh scale it: multiplier 0 is 3 * 2^shift (the
 * power-of-two case, exact), else multiplier * x / 2^shift rounded half up. */
static inline int32_t scaled_input(int16_t x, int32_t multiplier, int32_t shift)
{
    if (multiplier == 0) {
        return x * (3 << shift);
    }
    const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
    return (x * multiplier + round) >> shift;
}

/* sigmoid(|x|) from the table: entry |x| >> `fraction_bits`, interpolated with the bits below. */
static inline uint32_t sigmoid_interpolated(uint32_t magnitude, int32_t fraction_bits, uint32_t saturated)
{
    const uint32_t entry = magnitude >> fraction_bits;
    if (entry >= 255) {
        return saturated;
    }
    const uint32_t low = sigmoid_table_uint16[entry], high = sigmoid_table_uint16[entry + 1];
    return (low << fraction_bits) + (magnitude & ((1u << fraction_bits) - 1)) * (high - low);
}

int32_t tinyml_logistic_s16(const int16_t *input, int16_t *output, int32_t size, int32_t multiplier, int32_t shift)
{
    for (int32_t i = 0; i < size; i++) {
        const int32_t x = scaled_input(input[i], multiplier, shift);
        const uint32_t value = sigmoid_interpolated((uint32_t)(x < 0 ? -x : x), 9, 0x7FFFu << 10);
        const uint32_t result = x >= 0 ? value + (1u << 9) : (1u << 25) - value + (1u << 9) - 1;
        output[i] = (int16_t)(result >> 10);
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_tanh_s16(const int16_t *input, int16_t *output, int32_t size, int32_t multiplier, int32_t shift)
{
    for (int32_t i = 0; i < size; i++) {
        const int32_t x = scaled_input(input[i], multiplier, shift);
        /* tanh(x) = 2 sigmoid(2x) - 1: the same table, one fraction bit fewer */
        const int32_t value = (int32_t)sigmoid_interpolated((uint32_t)(x < 0 ? -x : x), 8, 0xFFFFu << 8);
        const int32_t result = x >= 0 ? value - (1 << 23) + (1 << 7) : -value + (1 << 23) + (1 << 7) - 1;
        output[i] = (int16_t)(result >> 8);
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_softmax_s16_saturate(int16_t *output, int32_t size)
{
    /* CMSIS-NN's arm_softmax_s16 casts a probability of 1.0 (32768) to int16, which wraps to -32768;
     * TFLite Micro's reference clamps it to 32767. Every other output lies in [0, 32767]. */
    for (int32_t i = 0; i < size; i++) {
        if (output[i] < 0) {
            output[i] = INT16_MAX;
        }
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_batch_matmul_s16(const tinyml_matmul_params *params, const tinyml_matmul_dims *dims,
                                const int16_t *lhs, const int16_t *rhs, int16_t *output)
{
    const tinyml_matmul_params p = *params; /* copied: the stores may alias it */
    for (int32_t batch = 0; batch < dims->batch_dims[0] * dims->batch_dims[1] * dims->batch_dims[2]; batch++) {
        const int32_t b2 = batch % dims->batch_dims[2], b1 = batch / dims->batch_dims[2] % dims->batch_dims[1];
        const int32_t b0 = batch / (dims->batch_dims[2] * dims->batch_dims[1]);
        const int16_t *left = lhs + b0 * dims->lhs_batch_strides[0] + b1 * dims->lhs_batch_strides[1] +
                              b2 * dims->lhs_batch_strides[2];
        const int16_t *right = rhs + b0 * dims->rhs_batch_strides[0] + b1 * dims->rhs_batch_strides[1] +
                               b2 * dims->rhs_batch_strides[2];
        for (int32_t i = 0; i < dims->rows; i++) {
            for (int32_t j = 0; j < dims->cols; j++) {
                int64_t sum = 0;
                for (int32_t k = 0; k < dims->depth; k++) {
                    sum += (int64_t)(left[i * dims->lhs_row_stride + k * dims->lhs_depth_stride] + p.lhs_offset) *
                           (right[k * dims->rhs_depth_stride + j * dims->rhs_col_stride] + p.rhs_offset);
                }
                const int32_t scaled = tinyml_requantize_s64(sum, p.output_multiplier, p.output_shift) + p.output_offset;
                *output++ = (int16_t)tinyml_clamp(scaled, p.activation_min, p.activation_max);
            }
        }
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_piecewise_linear_s16(const tinyml_piecewise_params *params, const int16_t *input, int16_t *output,
                                    int32_t size)
{
    const tinyml_piecewise_params p = *params; /* copied: the stores may alias it */
    for (int32_t i = 0; i < size; i++) {
        const int32_t x = input[i] - p.input_zero_point;
        const int32_t y = x >= 0 ? tinyml_requantize(x, p.multiplier_positive, p.shift_positive)
                                 : tinyml_requantize(x, p.multiplier_negative, p.shift_negative);
        output[i] = (int16_t)tinyml_clamp(y + p.output_zero_point, p.activation_min, p.activation_max);
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_rsqrt_s16(const int16_t *input, int16_t *output, int32_t size, int32_t multiplier, int32_t shift)
{
    enum { KEEP_INTEGER = 20 }; /* TFLite Micro's kShift */
    for (int32_t i = 0; i < size; i++) {
        if (input[i] < 0) {
            return TINYML_KERNEL_ERROR; /* TFLite Micro: "Rsqrt is only defined for positive values" */
        }
        if (input[i] == 0) {
            output[i] = INT16_MAX;
            continue;
        }
        int32_t inverse_multiplier, inverse_shift;
        tinyml_inverse_sqrt(input[i], &inverse_multiplier, &inverse_shift);
        const int32_t root = tinyml_requantize(1, inverse_multiplier, inverse_shift + KEEP_INTEGER);
        const int32_t scaled = tinyml_requantize(root, multiplier, shift - KEEP_INTEGER);
        output[i] = (int16_t)tinyml_clamp(scaled, INT16_MIN, INT16_MAX);
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_fully_connected_s16(const int16_t *input, const int8_t *weights, const int64_t *bias,
                                   const int32_t *multipliers, const int32_t *shifts, int32_t rows, int32_t depth,
                                   int32_t units, int32_t activation_min, int32_t activation_max, int16_t *output)
{
    for (int32_t r = 0; r < rows; r++) {
        const int16_t *x = input + r * depth;
        for (int32_t u = 0; u < units; u++) {
            const int8_t *w = weights + u * depth;
            int64_t sum = bias != NULL ? bias[u] : 0;
            for (int32_t d = 0; d < depth; d++) {
                sum += (int32_t)w[d] * x[d];
            }
            const int32_t scaled = tinyml_requantize_s64(sum, multipliers[u], shifts[u]);
            output[r * units + u] = (int16_t)tinyml_clamp(scaled, activation_min, activation_max);
        }
    }
    return TINYML_KERNEL_OK;
}
