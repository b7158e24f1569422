/* The outer-dimension walk shared by the strided kernels (broadcast binary ops, float DIV, box
 * copies): each call moves two element offsets to the next innermost row, like an odometer.
 * Internal to the runtime. */
#ifndef TINYML_ODOMETER_H
#define TINYML_ODOMETER_H

#include <stdint.h>

/* Advances index[0..rank-2] and the offsets into two strided operands by one row; returns 0 after
 * the last row. index starts all zero, the offsets at 0. */
static inline int tinyml_next_row(int32_t rank, const int32_t *dims, const int32_t *strides_a,
                                  const int32_t *strides_b, int32_t *index, int32_t *offset_a, int32_t *offset_b)
{
    for (int32_t d = rank - 2; d >= 0; d--) {
        *offset_a += strides_a[d];
        *offset_b += strides_b[d];
        if (++index[d] < dims[d]) {
            return 1;
        }
        *offset_a -= strides_a[d] * dims[d];
        *offset_b -= strides_b[d] * dims[d];
        index[d] = 0;
    }
    return 0;
}

#endif
