/* DEPTHWISE_CONV_2D with depth multiplier 1 on the DSP and Helium cores, bit-exact with TFLite
 * Micro's reference: per output element bias + sum over taps (input + input_offset) * filter,
 * requantized per channel. The build folds input_offset times each channel's filter sum into the
 * bias and points the taps that fall outside the input at a row of the input's zero point (whose
 * term the fold cancels), so the loops multiply raw bytes with no bounds tests. The filter comes
 * laid out for the core: on the DSP cores as doubled int16 weights, two channels to a word, four
 * channels a step (SMLABB/SMLATT on SXTB16's halves), the doubled sum feeding SMMULR; on Helium as
 * the model's bytes, eight channels a step, their even and odd channels summed apart
 * (VMULLB/VMULLT), so bias and requantization tables come with each group of eight channels as its
 * four even then its four odd ones. */
#include "tinyml_elements.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "arm_nnsupportfunctions.h"
#define HELIUM 1
#endif

#if defined(HELIUM) || defined(TINYML_SIMD32)
/* The input row under each tap of the filter for output (oy, ox); taps outside read the padding row. */
static void tap_rows(const tinyml_depthwise_params *p, const int8_t *input, int32_t oy, int32_t ox,
                     const int8_t **taps)
{
    const int32_t top = oy * p->stride_height - p->padding_height;
    const int32_t left = ox * p->stride_width - p->padding_width;
    for (int32_t ky = 0; ky < p->filter_height; ky++) {
        const int32_t iy = top + ky;
        for (int32_t kx = 0; kx < p->filter_width; kx++) {
            const int32_t ix = left + kx;
            const int inside = iy >= 0 && iy < p->input_height && ix >= 0 && ix < p->input_width;
            *taps++ = inside ? input + (iy * p->input_width + ix) * p->channels : p->padding_row;
        }
    }
}

#endif

#ifdef TINYML_SIMD32

/* floor((a * b + 2^31) / 2^32): SMMULR. With a the doubled sum, TFLite's rounding doubling high
 * multiply (no overflow: the build checks that every doubled sum fits an int32). */
TINYML_ELEMENT int32_t high_mul_rounded(int32_t a, int32_t b)
{
    int32_t high;
    __asm__("smmulr %0, %1, %2" : "=r"(high) : "r"(a), "r"(b));
    return high;
}

/* One output byte from its channel's doubled sum, as TFLite requantizes it for a right shift
 * (exponent e >= 1; requant holds the multiplier and e - 1). The rounding division by 2^e rounds
 * half away from zero, a floor division of the value less one where it is negative, done as two
 * shifts: floor((floor(v / 2^(e - 1)) + 1) / 2); `rounding` is 1 plus twice the output zero point,
 * less twice `low` when the activation range is 256 values wide (byte_range), which USAT then clamps
 * in one instruction. */
TINYML_ELEMENT int8_t output_byte(int32_t doubled_total, const int32_t *requant, int32_t rounding, int32_t low,
                                 int32_t high, int byte_range)
{
    const int32_t product = high_mul_rounded(doubled_total, requant[0]);
    const int32_t twice = ((product + (product >> 31)) >> requant[1]) + rounding;
    if (byte_range) {
        return (int8_t)((int32_t)__usat(twice >> 1, 8) + low);
    }
    return (int8_t)tinyml_clamp(twice >> 1, low, high);
}

/* The doubled sums of channels c .. c + 3: per tap two words of doubled weights, channels c and
 * c + 2, then c + 1 and c + 3, which SMLABB and SMLATT take from the SXTB16 halves. */
TINYML_ELEMENT void channel_quad(const int8_t *const *taps, int32_t count, const int32_t *weights, int32_t c,
                                int32_t *totals)
{
    int32_t a0 = totals[0], a1 = totals[1], a2 = totals[2], a3 = totals[3];
#pragma GCC unroll 9
    for (int32_t t = 0; t < count; t++, weights += 2) {
        const int32_t x = tinyml_load4(taps[t] + c), even = __sxtb16(x), odd = tinyml_bytes13(x);
        a0 = __smlabb(even, weights[0], a0);
        a2 = __smlatt(even, weights[0], a2);
        a1 = __smlabb(odd, weights[1], a1);
        a3 = __smlatt(odd, weights[1], a3);
    }
    totals[0] = a0, totals[1] = a1, totals[2] = a2, totals[3] = a3;
}

TINYML_ELEMENT void depthwise_dsp(const tinyml_depthwise_params *p, const int8_t *input, const int32_t *weights,
                                 const int32_t *bias, const int32_t *requant, int8_t *output, int byte_range)
{
    const int32_t count = p->filter_height * p->filter_width, channels = p->channels;
    /* locals: the int8 stores could otherwise alias *p, which the compiler would read again each time */
    const int32_t low = p->activation_min, high = p->activation_max;
    const int32_t rounding = 2 * p->output_offset + 1 - (byte_range ? 2 * low : 0);
    const int8_t *taps[TINYML_DEPTHWISE_MAX_TAPS];
    for (int32_t oy = 0; oy < p->output_height; oy++) {
        for (int32_t ox = 0; ox < p->output_width; ox++, output += channels) {
            tap_rows(p, input, oy, ox, taps);
            const int32_t *group_weights = weights;
            int32_t c = 0;
            for (; c + 4 <= channels; c += 4, group_weights += 2 * count) {
                int32_t totals[4] = {bias[c], bias[c + 1], bias[c + 2], bias[c + 3]};
                if (count == 9) {
                    channel_quad(taps, 9, group_weights, c, totals); /* 3x3, unrolled */
                } else {
                    channel_quad(taps, count, group_weights, c, totals);
                }
#pragma GCC unroll 4
                for (int32_t i = 0; i < 4; i++) {
                    output[c + i] = output_byte(totals[i], requant + 2 * (c + i), rounding, low, high, byte_range);
                }
            }
            for (; c < channels; c++) {
                const int32_t lane = c & 3, half = lane >> 1 ? 16 : 0;
                int32_t total = bias[c];
                for (int32_t t = 0; t < count; t++) {
                    total += taps[t][c] * (int16_t)(group_weights[2 * t + (lane & 1)] >> half);
                }
                output[c] = output_byte(total, requant + 2 * c, rounding, low, high, byte_range);
            }
        }
    }
}

