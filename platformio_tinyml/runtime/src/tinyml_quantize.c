/* Float islands at graph edges and between DEQUANTIZE and QUANTIZE, in single-precision float as
 * TFLite Micro's reference: QUANTIZE float -> int8, NEG, DIV. */
#include <math.h>

#include "tinyml_elements.h"

int32_t tinyml_quantize_f32_s8(const float *input, int8_t *output, int32_t size, float scale,
                               int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++) {
        /* TFLite Micro's (int32_t)round(x / scale) + zero_point, as its host build (the golden
         * reference) computes it, without the undefined behaviour: a quotient out of int32's range
         * (or NaN) converts to INT32_MIN, as x86's cvttss2si gives, and the zero point is added
         * with wrap-around. Both only matter for values far outside int8's range. */
        const float quotient = roundf(input[i] / scale);
        const int32_t whole = (quotient >= -2147483648.0f && quotient < 2147483648.0f) ? (int32_t)quotient : INT32_MIN;
        const int32_t value = (int32_t)((uint32_t)whole + (uint32_t)zero_point);
        output[i] = (int8_t)(value < -128 ? -128 : (value > 127 ? 127 : value));
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_neg_f32(const float *input, float *output, int32_t size)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = -input[i];
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_div_f32(const tinyml_broadcast_dims *dims, const float *input1, const float *input2, float *output,
                       float activation_min, float activation_max)
{
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    tinyml_broadcast_walk run;
    if (!tinyml_broadcast_start(dims, &run)) {
        return TINYML_KERNEL_ERROR;
    }
    do {
        const float *a = input1 + run.offset1, *b = input2 + run.offset2;
        for (int32_t i = 0; i < run.inner; i++) {
            /* std::min(std::max(x, low), high): a NaN quotient stays NaN, infinities are clamped */
            float value = a[i * run.stride1] / b[i * run.stride2];
            value = value < activation_min ? activation_min : value;
            *output++ = activation_max < value ? activation_max : value;
        }
    } while (tinyml_broadcast_next(dims, index, &run));
    return TINYML_KERNEL_OK;
}
