/* Elementwise int8 ops through 256-entry tables computed at build time (TANH, LOGISTIC, RSQRT,
 * HARD_SWISH, ELU, LEAKY_RELU, RELU, RELU6, ABS, int8 -> int8 QUANTIZE, DEQUANTIZE, and groups of
 * such ops with constants: GELU's chain, a bias add and a scale). */
#include "tinyml_elements.h"

int32_t tinyml_lut_s8(const int8_t *input, int8_t *output, int32_t size, const int8_t *table,
                      const uint8_t *invalid)
{
    if (invalid != NULL) {
        for (int32_t i = 0; i < size; i++) {
            if (tinyml_table_refuses(invalid, input[i])) {
                return TINYML_KERNEL_ERROR;
            }
        }
    }
    for (int32_t i = 0; i < size; i++) {
        output[i] = table[input[i] + 128];
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_lut_s8_f32(const int8_t *input, float *output, int32_t size, const float *table)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = table[input[i] + 128];
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_lut_channels_s8(const int8_t *input, int8_t *output, int32_t outer, int32_t channels,
                               int32_t inner, const int8_t *table)
{
    for (int32_t o = 0; o < outer; o++) {
        const int8_t *channel_table = table + 128;
        for (int32_t c = 0; c < channels; c++, channel_table += 256) {
            for (int32_t i = 0; i < inner; i++) {
                *output++ = channel_table[*input++];
            }
        }
    }
    return TINYML_KERNEL_OK;
}
