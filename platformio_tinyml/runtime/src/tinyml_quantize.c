/* Float islands at graph edges and between DEQUANTIZE and QUANTIZE, in single-precision float as
 * TFLite Micro's reference: QUANTIZE float -> int8 (int16), DEQUANTIZE int16 -> float, NEG, DIV. */
#include <math.h>

#include "tinyml_elements.h"

/* TFLite Micro's (int32_t)round(x / scale) + zero_point, as its host build (the golden reference)
 * computes it, without the undefined behaviour: a quotient out of int32's range (or NaN) converts to
 * INT32_MIN, as x86's cvttss2si gives, and the zero point is added with wrap-around. Both only matter
 * for values far outside the output type's range. */
static inline int32_t quantized(float x, float scale, int32_t zero_point)
{
    const float quotient = roundf(x / scale);
    const int32_t whole = (quotient >= -2147483648.0f && quotient < 2147483648.0f) ? (int32_t)quotient : INT32_MIN;
    return (int32_t)((uint32_t)whole + (uint32_t)zero_point);
}

int32_t tinyml_quantize_f32_s8(const float *input, int8_t *output, int32_t size, float scale,
                               int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (int8_t)tinyml_clamp(quantized(input[i], scale, zero_point), INT8_MIN, INT8_MAX);
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_quantize_f32_s16(const float *input, int16_t *output, int32_t size, float scale,
                                int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (int16_t)tinyml_clamp(quantized(input[i], scale, zero_point), INT16_MIN, INT16_MAX);
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_dequantize_s16_f32(const int16_t *input, float *output, int32_t size, double scale,
                                  int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (float)(scale * (input[i] - zero_point)); /* in double, as TFLite Micro's reference */
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
