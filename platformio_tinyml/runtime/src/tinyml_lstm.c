/* UNIDIRECTIONAL_SEQUENCE_LSTM (int8 activations, int16 cell state), step for step as TFLite Micro's
 * reference kernel (lstm_eval.h, lstm_eval_common.cc): each
 * product saturated to int16 on its own before the two of a gate are added, each multiplication of
 * two int16 values requantized with TFLite's double rounding. The matrix products are CMSIS-NN's, the
 * sigmoid and tanh tinyml_s16.c's. */
#include <string.h>

#include "arm_nnsupportfunctions.h"
#include "tinyml_fixed_point.h"
#include "tinyml_kernels.h"

static inline int16_t saturate_s16(int32_t x)
{
    return (int16_t)tinyml_clamp(x, INT16_MIN, INT16_MAX);
}

/* One gate: sat(sat(W x + b) + sat(R h + c)) in Q3.12, then its activation into Q0.15. */
static void gate(const tinyml_lstm_params *p, int32_t g, const int8_t *x, const int8_t *input_weights,
                 const int8_t *h, const int8_t *recurrent_weights, const int32_t *biases, int16_t *out,
                 int16_t *products)
{
    const int32_t n = p->state_size;
    memset(out, 0, (size_t)n * sizeof(int16_t));
    memset(products, 0, (size_t)n * sizeof(int16_t));
    arm_nn_vec_mat_mul_result_acc_s8(x, input_weights, biases + g * n, out, 0, p->input_multipliers[g],
                                     p->input_shifts[g], p->input_size, n, 1);
    arm_nn_vec_mat_mul_result_acc_s8(h, recurrent_weights, biases + (TINYML_LSTM_GATES + g) * n, products, 0,
                                     p->recurrent_multipliers[g], p->recurrent_shifts[g], n, n, 1);
    for (int32_t i = 0; i < n; i++) {
        out[i] = saturate_s16(out[i] + products[i]);
    }
    if (g == TINYML_LSTM_CELL) {
        tinyml_tanh_s16(out, out, n, 0, 0);
    } else {
        tinyml_logistic_s16(out, out, n, 0, 0);
    }
}

int32_t tinyml_lstm_s8(const tinyml_lstm_params *params, const int8_t *input, const int8_t *input_to_forget,
                       const int8_t *input_to_input, const int8_t *input_to_cell, const int8_t *input_to_output,
                       const int8_t *recurrent_to_forget, const int8_t *recurrent_to_input,
                       const int8_t *recurrent_to_cell, const int8_t *recurrent_to_output, const int32_t *biases,
                       int8_t *hidden, int16_t *cell, int16_t *scratch, int8_t *output)
{
    const tinyml_lstm_params *p = params;
    const int32_t n = p->state_size;
    int16_t *forget = scratch, *in = scratch + n, *candidate = scratch + 2 * n, *out = scratch + 3 * n;
    int16_t *temporary = scratch + 4 * n;
    for (int32_t b = 0; b < p->batches; b++) {
        int8_t *h = hidden + b * n;
        int16_t *c = cell + b * n;
        for (int32_t t = 0; t < p->time_steps; t++) {
            const int32_t row = p->time_major ? t * p->batches + b : b * p->time_steps + t;
            const int8_t *x = input + row * p->input_size;
            gate(p, TINYML_LSTM_FORGET, x, input_to_forget, h, recurrent_to_forget, biases, forget, temporary);
            gate(p, TINYML_LSTM_INPUT, x, input_to_input, h, recurrent_to_input, biases, in, temporary);
            gate(p, TINYML_LSTM_CELL, x, input_to_cell, h, recurrent_to_cell, biases, candidate, temporary);
            gate(p, TINYML_LSTM_OUTPUT, x, input_to_output, h, recurrent_to_output, biases, out, temporary);
            for (int32_t i = 0; i < n; i++) {
                const int32_t kept = saturate_s16(tinyml_requantize(forget[i] * c[i], p->forget_multiplier,
                                                                    p->forget_shift));
                const int32_t added = saturate_s16(tinyml_requantize(in[i] * candidate[i], p->update_multiplier,
                                                                     p->update_shift));
                int32_t updated = saturate_s16(kept + added);
                if (p->cell_clip > 0) {
                    updated = tinyml_clamp(updated, -p->cell_clip, p->cell_clip);
                }
                c[i] = (int16_t)updated;
            }
            tinyml_tanh_s16(c, temporary, n, p->tanh_multiplier, p->tanh_shift);
            for (int32_t i = 0; i < n; i++) {
                const int32_t value = tinyml_requantize(temporary[i] * out[i], p->hidden_multiplier, p->hidden_shift);
                h[i] = (int8_t)tinyml_clamp(value + p->hidden_zero_point, INT8_MIN, INT8_MAX);
            }
            memcpy(output + row * n, h, (size_t)n);
        }
    }
    return TINYML_KERNEL_OK;
}
