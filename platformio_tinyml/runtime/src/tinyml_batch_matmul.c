/* BATCH_MATMUL on int8, bit-exact with TFLite Micro's reference, which computes per output
 *     total = sum_k (lhs[i][k] + lhs_offset) * (rhs[k][j] + rhs_offset)
 * then requantizes, adds the output zero point and clamps. Here the sum is split as
 *     sum_k (lhs[i][k] + lhs_offset) * rhs[k][j]  +  rhs_offset * sum_k (lhs[i][k] + lhs_offset)
 * so the inner loop multiplies the right operand's bytes as they are, and the second term is one
 * number per row. Terms are added modulo 2^32, so the total is TFLite Micro's whenever that one fits
 * an int32, without signed overflow on the way. Outputs are made a block of columns of one row at a
 * time, walking the rows of the right operand (contiguous for the usual layout, adj_y false); on
 * Helium cores sixteen columns at a time in vector registers, requantized as CMSIS-NN's kernels do
 * (TFLite Micro's double rounding). */
#include "tinyml_elements.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "arm_nnsupportfunctions.h"
#define HELIUM 1
#endif

/* Output columns handled at once: an int32 array of this length lives on the stack. */
#define COLUMN_BLOCK 32

typedef struct {
    const int8_t *lhs_row;  /* row i of the left operand, its elements lhs_depth apart */
    int32_t lhs_depth;
    int32_t lhs_offset;
    const int8_t *rhs;      /* the block's first column in row 0 of the right operand */
    int32_t rhs_depth;      /* elements between its rows */
    int32_t rhs_col;        /* elements between its columns */
    int32_t depth;
} row_operands;

#ifdef TINYML_SIMD32
/* One dot product of contiguous int8 runs, four depths at a time with two SMLADs: the left bytes
 * plus their offset and the right bytes as int16 pairs (bytes 0 and 2, then 1 and 3). */
static uint32_t dot_s8(const int8_t *lhs, const int8_t *rhs, int32_t depth, int32_t lhs_offset, uint32_t total)
{
    const int32_t offsets = (int32_t)((uint32_t)(uint16_t)lhs_offset * 0x10001u);
    int32_t k = 0;
    for (; k + 4 <= depth; k += 4) {
        const int32_t l = tinyml_load4(lhs + k), r = tinyml_load4(rhs + k);
        const int32_t l02 = __sxtab16(offsets, l), l13 = __sxtab16(offsets, tinyml_ror8(l));
        const int32_t r02 = __sxtb16(r), r13 = tinyml_bytes13(r);
        total = (uint32_t)__smlad(l13, r13, __smlad(l02, r02, (int32_t)total));
    }
    for (; k < depth; k++) {
        total += (uint32_t)(lhs[k] + lhs_offset) * (uint32_t)(int32_t)rhs[k];
    }
    return total;
}
#endif

/* accumulate() through the right operand's rows, for columns `col` elements apart. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void accumulate_columns(const row_operands *in, int32_t *sums, int32_t width, int32_t col)
{
    /* Four columns at a time, their sums in registers over the whole depth (a multiply-accumulate
     * an element instead of a load, a multiply and a store). */
    const int32_t depth = in->depth, lhs_step = in->lhs_depth, rhs_step = in->rhs_depth;
    const int32_t lhs_offset = in->lhs_offset;
    int32_t j = 0;
    for (; j + 4 <= width; j += 4) {
        uint32_t a0 = (uint32_t)sums[j], a1 = (uint32_t)sums[j + 1], a2 = (uint32_t)sums[j + 2],
                 a3 = (uint32_t)sums[j + 3];
        const int8_t *lhs = in->lhs_row, *rhs = in->rhs + j * col;
        for (int32_t k = 0; k < depth; k++, lhs += lhs_step, rhs += rhs_step) {
            const uint32_t value = (uint32_t)(*lhs + lhs_offset);
            a0 += value * (uint32_t)(int32_t)rhs[0];
            a1 += value * (uint32_t)(int32_t)rhs[col];
            a2 += value * (uint32_t)(int32_t)rhs[2 * col];
            a3 += value * (uint32_t)(int32_t)rhs[3 * col];
        }
        sums[j] = (int32_t)a0, sums[j + 1] = (int32_t)a1, sums[j + 2] = (int32_t)a2, sums[j + 3] = (int32_t)a3;
    }
    for (; j < width; j++) {
        uint32_t total = (uint32_t)sums[j];
        const int8_t *lhs = in->lhs_row, *rhs = in->rhs + j * col;
        for (int32_t k = 0; k < depth; k++, lhs += lhs_step, rhs += rhs_step) {
            total += (uint32_t)(*lhs + lhs_offset) * (uint32_t)(int32_t)rhs[0];
        }
        sums[j] = (int32_t)total;
    }
}

/* Adds each column's sum of products to `sums`. */
static void accumulate(const row_operands *in, int32_t *sums, int32_t width)
{
#ifdef TINYML_SIMD32
    if (in->lhs_depth == 1 && in->rhs_depth == 1) {
        for (int32_t j = 0; j < width; j++) {
            sums[j] = (int32_t)dot_s8(in->lhs_row, in->rhs + j * in->rhs_col, in->depth, in->lhs_offset,
                                      (uint32_t)sums[j]);
        }
        return;
    }
#endif
    /* The usual layout (columns contiguous) gets its own copy of the loop, with constant offsets. */
    if (in->rhs_col == 1) {
        accumulate_columns(in, sums, width, 1);
    } else {
        accumulate_columns(in, sums, width, in->rhs_col);
    }
}

