/* platformio-tinyml inference API.
 *
 * Everything is static: the tensor arena is an array of TINYML_ARENA_SIZE bytes sized at build time,
 * there is no malloc, and the schedule of kernel calls was generated ahead of time, so
 * tinyml_invoke() does no parsing and no planning.
 *
 *     tinyml_init();
 *     tinyml_set_input_float(0, features, TINYML_INPUT0_ELEMENTS);   // quantized with the model's scale
 *     if (tinyml_invoke() == TINYML_OK) {
 *         int best = tinyml_output_argmax(0);
 *         printf("%s\n", tinyml_label(best));                          // custom_tinyml_labels
 *     }
 *
 * Shapes, types and quantization of inputs and outputs are also compile-time macros in
 * tinyml_model.h (TINYML_INPUT0_SHAPE, TINYML_INPUT0_SCALE, ...).
 *
 * Several models (custom_tinyml_models = kws, digits): each has its own functions, the plain ones
 * with the model's name for `tinyml` (kws_init(), kws_invoke(), kws_set_input_float(), ...), its own
 * macros (KWS_INPUT0_SHAPE in kws_model.h) and a handle for the tinyml_model_*() functions below
 * (&kws_model), all declared by tinyml_models.h, which this header includes. The plain tinyml_*()
 * functions are then a compile-time error: they would not say which model.
 */
#ifndef TINYML_H
#define TINYML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* tinyml_models.h is generated only for a build with several models. */
#if defined(__has_include)
#if __has_include("tinyml_models.h")
#define TINYML_SEVERAL_MODELS 1
#endif
#endif

typedef enum {
    TINYML_OK = 0,
    TINYML_ERROR_NOT_INITIALIZED = 1, /* tinyml_invoke() before tinyml_init() */
    TINYML_ERROR_BAD_INDEX = 2,       /* no input or output with that index */
    TINYML_ERROR_MODEL_MISMATCH = 3,  /* the model array is not the one the schedule was built for */
    TINYML_ERROR_KERNEL = 4,          /* a kernel reported an error (see tinyml_failed_op()) */
    TINYML_ERROR_BAD_SIZE = 5,        /* a byte or element count other than the tensor's */
} tinyml_status;

typedef enum {
    TINYML_TYPE_INT8 = 0,
    TINYML_TYPE_INT16 = 1,
    TINYML_TYPE_INT32 = 2,
    TINYML_TYPE_FLOAT32 = 3,
    TINYML_TYPE_BOOL = 4, /* one byte an element, 0 or 1 (a comparison's output) */
} tinyml_type;

#define TINYML_MAX_RANK 6

typedef struct {
    const char *name;
    tinyml_type type;
    int32_t rank;
    int32_t dims[TINYML_MAX_RANK];
    size_t bytes;
    float scale;        /* real = scale * (quantized - zero_point); 0 for float tensors */
    int32_t zero_point;
} tinyml_tensor_info;

/* One model of the firmware: the single model's tinyml_default_model, or the handles of
 * tinyml_models.h (&kws_model). Every plain function below is its tinyml_model_*() counterpart
 * called with &tinyml_default_model. */
typedef struct tinyml_model tinyml_model;

/* Prepares the arena (and any constant the kernels keep in RAM). Call once before tinyml_invoke(). */
tinyml_status tinyml_model_init(tinyml_model *model);

/* Runs one inference on the current input buffers. */
tinyml_status tinyml_model_invoke(tinyml_model *model);

/* A model with state (an LSTM's hidden and cell state) carries it from one tinyml_invoke() to the
 * next, as TFLite Micro does: to start a new sequence, reset it (tinyml_init() does too). Nothing to
 * do for a model without state. */
tinyml_status tinyml_model_reset_state(tinyml_model *model);

/* Input and output buffers inside the arena; NULL for a bad index or before tinyml_init(). With a
 * shared arena (custom_tinyml_shared_arena), another model's tinyml_invoke() overwrites them. */
void *tinyml_model_input(const tinyml_model *model, int index);
void *tinyml_model_output(const tinyml_model *model, int index);

