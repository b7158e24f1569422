/* CONV_2D of few input channels (a spectrogram's one, an image's three), bit-exact with TFLite
 * Micro's reference. CMSIS-NN's arm_convolve_s8 builds its columns one tap at a time, a call per
 * tap's channels: one byte per call for a one-channel input. Here each filter row's taps are one
 * run of the input row, copied a word at a time, the taps outside the input filled with its zero
 * point (which the input offset cancels, as TFLite Micro skips them), four output pixels' columns a
 * step; CMSIS-NN's arm_nn_mat_mult_nt_t_s8 then multiplies them by the filters, as for a 1x1
 * convolution. */
#include <string.h>

#include "arm_nnsupportfunctions.h"
#include "tinyml_kernels.h"

/* Copies n bytes, a word at a time while four remain (fixed-size copies compile to word moves). */
static void copy_bytes(int8_t *to, const int8_t *from, int32_t n)
{
    for (; n >= 4; n -= 4, to += 4, from += 4) {
        memcpy(to, from, 4);
    }
    for (; n > 0; n--) {
        *to++ = *from++;
    }
}

/* The column of output (oy, ox): filter_height runs of filter_width * channels bytes. */
static void column(const tinyml_im2col_params *p, const int8_t *input, int32_t oy, int32_t ox, int8_t *out)
{
    const int32_t channels = p->input_channels, run = p->filter_width * channels;
    const int8_t zero = (int8_t)-p->input_offset;
    const int32_t top = oy * p->stride_height - p->padding_height;
    const int32_t left = ox * p->stride_width - p->padding_width;
    const int inside_w = left >= 0 && left + p->filter_width <= p->input_width;
    for (int32_t ky = 0; ky < p->filter_height; ky++, out += run) {
        const int32_t iy = top + ky;
        if (iy < 0 || iy >= p->input_height) {
            memset(out, zero, (size_t)run);
            continue;
        }
        const int8_t *row = input + iy * p->input_width * channels;
        if (inside_w) {
            copy_bytes(out, row + left * channels, run);
            continue;
        }
        for (int32_t kx = 0; kx < p->filter_width; kx++) {
            const int32_t ix = left + kx;
            if (ix < 0 || ix >= p->input_width) {
                memset(out + kx * channels, zero, (size_t)channels);
            } else {
                copy_bytes(out + kx * channels, row + ix * channels, channels);
            }
        }
    }
}

int32_t tinyml_conv_im2col_s8(const tinyml_im2col_params *p, const int8_t *input, const int8_t *filter,
                              const int32_t *bias, const int32_t *multiplier, const int32_t *shift, int8_t *scratch,
                              int8_t *output)
{
    const int32_t depth = p->filter_height * p->filter_width * p->input_channels, units = p->output_channels;
    const int32_t pixels = p->output_height * p->output_width;
    for (int32_t first = 0; first < pixels; first += TINYML_IM2COL_PIXELS) {
        const int32_t count = pixels - first < TINYML_IM2COL_PIXELS ? pixels - first : TINYML_IM2COL_PIXELS;
        for (int32_t i = 0; i < count; i++) {
            const int32_t pixel = first + i;
            column(p, input, pixel / p->output_width, pixel % p->output_width, scratch + i * depth);
        }
        arm_nn_mat_mult_nt_t_s8(scratch, filter, bias, output + first * units, multiplier, shift, count, units, depth,
                                p->input_offset, p->output_offset, p->activation_min, p->activation_max, depth);
    }
    return TINYML_KERNEL_OK;
}
