/* Walking a broadcast binary op's outer dimensions, shared by the int8 and float kernels. */
#ifndef TINYML_BROADCAST_H
#define TINYML_BROADCAST_H

#include "tinyml_kernels.h"

/* Advances the outer dims (all but the innermost) like an odometer, moving each input's offset by
 * its strides; returns 0 once every row has been visited. Inline: it runs once per row. */
static inline int tinyml_broadcast_next_row(const tinyml_broadcast_dims *dims, int32_t *index,
                                            int32_t *offset1, int32_t *offset2)
{
    for (int32_t d = dims->rank - 2; d >= 0; d--) {
        *offset1 += dims->input1_strides[d];
        *offset2 += dims->input2_strides[d];
        if (++index[d] < dims->dims[d]) {
            return 1;
        }
        *offset1 -= dims->input1_strides[d] * dims->dims[d];
        *offset2 -= dims->input2_strides[d] * dims->dims[d];
        index[d] = 0;
    }
    return 0;
}

#endif
