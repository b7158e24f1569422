/* QUANTIZE float -> int8 at a graph edge, in single-precision float as TFLite Micro's reference. */
#include <math.h>

#include "tinyml_kernels.h"

int32_t tinyml_quantize_f32_s8(const float *input, int8_t *output, int32_t size, float scale,
                               int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++) {
        const int32_t value = (int32_t)roundf(input[i] / scale) + zero_point;
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
