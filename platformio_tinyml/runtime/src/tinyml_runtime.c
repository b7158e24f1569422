/* tinyml.h's model functions on top of a generated schedule: state, checks and the invoke loop. No
 * allocation. The plain functions (tinyml_init(), ...) are in tinyml_default_model.c. */
#include <string.h>

#include "tinyml.h"
#include "tinyml_schedule.h"

#ifdef TINYML_PROFILE
#include "tinyml_board.h"
#endif

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

tinyml_status tinyml_model_init(tinyml_model *model)
{
    model->initialized = 0;
    model->failed_op = -1;
    if (!model_matches(model->schedule)) {
        return TINYML_ERROR_MODEL_MISMATCH;
    }
    model->initialized = 1;
    return tinyml_model_reset_state(model);
}

tinyml_status tinyml_model_reset_state(tinyml_model *model)
{
    if (!model->initialized) {
        return TINYML_ERROR_NOT_INITIALIZED;
    }
    if (model->schedule->reset_state != NULL) {
        model->schedule->reset_state();
    }
    return TINYML_OK;
}

tinyml_status tinyml_model_invoke(tinyml_model *model)
{
    const tinyml_schedule *schedule = model->schedule;
    if (!model->initialized) {
        return TINYML_ERROR_NOT_INITIALIZED;
    }
    for (int i = 0; i < schedule->step_count; i++) {
#ifdef TINYML_PROFILE
        const uint64_t start = tinyml_instructions();
#endif
        const int32_t status = schedule->steps[i].run();
#ifdef TINYML_PROFILE
        schedule->op_instructions[i] = tinyml_instructions() - start;
#endif
        if (status != 0) {
            model->failed_op = schedule->steps[i].model_op;
            return TINYML_ERROR_KERNEL;
        }
#ifdef TINYML_TRACE
        tinyml_trace_op(i, schedule->step_info[i].output, schedule->step_info[i].output_bytes);
#endif
    }
    model->failed_op = -1;
    return TINYML_OK;
}

void *tinyml_model_input(const tinyml_model *model, int index)
{
    const tinyml_schedule *schedule = model->schedule;
    return model->initialized && index >= 0 && index < schedule->input_count ? schedule->inputs[index] : NULL;
}

void *tinyml_model_output(const tinyml_model *model, int index)
{
    const tinyml_schedule *schedule = model->schedule;
    return model->initialized && index >= 0 && index < schedule->output_count ? schedule->outputs[index] : NULL;
}

int tinyml_model_input_count(const tinyml_model *model)
{
    return model->schedule->input_count;
}

int tinyml_model_output_count(const tinyml_model *model)
{
    return model->schedule->output_count;
}

const tinyml_tensor_info *tinyml_model_input_info(const tinyml_model *model, int index)
{
    return index >= 0 && index < model->schedule->input_count ? &model->schedule->input_info[index] : NULL;
}

const tinyml_tensor_info *tinyml_model_output_info(const tinyml_model *model, int index)
{
    return index >= 0 && index < model->schedule->output_count ? &model->schedule->output_info[index] : NULL;
}

size_t tinyml_model_arena_size(const tinyml_model *model)
{
    return model->schedule->arena_size;
}

int tinyml_model_failed_op(const tinyml_model *model)
{
    return model->failed_op;
}

#if defined(TINYML_PROFILE) || defined(TINYML_TRACE)
/* `op` numbers the schedule's steps, the kernel calls (alias ops have none), as tinyml_invoke() runs
 * them: 0 .. step_count - 1, step_count being the generated TINYML_ENGINE_OP_COUNT. */
static int valid_op(const tinyml_model *model, int op)
{
    return op >= 0 && op < model->schedule->step_count;
}

int tinyml_model_op_count(const tinyml_model *model)
{
    return model->schedule->step_count;
}

const char *tinyml_model_op_name(const tinyml_model *model, int op)
{
    return valid_op(model, op) ? model->schedule->step_info[op].name : NULL;
}

const char *tinyml_model_op_shapes(const tinyml_model *model, int op)
{
    return valid_op(model, op) ? model->schedule->step_info[op].shapes : NULL;
}

int tinyml_model_op_model_index(const tinyml_model *model, int op)
{
    return valid_op(model, op) ? model->schedule->steps[op].model_op : -1;
}
#endif

#ifdef TINYML_PROFILE
uint64_t tinyml_model_op_instructions(const tinyml_model *model, int op)
{
    return valid_op(model, op) ? model->schedule->op_instructions[op] : 0;
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
