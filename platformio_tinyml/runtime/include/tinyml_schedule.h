/* What a generated engine (tinyml_engine.c) hands the runtime (tinyml_runtime.c), which implements
 * tinyml.h on top of it. Not for application code: include tinyml.h instead.
 */
#ifndef TINYML_SCHEDULE_H
#define TINYML_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "tinyml.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One step of the schedule: a generated function calling one kernel; returns the kernel's status
 * (0 on success, as CMSIS-NN's ARM_CMSIS_NN_SUCCESS). Only ops that run a kernel are steps: an alias
 * op (RESHAPE, SQUEEZE, EXPAND_DIMS sharing its input's bytes) runs nothing and has none, so step i
 * is op i of tinyml_op_count(), tinyml_op_name(), tinyml_trace_op() and the profile. */
typedef struct {
    int32_t (*run)(void);
    int32_t model_op; /* index of the op in the model: tinyml_op_model_index(), tinyml_failed_op() */
} tinyml_step;

/* What profiling and tracing need about a step (compiled in only with TINYML_PROFILE or
 * TINYML_TRACE): the op's type, its shapes, and where its output is. */
typedef struct {
    const char *name;   /* "CONV_2D" */
    const char *shapes; /* "[1,49,10,1] -> [1,25,5,64]" */
    const void *output;
    size_t output_bytes;
} tinyml_step_info;

/* A byte of the model array the schedule was generated for: a cheap check at tinyml_init(). */
typedef struct {
    uint32_t offset;
    uint8_t value;
} tinyml_model_sample;

typedef struct {
    const tinyml_step *steps;
    int step_count; /* TINYML_ENGINE_OP_COUNT of tinyml_engine.h */
    void *const *inputs;
    const tinyml_tensor_info *input_info;
    int input_count;
    void *const *outputs;
    const tinyml_tensor_info *output_info;
    int output_count;
    size_t arena_size;
    /* Sets the model's state (variable tensors, an LSTM's) back to its start; NULL: no state. */
    void (*reset_state)(void);
    /* The model array linked in (tinyml_model.c/.h) and what the schedule expects of it. */
    const uint8_t *model;
    size_t model_size;
    const char *model_sha256;
    size_t expected_model_size;
    const char *expected_model_sha256;
    const tinyml_model_sample *samples;
    int sample_count;
    /* Output 0's class names, from the model's tinyml_model.c (custom_tinyml_labels). */
    const char *const *labels;
    int label_count;
    /* Per step, step_count entries; NULL unless compiled with TINYML_PROFILE or TINYML_TRACE
     * (step_info) or TINYML_PROFILE (op_instructions). */
    const tinyml_step_info *step_info;
    uint64_t *op_instructions;
} tinyml_schedule;

/* A model's state; the generated engine defines one per model (tinyml_default_model, kws_model). */
struct tinyml_model {
    const tinyml_schedule *schedule;
    int initialized;
    int failed_op; /* tinyml_failed_op() */
};

#ifdef __cplusplus
}
#endif

#endif /* TINYML_SCHEDULE_H */
