/* Classifies the samples compiled in by custom_tinyml_embed_samples and prints each prediction
 * (against its label, and the int8 accuracy, when the samples have labels) and what an inference
 * costs. The other classifier examples build this same file (their src_dir points here). */
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
    printf(TINYML_SAMPLES_HAVE_LABELS ? "predicted/label:" : "predicted:");
    for (int sample = 0; sample < TINYML_SAMPLE_COUNT; sample++) {
        memcpy(tinyml_input(0), tinyml_sample_inputs[sample], TINYML_INPUT0_BYTES);
        uint64_t start = tinyml_instructions();
        if (tinyml_invoke() != TINYML_OK) {
            printf("\ntinyml_invoke failed at op %d\n", tinyml_failed_op());
            return 1;
        }
        instructions += tinyml_instructions() - start;
        int predicted = argmax(tinyml_output(0), TINYML_OUTPUT0_ELEMENTS);
        printf("%s %d", sample % 20 ? "" : "\n ", predicted);
#if TINYML_SAMPLES_HAVE_LABELS
        correct += predicted == tinyml_sample_labels[sample];
        printf("/%d%s", (int)tinyml_sample_labels[sample], predicted == tinyml_sample_labels[sample] ? "" : "*");
#endif
    }
    printf("\n");
#if TINYML_SAMPLES_HAVE_LABELS
    int permille = 1000 * correct / TINYML_SAMPLE_COUNT; /* newlib-nano's printf has no %f */
    printf("int8 accuracy: %d of %d = %d.%d%% (* marks the misses)\n", correct, TINYML_SAMPLE_COUNT,
           permille / 10, permille % 10);
#endif
    if (TINYML_HAS_INSTRUCTION_COUNTER) {
        printf("instructions per inference: %lu\n", (unsigned long)(instructions / TINYML_SAMPLE_COUNT));
    }
    printf("arena: %u bytes; model: %u bytes\n", (unsigned)TINYML_ARENA_SIZE, (unsigned)TINYML_MODEL_SIZE);
    return 0;
}
