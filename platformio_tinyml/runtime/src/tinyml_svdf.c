/* SVDF (int8 activations, int16 time weights and state) in the steps of TFLite Micro's reference
 * (EvalIntegerSvdfReference). The state is the model's: kept from one inference to the next. */
#include <string.h>

#include "tinyml_fixed_point.h"
#include "tinyml_kernels.h"

int32_t tinyml_svdf_s8(const tinyml_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                       const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output)
{
    const tinyml_svdf_params *p = params;
    const int32_t units = p->filters / p->rank;
    /* the whole state one element left: each filter's oldest column goes, its newest is written below */
    memmove(state, state + 1, (size_t)(p->batches * p->filters * p->memory - 1) * sizeof(int16_t));
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = input + b * p->input_size;
        int16_t *history = state + b * p->filters * p->memory;
        for (int32_t f = 0; f < p->filters; f++) {
            const int8_t *w = weights_feature + f * p->input_size;
            int32_t sum = 0;
            for (int32_t c = 0; c < p->input_size; c++) {
                sum += w[c] * (x[c] - p->input_zero_point);
            }
            const int32_t value = tinyml_requantize(sum, p->feature_multiplier, p->feature_shift) + p->state_zero_point;
            history[f * p->memory + p->memory - 1] = (int16_t)tinyml_clamp(value, INT16_MIN, INT16_MAX);
        }
        for (int32_t u = 0; u < units; u++) {
            uint32_t total = (uint32_t)bias[u]; /* unsigned: the reference's int32 sums wrap */
            for (int32_t f = u * p->rank; f < (u + 1) * p->rank; f++) {
                const int16_t *taps = weights_time + f * p->memory, *column = history + f * p->memory;
                for (int32_t m = 0; m < p->memory; m++) {
                    total += (uint32_t)(taps[m] * (column[m] - p->state_zero_point));
                }
            }
            const int32_t scaled = tinyml_requantize((int32_t)total, p->output_multiplier, p->output_shift);
            output[b * units + u] = (int8_t)tinyml_clamp(scaled + p->output_zero_point, INT8_MIN, INT8_MAX);
        }
    }
    return TINYML_KERNEL_OK;
}
