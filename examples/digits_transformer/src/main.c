/* Classifies the held-out samples compiled in by custom_tinyml_embed_samples and prints each
 * prediction against its label, the int8 accuracy, and what an inference costs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyml.h"
#include "tinyml_board.h"
#include "tinyml_engine.h"
#include "tinyml_model.h"
#include "tinyml_samples.h"

static int argmax(const int8_t *scores, int count)
{
    int best = 0;
    for (int i = 1; i < count; i++) {
        if (scores[i] > scores[best]) {
            best = i;
        }
    }
    return best;
}

int main(void)
{
    if (tinyml_init() != TINYML_OK) {
        printf("tinyml_init failed\n");
        return 1;
    }
    int correct = 0;
    uint64_t instructions = 0;
    printf("predicted/label:");
    for (int sample = 0; sample < TINYML_SAMPLE_COUNT; sample++) {
        memcpy(tinyml_input(0), tinyml_sample_inputs[sample], TINYML_INPUT0_BYTES);
        uint64_t start = tinyml_instructions();
        if (tinyml_invoke() != TINYML_OK) {
            printf("\ntinyml_invoke failed at op %d\n", tinyml_failed_op());
            return 1;
        }
        instructions += tinyml_instructions() - start;
        int predicted = argmax(tinyml_output(0), TINYML_OUTPUT0_ELEMENTS);
        correct += predicted == tinyml_sample_labels[sample];
        printf("%s %d/%d%s", sample % 20 ? "" : "\n ", predicted, (int)tinyml_sample_labels[sample],
               predicted == tinyml_sample_labels[sample] ? "" : "*");
    }
    int permille = 1000 * correct / TINYML_SAMPLE_COUNT; /* newlib-nano's printf has no %f */
    printf("\nint8 accuracy: %d of %d = %d.%d%% (* marks the misses)\n", correct, TINYML_SAMPLE_COUNT,
           permille / 10, permille % 10);
    if (TINYML_HAS_INSTRUCTION_COUNTER) {
        printf("instructions per inference: %lu\n", (unsigned long)(instructions / TINYML_SAMPLE_COUNT));
    }
    printf("arena: %u bytes; model: %u bytes\n", (unsigned)TINYML_ARENA_SIZE, (unsigned)TINYML_MODEL_SIZE);
    return 0;
}
