/* tinyml.h on top of a generated schedule: state, checks and the invoke loop. No allocation. */
#include <string.h>

#include "tinyml.h"
#include "tinyml_schedule.h"

#ifdef TINYML_PROFILE
#include "tinyml_board.h"
#endif

#define SCHEDULE (&tinyml_generated_schedule)

static int initialized;
static int failed_op = -1;

static int model_matches(const tinyml_schedule *schedule)
{
    if (schedule->model_size != schedule->expected_model_size ||
        strcmp(schedule->model_sha256, schedule->expected_model_sha256) != 0) {
        return 0;
    }
    for (int i = 0; i < schedule->sample_count; i++) {
        const tinyml_model_sample *sample = &schedule->samples[i];
        if (schedule->model[sample->offset] != sample->value) {
            return 0;
        }
    }
    return 1;
}

tinyml_status tinyml_init(void)
{
    initialized = 0;
    failed_op = -1;
    if (!model_matches(SCHEDULE)) {
        return TINYML_ERROR_MODEL_MISMATCH;
    }
    initialized = 1;
    return TINYML_OK;
}

tinyml_status tinyml_invoke(void)
{
    if (!initialized) {
        return TINYML_ERROR_NOT_INITIALIZED;
    }
    for (int i = 0; i < SCHEDULE->step_count; i++) {
#ifdef TINYML_PROFILE
        const uint64_t start = tinyml_instructions();
#endif
        const int32_t status = SCHEDULE->steps[i].run();
#ifdef TINYML_PROFILE
        tinyml_generated_op_instructions[i] = tinyml_instructions() - start;
#endif
        if (status != 0) {
            failed_op = SCHEDULE->steps[i].model_op;
            return TINYML_ERROR_KERNEL;
        }
#ifdef TINYML_TRACE
        tinyml_trace_op(i, tinyml_generated_step_info[i].output, tinyml_generated_step_info[i].output_bytes);
#endif
    }
    failed_op = -1;
    return TINYML_OK;
}

void *tinyml_input(int index)
{
    return initialized && index >= 0 && index < SCHEDULE->input_count ? SCHEDULE->inputs[index] : NULL;
}

void *tinyml_output(int index)
{
    return initialized && index >= 0 && index < SCHEDULE->output_count ? SCHEDULE->outputs[index] : NULL;
}

int tinyml_input_count(void)
{
    return SCHEDULE->input_count;
}

int tinyml_output_count(void)
{
    return SCHEDULE->output_count;
}

const tinyml_tensor_info *tinyml_input_info(int index)
{
    return index >= 0 && index < SCHEDULE->input_count ? &SCHEDULE->input_info[index] : NULL;
}

const tinyml_tensor_info *tinyml_output_info(int index)
{
    return index >= 0 && index < SCHEDULE->output_count ? &SCHEDULE->output_info[index] : NULL;
}

size_t tinyml_arena_size(void)
{
    return SCHEDULE->arena_size;
}

int tinyml_failed_op(void)
{
    return failed_op;
}

#if defined(TINYML_PROFILE) || defined(TINYML_TRACE)
/* `op` numbers the schedule's steps, the kernel calls (alias ops have none), as tinyml_invoke() runs
 * them: 0 .. step_count - 1, step_count being the generated TINYML_ENGINE_OP_COUNT. */
static int valid_op(int op)
{
    return op >= 0 && op < SCHEDULE->step_count;
}

int tinyml_op_count(void)
{
    return SCHEDULE->step_count;
}

const char *tinyml_op_name(int op)
{
    return valid_op(op) ? tinyml_generated_step_info[op].name : NULL;
}

const char *tinyml_op_shapes(int op)
{
    return valid_op(op) ? tinyml_generated_step_info[op].shapes : NULL;
}

int tinyml_op_model_index(int op)
{
    return valid_op(op) ? SCHEDULE->steps[op].model_op : -1;
}
#endif

#ifdef TINYML_PROFILE
uint64_t tinyml_op_instructions(int op)
{
    return valid_op(op) ? tinyml_generated_op_instructions[op] : 0;
}
#endif

#ifdef TINYML_TRACE
__attribute__((weak)) void tinyml_trace_op(int op, const void *output, size_t bytes)
{
    (void)op;
    (void)output;
    (void)bytes;
}
#endif