/* weights: per group of four channels, per tap, the two words channel_quad() reads (channels past
 * the last one weigh 0); bias: doubled; requant: per channel its multiplier and exponent less one. */
int32_t tinyml_depthwise_conv_s8_dsp(const tinyml_depthwise_params *p, const int8_t *input, const int32_t *weights,
                                     const int32_t *bias, const int32_t *requant, int8_t *output)
{
    if (p->filter_height * p->filter_width > TINYML_DEPTHWISE_MAX_TAPS) {
        return TINYML_KERNEL_ERROR;
    }
    if (p->activation_max - p->activation_min == 255) {
        depthwise_dsp(p, input, weights, bias, requant, output, 1);
    } else {
        depthwise_dsp(p, input, weights, bias, requant, output, 0);
    }
    return TINYML_KERNEL_OK;
}
#endif

#ifdef HELIUM
TINYML_ELEMENT int32x4_t requantized(int32x4_t total, const int32_t *multiplier, const int32_t *shift)
{
    return tinyml_divide_by_pot_mve(vqrdmulhq_s32(total, vldrwq_s32(multiplier)), vldrwq_s32(shift));
}

/* Eight channels' outputs from their even and odd sums: requantized, offset, clamped, narrowed. */
TINYML_ELEMENT int16x8_t output_bytes(int32x4_t even, int32x4_t odd, const int32_t *multiplier, const int32_t *shift,
                                     const int32_t *range)
{
    const int32x4_t low = vdupq_n_s32(range[1]), high = vdupq_n_s32(range[2]);
    even = vminq_s32(vmaxq_s32(vaddq_n_s32(requantized(even, multiplier, shift), range[0]), low), high);
    odd = vminq_s32(vmaxq_s32(vaddq_n_s32(requantized(odd, multiplier + 4, shift + 4), range[0]), low), high);
    return vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), even), odd);
}

/* Channels c .. c + 7 of one output pixel (filter, tables and output from channel c); `lanes` only
 * where the channels end within the group (partial). Eight channels a step: sixteen ran out of
 * vector registers and was slower. */
TINYML_ELEMENT void eight_channels(const int8_t *const *taps, int32_t c, int32_t count, const int8_t *filter,
                                  int32_t channels, const int32_t *bias, const int32_t *multiplier,
                                  const int32_t *shift, const int32_t *range, int8_t *output, int partial,
                                  mve_pred16_t lanes)
{
    int32x4_t even = vldrwq_s32(bias), odd = vldrwq_s32(bias + 4);
    for (int32_t t = 0; t < count; t++, filter += channels) {
        const int16x8_t x = partial ? vldrbq_z_s16(taps[t] + c, lanes) : vldrbq_s16(taps[t] + c);
        const int16x8_t k = partial ? vldrbq_z_s16(filter, lanes) : vldrbq_s16(filter);
        even = vaddq_s32(even, vmullbq_int_s16(x, k));
        odd = vaddq_s32(odd, vmulltq_int_s16(x, k));
    }
    const int16x8_t bytes = output_bytes(even, odd, multiplier, shift, range);
    if (partial) {
        vstrbq_p_s16(output, bytes, lanes);
    } else {
        vstrbq_s16(output, bytes);
    }
}

/* filter: the model's [taps][channels] bytes; bias, multiplier, shift (<= 0): per group of eight
 * channels its four even then its four odd ones. */
int32_t tinyml_depthwise_conv_s8_mve(const tinyml_depthwise_params *p, const int8_t *input, const int8_t *filter,
                                     const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                                     int8_t *output)
{
    const int32_t count = p->filter_height * p->filter_width, channels = p->channels;
    const int32_t range[3] = {p->output_offset, p->activation_min, p->activation_max};
    const int8_t *taps[TINYML_DEPTHWISE_MAX_TAPS];
    if (count > TINYML_DEPTHWISE_MAX_TAPS) {
        return TINYML_KERNEL_ERROR;
    }
    for (int32_t oy = 0; oy < p->output_height; oy++) {
        for (int32_t ox = 0; ox < p->output_width; ox++, output += channels) {
            tap_rows(p, input, oy, ox, taps);
            int32_t c = 0;
            for (; c + 8 <= channels; c += 8) {
                eight_channels(taps, c, count, filter + c, channels, bias + c, multiplier + c, shift + c, range,
                               output + c, 0, 0);
            }
            if (c < channels) {
                eight_channels(taps, c, count, filter + c, channels, bias + c, multiplier + c, shift + c, range,
                               output + c, 1, vctp16q((uint32_t)(channels - c)));
            }
        }
    }
    return TINYML_KERNEL_OK;
}
#endif
