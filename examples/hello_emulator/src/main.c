/* Hello from an emulated microcontroller: a small integer dot product, timed in guest
 * instructions with the board's instruction counter. */
#include <stdint.h>
#include <stdio.h>

#include "tinyml_board.h"

#define LENGTH 1024

static int8_t left[LENGTH], right[LENGTH];

static int32_t dot_product(const int8_t *a, const int8_t *b, int length)
{
    int32_t sum = 0;
    for (int i = 0; i < length; i++) {
        sum += a[i] * b[i];
    }
    return sum;
}

int main(void)
{
    for (int i = 0; i < LENGTH; i++) {
        left[i] = (int8_t)(i * 7);
        right[i] = (int8_t)(i * 13 + 5);
    }
    uint64_t start = tinyml_instructions();
    int32_t result = dot_product(left, right, LENGTH);
    uint64_t spent = tinyml_instructions() - start;

    printf("dot product of %d int8 pairs = %ld\n", LENGTH, (long)result);
    if (TINYML_HAS_INSTRUCTION_COUNTER) {
        printf("instructions: %lu\n", (unsigned long)spent);
    }
    return 0;
}