int tinyml_model_input_count(const tinyml_model *model);
int tinyml_model_output_count(const tinyml_model *model);
const tinyml_tensor_info *tinyml_model_input_info(const tinyml_model *model, int index);  /* NULL: bad index */
const tinyml_tensor_info *tinyml_model_output_info(const tinyml_model *model, int index); /* NULL: bad index */
/* ---- Inputs and outputs for people: checked sizes, floats, classes, labels -------------------
 *
 * Floats are quantized and dequantized with the tensor's own scale and zero point (see
 * tinyml_tensor_info): q = round(x / scale) + zero_point, rounded half to even and clamped to the
 * type's range (NaN becomes the zero point); x = scale * (q - zero_point). A float tensor is copied.
 * `count` is in elements, `bytes` in bytes; a count other than the tensor's is TINYML_ERROR_BAD_SIZE
 * and nothing is written, so a wrong buffer cannot overwrite the arena. */
tinyml_status tinyml_model_set_input(tinyml_model *model, int index, const void *data, size_t bytes);
tinyml_status tinyml_model_set_input_float(tinyml_model *model, int index, const float *values, size_t count);
tinyml_status tinyml_model_get_output_float(const tinyml_model *model, int index, float *values, size_t count);

/* The output element with the highest value (the class, for a [1, classes] output; the first one
 * on a tie); -1 for a bad index or before tinyml_init(). */
int tinyml_model_output_argmax(const tinyml_model *model, int index);

/* The k highest elements of an output, highest first (ties: lower index first): their indices into
 * `classes` and their dequantized values into `scores` (either may be NULL). Returns how many were
 * written, at most the output's element count; -1 for a bad index, k < 0 or before tinyml_init(). */
int tinyml_model_output_top_k(const tinyml_model *model, int index, int k, int *classes, float *scores);

/* Class names from custom_tinyml_labels (TINYML_LABEL_COUNT of tinyml_model.h): tinyml_label(c) is
 * output 0's class c; NULL when the build has no labels or c is out of range. */
int tinyml_model_label_count(const tinyml_model *model);
const char *tinyml_model_label(const tinyml_model *model, int class_index);

/* "TINYML_OK", "TINYML_ERROR_BAD_SIZE", ...; "unknown tinyml_status" for another value. */
const char *tinyml_status_name(tinyml_status status);

/* Bytes of the tensor arena (the same as the TINYML_ARENA_SIZE macro). */
size_t tinyml_model_arena_size(const tinyml_model *model);

/* After TINYML_ERROR_KERNEL: index of the op that failed in the schedule, else -1. */
int tinyml_model_failed_op(const tinyml_model *model);

/* ---- Profiling (compile everything with -DTINYML_PROFILE) -------------------------------------
 *
 * Each tinyml_invoke() then records the guest instructions every op of the schedule spent
 * (tinyml_instructions() of tinyml_board.h read before and after each kernel call; exact and
 * identical run to run under QEMU with -icount, 0 on `native`). `op` counts the kernel calls of the
 * schedule, 0 .. tinyml_op_count() - 1, in execution order; ops that only alias their input
 * (RESHAPE, SQUEEZE, EXPAND_DIMS) run nothing and are not counted. The op name and shape functions
 * are also compiled with TINYML_TRACE.
 *
 *     for (int op = 0; op < tinyml_op_count(); op++)
 *         printf("%d %s %s %llu\n", op, tinyml_op_name(op), tinyml_op_shapes(op),
 *                (unsigned long long)tinyml_op_instructions(op));
 *
 * Without the macro none of this is compiled: no timer reads, no tables, no strings. */
int tinyml_model_op_count(const tinyml_model *model);             /* also with TINYML_TRACE */
const char *tinyml_model_op_name(const tinyml_model *model, int op);   /* "CONV_2D"; NULL: bad index */
const char *tinyml_model_op_shapes(const tinyml_model *model, int op); /* "[1,49,10,1] -> [1,25,5,64]" */
int tinyml_model_op_model_index(const tinyml_model *model, int op);    /* its index in the model, or -1 */
uint64_t tinyml_model_op_instructions(const tinyml_model *model, int op); /* last invoke; 0: bad index */

/* ---- Tracing (compile everything with -DTINYML_TRACE) -----------------------------------------
 *
 * After each op of the schedule, tinyml_invoke() calls tinyml_trace_op() with the op's index (as
 * above) and its output tensor's bytes in the arena, valid until the call returns. The library's
 * definition is weak and does nothing; define your own to checksum or compare each op's output. */
void tinyml_trace_op(int op, const void *output, size_t bytes);


/* ---- The plain functions: the firmware's one model -------------------------------------------- */

