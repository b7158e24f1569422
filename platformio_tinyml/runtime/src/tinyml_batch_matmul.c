/* BATCH_MATMUL on int8 as TFLite Micro's reference computes it: an exact int32 dot product of
 * zero-point-corrected operands per output, requantized, plus the output zero point, clamped. */
#include "tinyml_fixed_point.h"
#include "tinyml_kernels.h"

int32_t tinyml_batch_matmul_s8(const tinyml_matmul_params *params, const tinyml_matmul_dims *dims,
                               const int8_t *lhs, const int8_t *rhs, int8_t *output)
{
    for (int32_t b0 = 0; b0 < dims->batch_dims[0]; b0++) {
        for (int32_t b1 = 0; b1 < dims->batch_dims[1]; b1++) {
            for (int32_t b2 = 0; b2 < dims->batch_dims[2]; b2++) {
                const int8_t *lhs_batch = lhs + b0 * dims->lhs_batch_strides[0] +
                                          b1 * dims->lhs_batch_strides[1] + b2 * dims->lhs_batch_strides[2];
                const int8_t *rhs_batch = rhs + b0 * dims->rhs_batch_strides[0] +
                                          b1 * dims->rhs_batch_strides[1] + b2 * dims->rhs_batch_strides[2];
                for (int32_t i = 0; i < dims->rows; i++) {
                    const int8_t *lhs_row = lhs_batch + i * dims->lhs_row_stride;
                    for (int32_t j = 0; j < dims->cols; j++) {
                        const int8_t *rhs_col = rhs_batch + j * dims->rhs_col_stride;
                        int32_t total = 0;
                        for (int32_t k = 0; k < dims->depth; k++) {
                            total += ((int32_t)lhs_row[k * dims->lhs_depth_stride] + params->lhs_offset) *
                                     ((int32_t)rhs_col[k * dims->rhs_depth_stride] + params->rhs_offset);
                        }
                        const int32_t scaled =
                            tinyml_requantize(total, params->output_multiplier, params->output_shift) +
                            params->output_offset;
                        *output++ = (int8_t)tinyml_clamp(scaled, params->activation_min, params->activation_max);
                    }
                }
            }
        }
    }
    return TINYML_KERNEL_OK;
}
