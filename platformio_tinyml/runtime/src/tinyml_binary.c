/* ADD, SUB, MUL and SQUARED_DIFFERENCE on int8 with broadcasting, as TFLite Micro's reference
 * integer kernels compute each element. */
#include "tinyml_fixed_point.h"
#include "tinyml_kernels.h"

static inline int32_t combine(const tinyml_binary_params *p, int32_t x1, int32_t x2)
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
        for (int32_t i = 0; i < inner; i++) {
            *output++ = (int8_t)combine(params, a[i * stride1], b[i * stride2]);
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
