/* platformio-tinyml inference API.
 *
 * One model per firmware. Everything is static: the tensor arena is a single array of
 * TINYML_ARENA_SIZE bytes sized at build time, there is no malloc, and the schedule of kernel
 * calls was generated ahead of time, so tinyml_invoke() does no parsing and no planning.
 *
 *     tinyml_init();
 *     memcpy(tinyml_input(0), samples, TINYML_INPUT0_BYTES);
 *     if (tinyml_invoke() == TINYML_OK) { const int8_t *scores = tinyml_output(0); ... }
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
