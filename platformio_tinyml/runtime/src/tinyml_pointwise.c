/* CONV_2D with a 1x1 filter, stride 1, no padding and 16 to 64 input channels on Helium, bit-exact
 * with TFLite Micro's reference: per output bias + sum_k (input + input_offset) * filter,
 * requantized per channel. The build folds input_offset times each filter's sum into the bias (so
 * the loop is VMLADAVA of raw bytes only) and takes depths of whole 16-byte steps only. A filter's
 * row stays in up to four vector registers while every input row passes under it, four rows a
 * step, their four sums requantized as one vector and stored a row apart. */
#include "tinyml_elements.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define STEP 16

/* sum += the 16 bytes at x times w, x moved past them. One asm statement a step: GCC, given the
 * intrinsics, hoisted the next rows' loads and, the filter row holding four of the eight vector
 * registers, spilled them to the stack. */
TINYML_ELEMENT void step(int32_t *sum, const int8_t **x, int8x16_t w)
{
    int8x16_t bytes;
    __asm__("vldrb.8 %q[bytes], [%[x]], #16\n\tvmladava.s8 %[sum], %q[bytes], %q[w]"
            : [sum] "+Te"(*sum), [x] "+r"(*x), [bytes] "=&w"(bytes)
            : [w] "w"(w), "m"(*(const int8_t(*)[STEP]) * x));
}

/* The sum of one input row by the filter row held in w[0 .. steps - 1]. */
TINYML_ELEMENT int32_t row_sum(const int8_t *x, const int8x16_t *w, int32_t steps)
{
    int32_t sum = 0;
    for (int32_t s = 0; s < steps - 1; s++) {
        step(&sum, &x, w[s]);
    }
    /* the last step peeled and a compiler barrier after it: GCC 12 otherwise interleaves the rows'
     * address arithmetic and runs out of registers (the keyword spotter's pointwise layer: 250 K
     * instructions with the plain loop, with or without the barrier; 136 K so) */
    step(&sum, &x, w[steps - 1]);
    __asm__ volatile("" ::: "memory");
    return sum;
}

/* Four rows' outputs of one unit; rows past the last (a partial step) read `x` again and are not stored. */
TINYML_ELEMENT void four_rows(const int8_t *x, int32_t depth, int32_t left, const int8x16_t *w, int32_t steps,
                              const int32_t *quant, int32x4_t low, int32x4_t high, uint32x4_t row_offsets,
                              int8_t *out)
{
    const int partial = left < 4;
    const int8_t *x1 = !partial || left > 1 ? x + depth : x, *x2 = !partial || left > 2 ? x + 2 * depth : x;
    const int8_t *x3 = !partial ? x + 3 * depth : x;
    int32x4_t sums = vdupq_n_s32(0);
    sums = vsetq_lane_s32(row_sum(x, w, steps), sums, 0);
    sums = vsetq_lane_s32(row_sum(x1, w, steps), sums, 1);
    sums = vsetq_lane_s32(row_sum(x2, w, steps), sums, 2);
    sums = vsetq_lane_s32(row_sum(x3, w, steps), sums, 3);
    int32x4_t value = tinyml_divide_by_pot_mve(vqrdmulhq_n_s32(vaddq_n_s32(sums, quant[0]), quant[1]),
                                               vdupq_n_s32(quant[2]));
    value = vminq_s32(vmaxq_s32(vaddq_n_s32(value, quant[3]), low), high);
    if (partial) {
        vstrbq_scatter_offset_p_s32(out, row_offsets, value, vctp32q((uint32_t)left));
    } else {
        vstrbq_scatter_offset_s32(out, row_offsets, value);
    }
}

TINYML_ELEMENT void pointwise(const tinyml_pointwise_params *p, const int8_t *input, const int8_t *filter,
                              const int32_t *bias, const int32_t *multiplier, const int32_t *shift, int8_t *output,
                              int32_t steps)
{
    /* locals: the int8 stores could otherwise alias *p, which the compiler would read again each time */
    const int32_t rows = p->rows, depth = p->depth, units = p->units, full = rows & ~3;
    const int32x4_t low = vdupq_n_s32(p->activation_min), high = vdupq_n_s32(p->activation_max);
    const uint32x4_t row_offsets = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)units);
    for (int32_t unit = 0; unit < units; unit++, filter += steps * STEP) {
        int8x16_t w[4];
        for (int32_t s = 0; s < steps; s++) {
            w[s] = vldrbq_s8(filter + s * STEP);
        }
        const int32_t quant[4] = {bias[unit], multiplier[unit], shift[unit], p->output_offset};
        int32_t row = 0;
        for (; row < full; row += 4) {
            four_rows(input + row * depth, depth, 4, w, steps, quant, low, high, row_offsets,
                      output + row * units + unit);
        }
        if (row < rows) {
            four_rows(input + row * depth, depth, rows - row, w, steps, quant, low, high, row_offsets,
                      output + row * units + unit);
        }
    }
}

/* filter: the model's [units][depth] bytes, depth 16, 32, 48 or 64; bias: folded; shift <= 0. */
int32_t tinyml_pointwise_conv_s8_mve(const tinyml_pointwise_params *p, const int8_t *input, const int8_t *filter,
                                     const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                                     int8_t *output)
{
    switch (p->depth) { /* one copy of the loops per filter row's register count */
    case STEP:
        pointwise(p, input, filter, bias, multiplier, shift, output, 1);
        break;
    case 2 * STEP:
        pointwise(p, input, filter, bias, multiplier, shift, output, 2);
        break;
    case 3 * STEP:
        pointwise(p, input, filter, bias, multiplier, shift, output, 3);
        break;
    case 4 * STEP:
        pointwise(p, input, filter, bias, multiplier, shift, output, 4);
        break;
    default:
        return TINYML_KERNEL_ERROR;
    }
    return TINYML_KERNEL_OK;
}
#endif