/* The block's outputs of one row: `sums` holds the row's offset term in every column on entry. */
static void row_outputs(const tinyml_matmul_params *params, const row_operands *in, int32_t *sums, int32_t width,
                        int8_t *out)
{
#ifdef HELIUM
    if (in->rhs_col == 1) {
        for (int32_t j = 0; j < width; j += 16) {
            const int32_t left = width - j;
            const mve_pred16_t p0 = vctp32q((uint32_t)left), p1 = vctp32q((uint32_t)(left > 4 ? left - 4 : 0)),
                               p2 = vctp32q((uint32_t)(left > 8 ? left - 8 : 0)),
                               p3 = vctp32q((uint32_t)(left > 12 ? left - 12 : 0));
            int32x4_t a0 = vldrwq_z_s32(sums + j, p0), a1 = vldrwq_z_s32(sums + j + 4, p1),
                      a2 = vldrwq_z_s32(sums + j + 8, p2), a3 = vldrwq_z_s32(sums + j + 12, p3);
            const int8_t *rhs_row = in->rhs + j;
            for (int32_t k = 0; k < in->depth; k++, rhs_row += in->rhs_depth) {
                const int32_t value = in->lhs_row[k * in->lhs_depth] + in->lhs_offset;
                a0 = vmlaq_n_s32(a0, vldrbq_z_s32(rhs_row, p0), value);
                a1 = vmlaq_n_s32(a1, vldrbq_z_s32(rhs_row + 4, p1), value);
                a2 = vmlaq_n_s32(a2, vldrbq_z_s32(rhs_row + 8, p2), value);
                a3 = vmlaq_n_s32(a3, vldrbq_z_s32(rhs_row + 12, p3), value);
            }
            const int32x4_t totals[4] = {a0, a1, a2, a3};
            const mve_pred16_t lanes[4] = {p0, p1, p2, p3};
            for (int32_t q = 0; q < 4; q++) {
                int32x4_t scaled = arm_requantize_mve(totals[q], params->output_multiplier, params->output_shift);
                scaled = vaddq_n_s32(scaled, params->output_offset);
                scaled = vmaxq_s32(scaled, vdupq_n_s32(params->activation_min));
                scaled = vminq_s32(scaled, vdupq_n_s32(params->activation_max));
                vstrbq_p_s32(out + j + 4 * q, scaled, lanes[q]);
            }
        }
        return;
    }
#endif
    accumulate(in, sums, width);
    const tinyml_matmul_params p = *params; /* copied: the int8 stores may alias it */
    for (int32_t j = 0; j < width; j++) {
        const int32_t scaled = tinyml_requantize(sums[j], p.output_multiplier, p.output_shift) + p.output_offset;
        out[j] = (int8_t)tinyml_clamp(scaled, p.activation_min, p.activation_max);
    }
}

int32_t tinyml_batch_matmul_s8(const tinyml_matmul_params *params, const tinyml_matmul_dims *dims,
                               const int8_t *lhs, const int8_t *rhs, int8_t *output)
{
    const int32_t depth = dims->depth, rows = dims->rows, cols = dims->cols;
    for (int32_t b0 = 0; b0 < dims->batch_dims[0]; b0++) {
        for (int32_t b1 = 0; b1 < dims->batch_dims[1]; b1++) {
            for (int32_t b2 = 0; b2 < dims->batch_dims[2]; b2++) {
                const int8_t *lhs_batch = lhs + b0 * dims->lhs_batch_strides[0] +
                                          b1 * dims->lhs_batch_strides[1] + b2 * dims->lhs_batch_strides[2];
                const int8_t *rhs_batch = rhs + b0 * dims->rhs_batch_strides[0] +
                                          b1 * dims->rhs_batch_strides[1] + b2 * dims->rhs_batch_strides[2];
                for (int32_t i = 0; i < rows; i++) {
                    row_operands in = {.lhs_row = lhs_batch + i * dims->lhs_row_stride,
                                       .lhs_depth = dims->lhs_depth_stride, .lhs_offset = params->lhs_offset,
                                       .rhs_depth = dims->rhs_depth_stride, .rhs_col = dims->rhs_col_stride,
                                       .depth = depth};
                    uint32_t lhs_sum = 0;
                    for (int32_t k = 0; k < depth; k++) {
                        lhs_sum += (uint32_t)(in.lhs_row[k * in.lhs_depth] + in.lhs_offset);
                    }
                    const int32_t row_term = (int32_t)((uint32_t)params->rhs_offset * lhs_sum);
                    for (int32_t first = 0; first < cols; first += COLUMN_BLOCK) {
                        const int32_t width = cols - first < COLUMN_BLOCK ? cols - first : COLUMN_BLOCK;
                        int32_t sums[COLUMN_BLOCK];
                        for (int32_t j = 0; j < width; j++) {
                            sums[j] = row_term;
                        }
                        in.rhs = rhs_batch + first * dims->rhs_col_stride;
                        row_outputs(params, &in, sums, width, output + i * cols + first);
                    }
                }
                output += rows * cols;
            }
        }
    }
    return TINYML_KERNEL_OK;
}
