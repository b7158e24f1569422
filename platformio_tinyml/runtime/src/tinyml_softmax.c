/* int8 SOFTMAX over rows with the exponentials computed at build time: exp_table[d] is what
 * CMSIS-NN's and TFLite Micro's integer softmax compute at run time for an input d below its row's
 * maximum (0 where they leave it out). The rest is their arithmetic, with CMSIS-NN's own helpers:
 * the sum of the exponentials in Q12, its reciprocal, each output scaled by it, plus -128. */
#include "arm_nnsupportfunctions.h"
#include "tinyml_kernels.h"

/* The sum's fractional bits (the reference's kAccumulationIntegerBits). */
#define ACCUMULATION_BITS 12

int32_t tinyml_softmax_s8(const int8_t *input, int32_t rows, int32_t row_size, const int32_t *exp_table,
                          int8_t *output)
{
    for (int32_t row = 0; row < rows; row++, input += row_size, output += row_size) {
        int32_t max = input[0];
        for (int32_t i = 1; i < row_size; i++) {
            max = input[i] > max ? input[i] : max;
        }
        int32_t sum = 0;
        for (int32_t i = 0; i < row_size; i++) {
            sum += arm_nn_divide_by_power_of_two(exp_table[max - input[i]], ACCUMULATION_BITS);
        }
        const int32_t headroom = CLZ((uint32_t)sum);
        /* The sum normalised to [1, 2) as Q0.31 of x in 1 + x; unsigned, as the shifts wrap. */
        const uint32_t normalised = sum > 0 ? (uint32_t)sum << headroom : 0u;
        const int32_t scale = arm_nn_one_over_one_plus_x_for_x_in_0_1((int32_t)(normalised - 0x80000000u));
        const int32_t bits_over_unit = ACCUMULATION_BITS - headroom + 23;
        for (int32_t i = 0; i < row_size; i++) {
            const int32_t scaled =
                arm_nn_divide_by_power_of_two(arm_nn_doubling_high_mult(scale, exp_table[max - input[i]]),
                                              bits_over_unit) + INT8_MIN;
            output[i] = (int8_t)(scaled > INT8_MAX ? INT8_MAX : (scaled < INT8_MIN ? INT8_MIN : scaled));
        }
    }
    return TINYML_KERNEL_OK;
}
