/* RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR on int8 NHWC, each output pixel's sources (and, for
 * bilinear, its weights) taken from row and column tables the engine computes at build time as
 * TFLite Micro's reference computes them per pixel. */
#include <string.h>

#include "tinyml_kernels.h"

int32_t tinyml_resize_nearest_s8(const int8_t *input, int8_t *output, const int32_t *rows, const int32_t *columns,
                                 int32_t batches, int32_t input_height, int32_t input_width, int32_t depth,
                                 int32_t output_height, int32_t output_width)
{
    const size_t row_size = (size_t)input_width * depth, image_size = row_size * input_height;
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *image = input + b * image_size;
        for (int32_t y = 0; y < output_height; y++) {
            const int8_t *row = image + rows[y] * row_size;
            for (int32_t x = 0; x < output_width; x++) {
                memcpy(output, row + columns[x] * depth, (size_t)depth);
                output += depth;
            }
        }
    }
    return TINYML_KERNEL_OK;
}

/* One output pixel's four neighbours weighted in 1/1024ths along each axis, then divided by 2^20
 * rounding half away from zero, as TFLite's ResizeBilinearInteger (its default double rounding). */
int32_t tinyml_resize_bilinear_s8(const int8_t *input, int8_t *output, const int32_t *rows, const int32_t *columns,
                                  int32_t batches, int32_t input_height, int32_t input_width, int32_t depth,
                                  int32_t output_height, int32_t output_width)
{
    const int32_t one = 1 << 10;
    const size_t row_size = (size_t)input_width * depth, image_size = row_size * input_height;
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *image = input + b * image_size;
        for (int32_t y = 0; y < output_height; y++) {
            const int8_t *top = image + rows[3 * y] * row_size, *bottom = image + rows[3 * y + 1] * row_size;
            const int32_t down = rows[3 * y + 2];
            for (int32_t x = 0; x < output_width; x++) {
                const int32_t left = columns[3 * x] * depth, right = columns[3 * x + 1] * depth;
                const int32_t across = columns[3 * x + 2];
                /* TFLite sums in int64; int32 holds it: the weights lie in (-512, 1024), so each
                 * pair's weights sum to at most 2048 in magnitude and |sum| < 128 * 2048^2 = 2^29. */
                const int32_t top_left = (one - down) * (one - across), bottom_left = down * (one - across);
                const int32_t top_right = (one - down) * across, bottom_right = down * across;
                for (int32_t c = 0; c < depth; c++) {
                    const int32_t sum = top[left + c] * top_left + bottom[left + c] * bottom_left +
                                        top[right + c] * top_right + bottom[right + c] * bottom_right;
                    const int32_t half = sum > 0 ? (1 << 19) : -(1 << 19);
                    *output++ = (int8_t)((sum + half) / (1 << 20));
                }
            }
        }
    }
    return TINYML_KERNEL_OK;
}
