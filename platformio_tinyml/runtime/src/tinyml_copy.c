/* Data movement without arithmetic: TRANSPOSE, STRIDED_SLICE, CONCATENATION and PAD are strided
 * box copies (and a fill), GATHER and EMBEDDING_LOOKUP copy rows picked by index, CAST widens. */
#include <string.h>

#include "tinyml_kernels.h"

int32_t tinyml_copy_s8(const tinyml_copy_dims *dims, const int8_t *input, int8_t *output)
{
    const int32_t rank = dims->rank;
    if (rank < 1 || rank > TINYML_KERNEL_MAX_RANK) {
        return TINYML_KERNEL_ERROR;
    }
    for (int32_t d = 0; d < rank; d++) {
        if (dims->dims[d] <= 0) {
            return TINYML_KERNEL_OK; /* an empty box */
        }
    }
    const int32_t inner = dims->dims[rank - 1];
    const int32_t in_step = dims->input_strides[rank - 1];
    const int32_t out_step = dims->output_strides[rank - 1];
    int32_t index[TINYML_KERNEL_MAX_RANK] = {0};
    int32_t in_offset = 0, out_offset = 0;
    for (;;) {
        const int8_t *from = input + in_offset;
        int8_t *to = output + out_offset;
        if (in_step == 1 && out_step == 1) {
            memcpy(to, from, (size_t)inner);
        } else {
            for (int32_t i = 0; i < inner; i++) {
                to[i * out_step] = from[i * in_step];
            }
        }
        int32_t d = rank - 2;
        for (; d >= 0; d--) {
            in_offset += dims->input_strides[d];
            out_offset += dims->output_strides[d];
            if (++index[d] < dims->dims[d]) {
                break;
            }
            in_offset -= dims->input_strides[d] * dims->dims[d];
            out_offset -= dims->output_strides[d] * dims->dims[d];
            index[d] = 0;
        }
        if (d < 0) {
            return TINYML_KERNEL_OK;
        }
    }
}

int32_t tinyml_fill_s8(int8_t *output, int32_t size, int8_t value)
{
    memset(output, value, (size_t)size);
    return TINYML_KERNEL_OK;
}

int32_t tinyml_gather_s8(const int8_t *params, const int32_t *indices, int8_t *output, int32_t outer,
                         int32_t axis_size, int32_t inner, int32_t count)
{
    for (int32_t i = 0; i < count; i++) {
        if (indices[i] < 0 || indices[i] >= axis_size) {
            return TINYML_KERNEL_ERROR;
        }
    }
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t i = 0; i < count; i++) {
            memcpy(output + ((size_t)o * count + i) * inner,
                   params + ((size_t)o * axis_size + indices[i]) * inner, (size_t)inner);
        }
    }
    return TINYML_KERNEL_OK;
}

int32_t tinyml_cast_s8(const int8_t *input, void *output, int32_t size, int32_t output_bytes)
{
    if (output_bytes == 2) {
        for (int32_t i = 0; i < size; i++) {
            ((int16_t *)output)[i] = input[i];
        }
    } else if (output_bytes == 4) {
        for (int32_t i = 0; i < size; i++) {
            ((int32_t *)output)[i] = input[i];
        }
    } else {
        return TINYML_KERNEL_ERROR;
    }
    return TINYML_KERNEL_OK;
}