/* With several models a call is a compile-time error (noinline keeps the call for the error to see). */
#ifdef TINYML_SEVERAL_MODELS
#define TINYML_ONE_MODEL static __attribute__((noinline, unused, error( \
    "this firmware has several models (custom_tinyml_models): call the model's own function, " \
    "e.g. kws_invoke() for tinyml_invoke(), declared in tinyml_models.h")))
#else
#define TINYML_ONE_MODEL static inline
#endif

extern tinyml_model tinyml_default_model; /* the tinyml_model of a firmware with one model */

#define TINYML_DEFAULT (&tinyml_default_model)
TINYML_ONE_MODEL tinyml_status tinyml_init(void) { return tinyml_model_init(TINYML_DEFAULT); }
TINYML_ONE_MODEL tinyml_status tinyml_invoke(void) { return tinyml_model_invoke(TINYML_DEFAULT); }
TINYML_ONE_MODEL tinyml_status tinyml_reset_state(void) { return tinyml_model_reset_state(TINYML_DEFAULT); }
TINYML_ONE_MODEL void *tinyml_input(int index) { return tinyml_model_input(TINYML_DEFAULT, index); }
TINYML_ONE_MODEL void *tinyml_output(int index) { return tinyml_model_output(TINYML_DEFAULT, index); }
TINYML_ONE_MODEL int tinyml_input_count(void) { return tinyml_model_input_count(TINYML_DEFAULT); }
TINYML_ONE_MODEL int tinyml_output_count(void) { return tinyml_model_output_count(TINYML_DEFAULT); }
TINYML_ONE_MODEL const tinyml_tensor_info *tinyml_input_info(int index)
{
    return tinyml_model_input_info(TINYML_DEFAULT, index);
}
TINYML_ONE_MODEL const tinyml_tensor_info *tinyml_output_info(int index)
{
    return tinyml_model_output_info(TINYML_DEFAULT, index);
}
TINYML_ONE_MODEL tinyml_status tinyml_set_input(int index, const void *data, size_t bytes)
{
    return tinyml_model_set_input(TINYML_DEFAULT, index, data, bytes);
}
TINYML_ONE_MODEL tinyml_status tinyml_set_input_float(int index, const float *values, size_t count)
{
    return tinyml_model_set_input_float(TINYML_DEFAULT, index, values, count);
}
TINYML_ONE_MODEL tinyml_status tinyml_get_output_float(int index, float *values, size_t count)
{
    return tinyml_model_get_output_float(TINYML_DEFAULT, index, values, count);
}
TINYML_ONE_MODEL int tinyml_output_argmax(int index) { return tinyml_model_output_argmax(TINYML_DEFAULT, index); }
TINYML_ONE_MODEL int tinyml_output_top_k(int index, int k, int *classes, float *scores)
{
    return tinyml_model_output_top_k(TINYML_DEFAULT, index, k, classes, scores);
}
TINYML_ONE_MODEL int tinyml_label_count(void) { return tinyml_model_label_count(TINYML_DEFAULT); }
TINYML_ONE_MODEL const char *tinyml_label(int class_index) { return tinyml_model_label(TINYML_DEFAULT, class_index); }
TINYML_ONE_MODEL size_t tinyml_arena_size(void) { return tinyml_model_arena_size(TINYML_DEFAULT); }
TINYML_ONE_MODEL int tinyml_failed_op(void) { return tinyml_model_failed_op(TINYML_DEFAULT); }
TINYML_ONE_MODEL int tinyml_op_count(void) { return tinyml_model_op_count(TINYML_DEFAULT); }
TINYML_ONE_MODEL const char *tinyml_op_name(int op) { return tinyml_model_op_name(TINYML_DEFAULT, op); }
TINYML_ONE_MODEL const char *tinyml_op_shapes(int op) { return tinyml_model_op_shapes(TINYML_DEFAULT, op); }
TINYML_ONE_MODEL int tinyml_op_model_index(int op) { return tinyml_model_op_model_index(TINYML_DEFAULT, op); }
TINYML_ONE_MODEL uint64_t tinyml_op_instructions(int op)
{
    return tinyml_model_op_instructions(TINYML_DEFAULT, op);
}
#undef TINYML_DEFAULT

#ifdef __cplusplus
}
#endif

#ifdef TINYML_SEVERAL_MODELS
#include "tinyml_models.h"
#endif

#endif /* TINYML_H */
