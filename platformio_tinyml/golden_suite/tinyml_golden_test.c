/* The golden test suite of platformio-tinyml: runs every embedded sample through its model on the
 * device and compares each output with TFLite Micro's reference outputs, computed on the host at
 * build time (tinyml_golden_data.h). One Unity test case per sample of each model (named after the
 * model when the firmware has several), then one for the stack. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <unity.h>

#include "tinyml.h"
#include "tinyml_board.h"
#include "tinyml_golden_data.h"

static const tinyml_golden_model *current_model;
static int current_sample;
static uint64_t most_instructions;

void setUp(void) {}
void tearDown(void) {}

static int32_t element_at(tinyml_type type, const void *data, size_t element)
{
    switch (type) {
    case TINYML_TYPE_INT8:
        return ((const int8_t *)data)[element];
    case TINYML_TYPE_INT16:
        return ((const int16_t *)data)[element];
    case TINYML_TYPE_INT32:
        return ((const int32_t *)data)[element];
    case TINYML_TYPE_BOOL:
        return ((const uint8_t *)data)[element];
    default: /* float outputs are compared by their bits: the reference is exact or wrong */
        return ((const int32_t *)data)[element];
    }
}

static size_t element_size(tinyml_type type)
{
    return type == TINYML_TYPE_INT8 || type == TINYML_TYPE_BOOL ? 1u : type == TINYML_TYPE_INT16 ? 2u : 4u;
}

#if TINYML_GOLDEN_TRACE
/* Called by the schedule after each op (-DTINYML_TRACE): a 32-bit FNV-1a hash of its output, which
 * the test runner compares with the same hash of TFLite Micro's intermediate tensors. */
void tinyml_trace_op(int op, const void *output, size_t bytes)
{
    uint32_t hash = 0x811C9DC5u;
    for (size_t i = 0; i < bytes; i++) {
        hash = (hash ^ ((const uint8_t *)output)[i]) * 0x01000193u;
    }
    printf("[tinyml] trace sample %d op %d hash %08lx\n", current_sample,
           tinyml_model_op_model_index(current_model->model, op),
           (unsigned long)hash);
}
#endif

static void test_golden_sample(void)
{
    const tinyml_golden_model *golden = current_model;
    tinyml_model *model = golden->model;
    const int sample = current_sample;
    const int inputs = tinyml_model_input_count(model), outputs = tinyml_model_output_count(model);
    tinyml_model_reset_state(model); /* each sample a sequence of its own, as on the host */
    for (int input = 0; input < inputs; input++) {
        memcpy(tinyml_model_input(model, input), golden->inputs[sample * inputs + input],
               tinyml_model_input_info(model, input)->bytes);
    }
    uint64_t start = tinyml_instructions();
    tinyml_status status = tinyml_model_invoke(model);
    uint64_t spent = tinyml_instructions() - start;
    if (status != TINYML_OK) {
        static char message[80];
        snprintf(message, sizeof message, "tinyml_invoke returned %d (failed op %d)", (int)status,
                 tinyml_model_failed_op(model));
        TEST_FAIL_MESSAGE(message);
    }
    if (spent > most_instructions) {
        most_instructions = spent;
    }
    printf("[tinyml] %s%ssample %d: %lu instructions\n", golden->name ? golden->name : "", golden->name ? " " : "",
           sample, (unsigned long)spent);

    for (int output = 0; output < outputs; output++) {
        const tinyml_tensor_info *info = tinyml_model_output_info(model, output);
        const size_t elements = info->bytes / element_size(info->type);
        size_t differing = 0, first = 0;
        int32_t first_expected = 0, first_actual = 0;
        for (size_t element = 0; element < elements; element++) {
            int32_t expected = element_at(info->type, golden->expecteds[sample * outputs + output], element);
            int32_t actual = element_at(info->type, tinyml_model_output(model, output), element);
            int32_t difference = expected > actual ? expected - actual : actual - expected;
            if (difference > golden->tolerance) {
                if (differing++ == 0) {
                    first = element, first_expected = expected, first_actual = actual;
                }
            }
        }
        if (differing > 0) {
            static char message[160];
            snprintf(message, sizeof message,
                     "sample %d, output %d (%s), element %u: expected %ld, got %ld; %u of %u elements differ",
                     sample, output, info->name, (unsigned)first, (long)first_expected, (long)first_actual,
                     (unsigned)differing, (unsigned)elements);
            TEST_FAIL_MESSAGE(message);
        }
    }
}

#if TINYML_GOLDEN_PROFILE
/* The instructions of each op in the last inference; the test runner makes the table. */
static void print_profile(const tinyml_model *model)
{
    for (int op = 0; op < tinyml_model_op_count(model); op++) {
        printf("[tinyml] op %d %s %s: %lu instructions\n", tinyml_model_op_model_index(model, op),
               tinyml_model_op_name(model, op), tinyml_model_op_shapes(model, op),
               (unsigned long)tinyml_model_op_instructions(model, op));
    }
}
#endif

static void test_stack_reserve_not_exceeded(void)
{
    if (tinyml_stack_size() == 0) {
        TEST_IGNORE_MESSAGE("no stack measurement on the host");
    }
    printf("[tinyml] stack %u of %u bytes, arena %u bytes\n", (unsigned)tinyml_stack_used(),
           (unsigned)tinyml_stack_size(), (unsigned)TINYML_GOLDEN_ARENA_BYTES);
    TEST_ASSERT_LESS_THAN_MESSAGE(tinyml_stack_size(), tinyml_stack_used(),
                                  "the stack reserve was exceeded: raise tinyml.stack_size in the board manifest");
}

int main(void)
{
    UNITY_BEGIN();
    for (size_t m = 0; m < sizeof golden_models / sizeof golden_models[0]; m++) {
        current_model = &golden_models[m];
        const char *model_name = current_model->name;
        tinyml_status status = tinyml_model_init(current_model->model);
        if (status != TINYML_OK) {
            printf("[tinyml] %s init returned %d\n", model_name ? model_name : "tinyml", (int)status);
        }
        for (current_sample = 0; current_sample < current_model->samples; current_sample++) {
            static char name[48];
            snprintf(name, sizeof name, "%s%sgolden_sample_%d", model_name ? model_name : "", model_name ? "_" : "",
                     current_sample);
            UnityDefaultTestRun(test_golden_sample, name, __LINE__);
        }
#if TINYML_GOLDEN_PROFILE
        print_profile(current_model->model);
#endif
    }
    RUN_TEST(test_stack_reserve_not_exceeded);
    return UNITY_END();
}
