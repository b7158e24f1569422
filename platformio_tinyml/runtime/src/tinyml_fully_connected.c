/* FULLY_CONNECTED with per-unit weight scales, as TFLite Micro's reference computes it: for each
 * unit, bias + sum_k (input[k] + input_offset) * weights[k], requantized by the unit's multiplier
 * and shift. The build folds input_offset * sum_k weights[k] into the bias, so the loop multiplies
 * raw bytes: on the DSP cores four units at a time, four depths a step with SMLAD. Sums wrap
 * modulo 2^32 (TFLite Micro's int32 sum whenever that fits). */
#include "tinyml_elements.h"

typedef struct {
    int32_t depth, output_offset, activation_min, activation_max;
    const int32_t *bias, *multiplier, *shift;
} layer;

static uint32_t dot_s8(const int8_t *x, const int8_t *w, int32_t from, int32_t depth, uint32_t total)
{
    for (int32_t k = from; k < depth; k++) {
        total += (uint32_t)((int32_t)x[k] * (int32_t)w[k]);
    }
    return total;
}

static int8_t output_value(const layer *l, int32_t unit, uint32_t total)
{
    const int32_t value = tinyml_requantize((int32_t)total, l->multiplier[unit], l->shift[unit]) + l->output_offset;
    return (int8_t)tinyml_clamp(value, l->activation_min, l->activation_max);
}

#ifdef TINYML_SIMD32
/* Units unit .. unit + 3 of one row: each word of the row unpacked once for the four. */
static void unit_quad(const layer *l, const int8_t *input, const int8_t *weights, int32_t unit, int8_t *output)
{
    const int32_t depth = l->depth;
    const int8_t *w0 = weights + unit * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    int32_t a0 = l->bias[unit], a1 = l->bias[unit + 1], a2 = l->bias[unit + 2], a3 = l->bias[unit + 3], k = 0;
    for (; k + 4 <= depth; k += 4) {
        const int32_t p = tinyml_load4(input + k), pe = __sxtb16(p), po = tinyml_bytes13(p);
        const int32_t v0 = tinyml_load4(w0 + k), v1 = tinyml_load4(w1 + k);
        a0 = __smlad(po, tinyml_bytes13(v0), __smlad(pe, __sxtb16(v0), a0));
        a1 = __smlad(po, tinyml_bytes13(v1), __smlad(pe, __sxtb16(v1), a1));
        const int32_t v2 = tinyml_load4(w2 + k), v3 = tinyml_load4(w3 + k);
        a2 = __smlad(po, tinyml_bytes13(v2), __smlad(pe, __sxtb16(v2), a2));
        a3 = __smlad(po, tinyml_bytes13(v3), __smlad(pe, __sxtb16(v3), a3));
    }
    output[unit] = output_value(l, unit, dot_s8(input, w0, k, depth, (uint32_t)a0));
    output[unit + 1] = output_value(l, unit + 1, dot_s8(input, w1, k, depth, (uint32_t)a1));
    output[unit + 2] = output_value(l, unit + 2, dot_s8(input, w2, k, depth, (uint32_t)a2));
    output[unit + 3] = output_value(l, unit + 3, dot_s8(input, w3, k, depth, (uint32_t)a3));
}
#endif

int32_t tinyml_fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                                  const int32_t *multiplier, const int32_t *shift, int32_t rows, int32_t depth,
                                  int32_t units, int32_t output_offset, int32_t activation_min,
                                  int32_t activation_max, int8_t *output)
{
    const layer l = {depth, output_offset, activation_min, activation_max, bias, multiplier, shift};
    for (int32_t r = 0; r < rows; r++, input += depth, output += units) {
        int32_t unit = 0;
#ifdef TINYML_SIMD32
        for (; unit + 4 <= units; unit += 4) {
            unit_quad(&l, input, weights, unit, output);
        }
#endif
        for (; unit < units; unit++) {
            output[unit] = output_value(&l, unit, dot_s8(input, weights + unit * depth, 0, depth, (uint32_t)bias[unit]));
        }
    }
    return TINYML_KERNEL_OK;
}
