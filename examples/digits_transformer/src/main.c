/* Classifies the samples compiled in by custom_tinyml_embed_samples and prints each prediction
 * (against its label, and the int8 accuracy, when the samples have labels), the first one by name
 * and probability, and what an inference costs. The other classifier examples build this same
 * file (their src_dir points here). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "tinyml.h"
#include "tinyml_board.h"
#include "tinyml_engine.h"
#include "tinyml_model.h"
#include "tinyml_samples.h"

/* "0.953": newlib-nano's printf has no %f. */
static void print_probability(float p)
{
    const int permille = (int)(p * 1000.0f + 0.5f);
    printf("%d.%03d", permille / 1000, permille % 1000);
}

/* Output 0's highest class and its probability, from the dequantized scores: a softmax output
 * (TFLite's int8 softmax has scale 1/256, zero point -128) already holds probabilities, logits get a
 * softmax here. */
static int top_class(float *probability)
{
    static float scores[TINYML_OUTPUT0_ELEMENTS];
    if (tinyml_get_output_float(0, scores, TINYML_OUTPUT0_ELEMENTS) != TINYML_OK) {
        return -1;
    }
    const int best = tinyml_output_argmax(0);
    const tinyml_tensor_info *info = tinyml_output_info(0);
    if (info->scale == 1.0f / 256.0f && info->zero_point == -128) {
        *probability = scores[best];
        return best;
    }
    float sum = 0.0f;
    for (int i = 0; i < TINYML_OUTPUT0_ELEMENTS; i++) {
        sum += expf(scores[i] - scores[best]); /* the largest exponent is 0: no overflow */
    }
    *probability = 1.0f / sum;
    return best;
}

/* The class's name from custom_tinyml_labels, or its number without labels. */
static void print_class(int index)
{
    if (tinyml_label(index) != NULL) {
        printf("%s", tinyml_label(index));
    } else {
        printf("class %d", index);
    }
}

int main(void)
{
    if (tinyml_init() != TINYML_OK) {
        printf("tinyml_init failed\n");
        return 1;
    }
    int correct = 0, first_class = -1;
    float first_probability = 0.0f;
    uint64_t instructions = 0;
    printf(TINYML_SAMPLES_HAVE_LABELS ? "predicted/label:" : "predicted:");
    for (int sample = 0; sample < TINYML_SAMPLE_COUNT; sample++) {
        if (tinyml_set_input(0, tinyml_sample_inputs[sample], sizeof tinyml_sample_inputs[sample]) != TINYML_OK) {
            printf("\nthe samples do not fit the model's input\n");
            return 1;
        }
        uint64_t start = tinyml_instructions();
        if (tinyml_invoke() != TINYML_OK) {
            printf("\ntinyml_invoke failed at op %d\n", tinyml_failed_op());
            return 1;
        }
        instructions += tinyml_instructions() - start;
        int predicted = tinyml_output_argmax(0);
        if (sample == 0) {
            first_class = top_class(&first_probability);
        }
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
    printf("first sample: ");
    print_class(first_class);
    printf(" with probability ");
    print_probability(first_probability);
#if TINYML_SAMPLES_HAVE_LABELS
    printf(" (its label: ");
    print_class(tinyml_sample_labels[0]);
    printf(")");
#endif
    printf("\n");
    if (TINYML_HAS_INSTRUCTION_COUNTER) {
        printf("instructions per inference: %lu\n", (unsigned long)(instructions / TINYML_SAMPLE_COUNT));
    }
    printf("arena: %u bytes; model: %u bytes\n", (unsigned)TINYML_ARENA_SIZE, (unsigned)TINYML_MODEL_SIZE);
    return 0;
}
