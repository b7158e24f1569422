/* platformio-tinyml inference API.
 *
 * One model per firmware. Everything is static: the tensor arena is a single array of
 * TINYML_ARENA_SIZE bytes sized at build time, there is no malloc, and the schedule of kernel
 * calls was generated ahead of time, so tinyml_invoke() does no parsing and no planning.
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
 */
#ifndef TINYML_H
#define TINYML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
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

/* Prepares the arena (and any constant the kernels keep in RAM). Call once before tinyml_invoke(). */
tinyml_status tinyml_init(void);

/* Runs one inference on the current input buffers. */
tinyml_status tinyml_invoke(void);

/* Input and output buffers inside the arena; NULL for a bad index or before tinyml_init(). */
void *tinyml_input(int index);
void *tinyml_output(int index);

int tinyml_input_count(void);
int tinyml_output_count(void);
const tinyml_tensor_info *tinyml_input_info(int index);  /* NULL for a bad index */
const tinyml_tensor_info *tinyml_output_info(int index); /* NULL for a bad index */

/* ---- Inputs and outputs for people: checked sizes, floats, classes, labels -------------------
 *
 * Floats are quantized and dequantized with the tensor's own scale and zero point (see
 * tinyml_tensor_info): q = round(x / scale) + zero_point, rounded half to even and clamped to the
 * type's range (NaN becomes the zero point); x = scale * (q - zero_point). A float tensor is copied.
 * `count` is in elements, `bytes` in bytes; a count other than the tensor's is TINYML_ERROR_BAD_SIZE
 * and nothing is written, so a wrong buffer cannot overwrite the arena. */
tinyml_status tinyml_set_input(int index, const void *data, size_t bytes);
tinyml_status tinyml_set_input_float(int index, const float *values, size_t count);
tinyml_status tinyml_get_output_float(int index, float *values, size_t count);

/* The output element with the highest value (the class, for a [1, classes] output; the first one
 * on a tie); -1 for a bad index or before tinyml_init(). */
int tinyml_output_argmax(int index);

/* The k highest elements of an output, highest first (ties: lower index first): their indices into
 * `classes` and their dequantized values into `scores` (either may be NULL). Returns how many were
 * written, at most the output's element count; -1 for a bad index, k < 0 or before tinyml_init(). */
int tinyml_output_top_k(int index, int k, int *classes, float *scores);

/* Class names from custom_tinyml_labels (TINYML_LABEL_COUNT of tinyml_model.h): tinyml_label(c) is
 * output 0's class c; NULL when the build has no labels or c is out of range. */
int tinyml_label_count(void);
const char *tinyml_label(int class_index);

/* "TINYML_OK", "TINYML_ERROR_BAD_SIZE", ...; "unknown tinyml_status" for another value. */
const char *tinyml_status_name(tinyml_status status);

/* Bytes of the tensor arena (the same as the TINYML_ARENA_SIZE macro). */
size_t tinyml_arena_size(void);

/* After TINYML_ERROR_KERNEL: index of the op that failed in the schedule, else -1. */
int tinyml_failed_op(void);

/* ---- Profiling (compile everything with -DTINYML_PROFILE) -------------------------------------
 *
 * Each tinyml_invoke() then records the guest instructions every op of the schedule spent
 * (tinyml_instructions() of tinyml_board.h read before and after each kernel call; exact and
 * identical run to run under QEMU with -icount, 0 on `native`). `op` counts the kernel calls of the
 * schedule, 0 .. tinyml_op_count() - 1, in execution order; ops that only alias their input
 * (RESHAPE, SQUEEZE, EXPAND_DIMS) run nothing and are not counted.
 *
 *     for (int op = 0; op < tinyml_op_count(); op++)
 *         printf("%d %s %s %llu\n", op, tinyml_op_name(op), tinyml_op_shapes(op),
 *                (unsigned long long)tinyml_op_instructions(op));
 *
 * Without the macro none of this is compiled: no timer reads, no tables, no strings. */
int tinyml_op_count(void);                /* also with TINYML_TRACE */
const char *tinyml_op_name(int op);       /* "CONV_2D"; NULL for a bad index (also TINYML_TRACE) */
const char *tinyml_op_shapes(int op);     /* "[1,49,10,1] -> [1,25,5,64]" (also TINYML_TRACE) */
int tinyml_op_model_index(int op);        /* the op's index in the model; -1 for a bad index */
uint64_t tinyml_op_instructions(int op);  /* during the last tinyml_invoke(); 0 for a bad index */

/* ---- Tracing (compile everything with -DTINYML_TRACE) -----------------------------------------
 *
 * After each op of the schedule, tinyml_invoke() calls tinyml_trace_op() with the op's index (as
 * above) and its output tensor's bytes in the arena, valid until the call returns. The library's
 * definition is weak and does nothing; define your own to checksum or compare each op's output. */
void tinyml_trace_op(int op, const void *output, size_t bytes);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_H */
