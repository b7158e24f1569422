/* TRANSPOSE_CONV on int8 as TFLite Micro's reference: every input pixel scatters its products with
 * the filter into an int32 sum per output element (the scratch buffer), then each sum gets its
 * channel's bias and requantization. Filter layout [out_channels][height][width][in_channels]. */
#include <string.h>

#include "tinyml_fixed_point.h"
#include "tinyml_kernels.h"

int32_t tinyml_transpose_conv_s8(const tinyml_transpose_conv_params *params, const int8_t *input,
                                 const int8_t *filter, const int32_t *bias, const int32_t *multipliers,
                                 const int32_t *shifts, int32_t *scratch, int8_t *output)
{
    const tinyml_transpose_conv_params *p = params; /* short: the loops below index a lot */
    const int32_t out_size = p->batches * p->output_height * p->output_width * p->output_depth;
    memset(scratch, 0, (size_t)out_size * sizeof(int32_t));
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t in_y = 0; in_y < p->input_height; in_y++) {
            for (int32_t in_x = 0; in_x < p->input_width; in_x++) {
                const int8_t *pixel = input + ((b * p->input_height + in_y) * p->input_width + in_x) * p->input_depth;
                const int32_t top = in_y * p->stride_height - p->padding_height;
                const int32_t left = in_x * p->stride_width - p->padding_width;
                for (int32_t f_y = 0; f_y < p->filter_height; f_y++) {
                    const int32_t out_y = top + f_y;
                    if (out_y < 0 || out_y >= p->output_height) {
                        continue;
                    }
                    for (int32_t f_x = 0; f_x < p->filter_width; f_x++) {
                        const int32_t out_x = left + f_x;
                        if (out_x < 0 || out_x >= p->output_width) {
                            continue;
                        }
                        const int32_t out_pixel = (b * p->output_height + out_y) * p->output_width + out_x;
                        int32_t *sums = scratch + out_pixel * p->output_depth;
                        for (int32_t o = 0; o < p->output_depth; o++) {
                            const int8_t *taps =
                                filter + ((o * p->filter_height + f_y) * p->filter_width + f_x) * p->input_depth;
                            int32_t sum = 0;
                            for (int32_t c = 0; c < p->input_depth; c++) {
                                sum += (pixel[c] + p->input_offset) * taps[c];
                            }
                            sums[o] += sum;
                        }
                    }
                }
            }
        }
    }
    for (int32_t i = 0; i < out_size; i++) {
        const int32_t channel = i % p->output_depth;
        const int32_t sum = scratch[i] + (bias != NULL ? bias[channel] : 0);
        const int32_t scaled = tinyml_requantize(sum, multipliers[channel], shifts[channel]) + p->output_offset;
        output[i] = (int8_t)tinyml_clamp(scaled, p->activation_min, p->activation_max);
    }
    return TINYML_KERNEL_OK;
}
