/* platformio-tinyml's own int8 kernels: the ops transformers need that CMSIS-NN lacks.
 *
 * CMSIS-NN style: plain C, explicit dims and params structs, a status code, no allocation. Every
 * parameter (multipliers, shifts, strides, tables) is computed at build time by the engine's
 * lowerings, the way TFLite Micro's Prepare step computes it, so the results are bit-exact with
 * TFLite Micro's reference kernels. Called from the generated schedule (tinyml_engine.c); not for
 * application code.
 *
 *   tinyml_lut.c         elementwise int8 -> int8 (or -> float) through a 256-entry table
 *   tinyml_softmax.c     SOFTMAX with the exponentials from a build-time table
 *   tinyml_binary.c      ADD, SUB, MUL, SQUARED_DIFFERENCE with broadcasting (up to 6-D)
 *   tinyml_batch_matmul.c BATCH_MATMUL with broadcast batch dims, any operand layout
 *   tinyml_reduce.c      MEAN, SUM and REDUCE_MAX over any set of axes (integer only); ARG_MAX, ARG_MIN,
 *                        CUMSUM, L2_NORMALIZATION
 *   tinyml_copy.c        strided copies, fills, gathers: TRANSPOSE, STRIDED_SLICE, CONCATENATION,
 *                        PAD, GATHER, EMBEDDING_LOOKUP
 *   tinyml_resize.c      RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR from build-time row/column tables
 *   tinyml_transpose_conv.c TRANSPOSE_CONV, scattering into int32 sums
 *   tinyml_depthwise.c   DEPTHWISE_CONV_2D with depth multiplier 1 on the DSP and Helium cores
 *   tinyml_conv_im2col.c CONV_2D of few input channels: our columns, CMSIS-NN's matrix product
 *   tinyml_pointwise.c   CONV_2D 1x1 of 16 to 64 input channels on Helium
 *   tinyml_lstm.c        UNIDIRECTIONAL_SEQUENCE_LSTM (int8, int16 cell state)
 *   tinyml_s16.c         int16 activations: LOGISTIC, TANH, FULLY_CONNECTED, RSQRT, ... (ADD, SUB, MUL,
 *                        SQUARED_DIFFERENCE: tinyml_binary.c; MEAN, SUM: tinyml_reduce.c)
 *   tinyml_svdf.c        SVDF (int8, int16 state)
 *   tinyml_quantize.c    float -> int8 QUANTIZE, float NEG and DIV (float islands the converter leaves)
 */
#ifndef TINYML_KERNELS_H
#define TINYML_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TINYML_KERNEL_OK 0
#define TINYML_KERNEL_ERROR (-1) /* an input the reference kernel refuses at run time */

/* Most dimensions a kernel iterates over (TFLite Micro's ops go up to 6-D). */
#define TINYML_KERNEL_MAX_RANK 6

/* ---- elementwise through a table ---------------------------------------------------------- */

/* output[i] = table[input[i] + 128]. `invalid` (32 bytes, bit (v + 128) set) marks inputs the
 * reference refuses (RSQRT of a non-positive value): any of them makes the call fail. May be NULL. */
int32_t tinyml_lut_s8(const int8_t *input, int8_t *output, int32_t size, const int8_t *table,
                      const uint8_t *invalid);

/* DEQUANTIZE: output[i] = table[input[i] + 128] (float). */
int32_t tinyml_lut_s8_f32(const int8_t *input, float *output, int32_t size, const float *table);
/* A table per index of one axis: the input is [outer, channels, inner] and channel c reads
 * table[c * 256 + (x + 128)] (a group of elementwise ops with a constant varying along that axis). */
int32_t tinyml_lut_channels_s8(const int8_t *input, int8_t *output, int32_t outer, int32_t channels,
                               int32_t inner, const int8_t *table);

/* ---- softmax -------------------------------------------------------------------------------- */

/* int8 SOFTMAX over `rows` rows of `row_size` (output scale 1/256, zero point -128); exp_table[d]
 * is the Q0.31 exponential of an input d below its row's maximum, computed at build time
 * (engine/softmax_table.py), 0 where the reference leaves it out. */
int32_t tinyml_softmax_s8(const int8_t *input, int32_t rows, int32_t row_size, const int32_t *exp_table,
                          int8_t *output);

/* ---- binary elementwise with broadcasting ------------------------------------------------- */

typedef enum {
    TINYML_BINARY_ADD = 0,
    TINYML_BINARY_SUB = 1,
    TINYML_BINARY_MUL = 2,
    TINYML_BINARY_SQUARED_DIFFERENCE = 3,
} tinyml_binary_op;

typedef struct {
    int32_t op; /* tinyml_binary_op */
    int32_t input1_offset; /* minus the zero points */
    int32_t input2_offset;
    int32_t output_offset; /* the output zero point */
    /* ADD, SUB, SQUARED_DIFFERENCE: inputs are shifted left, rescaled to a common scale, combined,
     * and the result rescaled to the output. MUL: only the output multiplier is used. */
    int32_t left_shift;
    int32_t input1_multiplier;
    int32_t input1_shift;
    int32_t input2_multiplier;
    int32_t input2_shift;
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t activation_min;
    int32_t activation_max;
} tinyml_binary_params;

/* The output's dims, and for each input the element stride along each output dim (0 where the
 * input is broadcast). Dims are outermost first; unused leading dims are 1. */
typedef struct {
    int32_t rank;
    int32_t dims[TINYML_KERNEL_MAX_RANK];
    int32_t input1_strides[TINYML_KERNEL_MAX_RANK];
    int32_t input2_strides[TINYML_KERNEL_MAX_RANK];
} tinyml_broadcast_dims;

int32_t tinyml_binary_s8(const tinyml_binary_params *params, const tinyml_broadcast_dims *dims,
                         const int8_t *input1, const int8_t *input2, int8_t *output);

/* ADD, SUB, MUL and SQUARED_DIFFERENCE on int16 (int16x8 models) with broadcasting, the same steps
 * (ADD and SUB with a left shift of 15, SQUARED_DIFFERENCE of 0, as TFLite Micro's Prepare gives int16). */
int32_t tinyml_binary_s16(const tinyml_binary_params *params, const tinyml_broadcast_dims *dims,
                          const int16_t *input1, const int16_t *input2, int16_t *output);

/* The same of two int16 tensors. */
int32_t tinyml_extremum_s16(const tinyml_broadcast_dims *dims, const int16_t *input1, const int16_t *input2,
                            int16_t *output, int32_t maximum);

/* MAXIMUM (maximum = 1) or MINIMUM (0) of two int8 tensors with broadcasting, on the raw values as
 * TFLite Micro's reference does (its kernel reads no quantization). */
int32_t tinyml_extremum_s8(const tinyml_broadcast_dims *dims, const int8_t *input1, const int8_t *input2,
                           int8_t *output, int32_t maximum);

/* PRELU as TFLite Micro's reference: x = input + input_offset; x >= 0 gives x requantized by
 * (multiplier_positive, shift_positive), x < 0 gives x * (alpha + alpha_offset) requantized by the
 * negative pair; then + output_offset, clamped to int8. input1 is the input, input2 alpha. */
typedef struct {
    int32_t input_offset;
    int32_t alpha_offset;
    int32_t output_offset;
    int32_t multiplier_positive;
    int32_t shift_positive;
    int32_t multiplier_negative;
    int32_t shift_negative;
} tinyml_prelu_params;

int32_t tinyml_prelu_s8(const tinyml_prelu_params *params, const tinyml_broadcast_dims *dims, const int8_t *input1,
                        const int8_t *input2, int8_t *output);

/* int8 DIV as TFLite Micro's reference: the divisor's reciprocal by gemmlowp's Newton-Raphson
 * (CMSIS-NN's arm_nn_one_over_one_plus_x_for_x_in_0_1), the numerator scaled up to its headroom,
 * then output_multiplier and a rounding shift; clamped to the activation. A divisor at its zero point
 * fails the call. Where the reference's final shift passes 31 bits (undefined in C; small numerators
 * over large divisors) the result is the correctly rounded one, 0 before the output offset. */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t activation_min;
    int32_t activation_max;
} tinyml_div_params;

int32_t tinyml_div_s8(const tinyml_div_params *params, const tinyml_broadcast_dims *dims, const int8_t *input1,
                      const int8_t *input2, int8_t *output);

/* EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL of two int8 tensors with broadcasting,
 * as TFLite Micro's reference ComparisonWithScaling: each input + offset, shifted left 8 bits,
 * requantized by its own scale (multiplier, shift <= 0), then compared; the output is bool bytes. */
typedef enum {
    TINYML_COMPARE_EQUAL = 0,
    TINYML_COMPARE_NOT_EQUAL = 1,
    TINYML_COMPARE_GREATER = 2,
    TINYML_COMPARE_GREATER_EQUAL = 3,
    TINYML_COMPARE_LESS = 4,
    TINYML_COMPARE_LESS_EQUAL = 5,
} tinyml_comparison;

typedef struct {
    int32_t comparison; /* a tinyml_comparison */
    int32_t input1_offset;
    int32_t input1_multiplier;
    int32_t input1_shift;
    int32_t input2_offset;
    int32_t input2_multiplier;
    int32_t input2_shift;
} tinyml_compare_params;

int32_t tinyml_compare_s8(const tinyml_compare_params *params, const tinyml_broadcast_dims *dims, const int8_t *input1,
                          const int8_t *input2, uint8_t *output);

/* SELECT's second half: output = input1 (a bool condition) ? input2 : output, both broadcast; the
 * output already holds the "else" operand (a strided copy before). */
int32_t tinyml_select_s8(const tinyml_broadcast_dims *dims, const uint8_t *input1, const int8_t *input2,
                         int8_t *output);

/* LOGICAL_AND, LOGICAL_OR of two bool tensors with broadcasting, and LOGICAL_NOT of input1 (input2
 * then unused: pass input1 again); bool bytes are 0 or 1. */
typedef enum {
    TINYML_LOGICAL_AND = 0,
    TINYML_LOGICAL_OR = 1,
    TINYML_LOGICAL_NOT = 2,
} tinyml_logical_op;

int32_t tinyml_logical_b8(const tinyml_broadcast_dims *dims, const uint8_t *input1, const uint8_t *input2,
                          uint8_t *output, int32_t operation);

/* ADD of a run-time input and a constant whose terms, TFLite's scaled input2 (or minus it, for a
 * SUB), were computed at build time: output[i] from input[i] (the params' input1) and
 * scaled_constant[i % period]. `size` is a multiple of `period`. */
int32_t tinyml_add_constant_s8(const tinyml_binary_params *params, const int8_t *input,
                               const int32_t *scaled_constant, int32_t period, int32_t size, int8_t *output);

/* ---- fully connected ------------------------------------------------------------------------ */

/* FULLY_CONNECTED with weights quantized per output unit (zero points 0): each of `rows` inputs of
 * `depth` by the [units, depth] weights. `bias` is folded at build time: the layer's bias plus the
 * input offset times the unit's weight sum, so the products are of the raw int8 values. */
int32_t tinyml_fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                                  const int32_t *multiplier, const int32_t *shift, int32_t rows, int32_t depth,
                                  int32_t units, int32_t output_offset, int32_t activation_min,
                                  int32_t activation_max, int8_t *output);

/* ---- batch matmul ------------------------------------------------------------------------- */

typedef struct {
    int32_t lhs_offset; /* minus the zero points */
    int32_t rhs_offset;
    int32_t output_offset;
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t activation_min;
    int32_t activation_max;
} tinyml_matmul_params;

/* output[b][i][j] = sum_k lhs(b, i, k) * rhs(b, k, j), requantized; b runs over up to three batch
 * dims (each input's stride 0 where it is broadcast). Element strides give the operand layouts, so
 * adj_x / adj_y need no transposed copy. The output is contiguous [batches][rows][cols]. */
typedef struct {
    int32_t batch_dims[3];
    int32_t lhs_batch_strides[3];
    int32_t rhs_batch_strides[3];
    int32_t rows;
    int32_t cols;
    int32_t depth;
    int32_t lhs_row_stride;
    int32_t lhs_depth_stride;
    int32_t rhs_depth_stride;
    int32_t rhs_col_stride;
} tinyml_matmul_dims;

int32_t tinyml_batch_matmul_s8(const tinyml_matmul_params *params, const tinyml_matmul_dims *dims,
                               const int8_t *lhs, const int8_t *rhs, int8_t *output);

/* The same on int16 (int16x8 models) as TFLite Micro's reference: int64 sums, TFLite's int64
 * requantization (tinyml_s16.c). */
int32_t tinyml_batch_matmul_s16(const tinyml_matmul_params *params, const tinyml_matmul_dims *dims,
                                const int16_t *lhs, const int16_t *rhs, int16_t *output);

/* ---- MEAN and SUM ------------------------------------------------------------------------- */

/* TFLite Micro's integer path: per output, the int32 sum of the raw int8 values minus
 * input_zero_point * count, requantized (for MEAN the multiplier includes 1 / count), plus the
 * output zero point, clamped to int8. */
typedef struct {
    int32_t count; /* elements reduced into each output */
    int32_t input_zero_point;
    int32_t multiplier;
    int32_t shift;
    int32_t output_zero_point;
    int32_t fold; /* a tinyml_reduce_fold: REDUCE_MAX and REDUCE_MIN use no other field */
} tinyml_reduce_params;

typedef enum {
    TINYML_REDUCE_SUM = 0, /* MEAN and SUM: the sum, requantized */
    TINYML_REDUCE_MAX = 1, /* the largest raw value */
    TINYML_REDUCE_MIN = 2, /* the smallest raw value */
} tinyml_reduce_fold;

/* Outputs iterate over the kept dims (contiguous output), each summing over the reduced dims;
 * strides are the input's element strides. */
typedef struct {
    int32_t kept_rank;
    int32_t kept_dims[TINYML_KERNEL_MAX_RANK];
    int32_t kept_strides[TINYML_KERNEL_MAX_RANK];
    int32_t reduced_rank;
    int32_t reduced_dims[TINYML_KERNEL_MAX_RANK];
    int32_t reduced_strides[TINYML_KERNEL_MAX_RANK];
} tinyml_reduce_dims;

int32_t tinyml_reduce_s8(const tinyml_reduce_params *params, const tinyml_reduce_dims *dims,
                         const int8_t *input, int8_t *output);

/* MEAN and SUM on int16 (int16x8 models): the same sums and requantization, int16 outputs. */
int32_t tinyml_reduce_s16(const tinyml_reduce_params *params, const tinyml_reduce_dims *dims,
                          const int16_t *input, int16_t *output);

/* ---- data movement ------------------------------------------------------------------------ */

/* Copies a box of dims[] elements: element (i0..i5) is read at input + sum i_d * input_strides[d]
 * and written at output + sum i_d * output_strides[d] (strides in elements, may be negative for
 * the input). TRANSPOSE permutes the input strides, STRIDED_SLICE scales them, CONCATENATION and
 * PAD place a box inside a larger output. */
typedef struct {
    int32_t rank;
    int32_t dims[TINYML_KERNEL_MAX_RANK];
    int32_t input_strides[TINYML_KERNEL_MAX_RANK];
    int32_t output_strides[TINYML_KERNEL_MAX_RANK];
} tinyml_copy_dims;

int32_t tinyml_copy_s8(const tinyml_copy_dims *dims, const int8_t *input, int8_t *output);

/* output[0..size) = value (PAD's padding). */
int32_t tinyml_fill_s8(int8_t *output, int32_t size, int8_t value);

/* ARG_MAX (maximum = 1) or ARG_MIN (0) along one axis: input viewed as [outer][axis_size][inner],
 * output [outer][inner] the first index of the largest (smallest) value, as TFLite Micro. */
int32_t tinyml_arg_extremum_s8(const int8_t *input, int32_t *output, int32_t outer, int32_t axis_size,
                               int32_t inner, int32_t maximum);

/* L2_NORMALIZATION along the last axis as TFLite Micro's reference: each row's sum of squares (less
 * the zero point), its inverse square root as a multiplier, each value requantized to the output's
 * fixed 1/128 scale (zero point 0). */
int32_t tinyml_l2_normalization_s8(const int8_t *input, int8_t *output, int32_t rows, int32_t depth,
                                   int32_t input_zero_point);

/* CUMSUM along one axis (input viewed as [outer][axis_size][inner]) as TFLite Micro's reference: each
 * value + input_offset shifted left 20 bits and halved by (input_multiplier, input_shift), summed
 * (exclusive: the sum before the value; reverse: from the axis's end), then requantized by
 * (output_multiplier, output_shift) + output_offset. */
typedef struct {
    int32_t input_offset;
    int32_t input_multiplier;
    int32_t input_shift;
    int32_t output_offset;
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t exclusive;
    int32_t reverse;
} tinyml_running_sum_params;

int32_t tinyml_cumsum_s8(const tinyml_running_sum_params *params, const int8_t *input, int8_t *output, int32_t outer,
                         int32_t axis_size, int32_t inner);

/* ADD_N of `count` int8 tensors of one shape and quantization, each element summed as CUMSUM sums
 * (params' exclusive and reverse unused). */
int32_t tinyml_add_n_s8(const tinyml_running_sum_params *params, const int8_t *const *inputs, int32_t count,
                        int32_t size, int8_t *output);

/* GATHER along one axis: params viewed as [outer][axis_size][inner], output as
 * [outer][count][inner]; an index outside [0, axis_size) fails the call, as in TFLite Micro. */
int32_t tinyml_gather_s8(const int8_t *params, const int32_t *indices, int8_t *output, int32_t outer,
                         int32_t axis_size, int32_t inner, int32_t count);

/* RESIZE_NEAREST_NEIGHBOR on NHWC: output pixel (y, x) of each image is input pixel (rows[y],
 * columns[x]), the tables computed at build time as TFLite Micro's reference picks them. */
int32_t tinyml_resize_nearest_s8(const int8_t *input, int8_t *output, const int32_t *rows, const int32_t *columns,
                                 int32_t batches, int32_t input_height, int32_t input_width, int32_t depth,
                                 int32_t output_height, int32_t output_width);

/* RESIZE_BILINEAR on NHWC: rows[3y .. 3y+2] are output row y's upper and lower source rows and the
 * lower one's weight in 1/1024ths (columns likewise, left, right and the right one's weight). */
int32_t tinyml_resize_bilinear_s8(const int8_t *input, int8_t *output, const int32_t *rows, const int32_t *columns,
                                  int32_t batches, int32_t input_height, int32_t input_width, int32_t depth,
                                  int32_t output_height, int32_t output_width);

/* CAST of int8 to int16 (output_bytes 2) or int32 (4): the raw values, sign-extended, as TFLite
 * Micro's (a cast reads no quantization). */
int32_t tinyml_cast_s8(const int8_t *input, void *output, int32_t size, int32_t output_bytes);

/* TRANSPOSE_CONV on int8 NHWC as TFLite Micro's reference, its int32 sums in `scratch` (one per output
 * element); per-channel multipliers and shifts as a convolution's, bias optional (NULL). */
typedef struct {
    int32_t batches, input_height, input_width, input_depth;
    int32_t output_height, output_width, output_depth;
    int32_t filter_height, filter_width;
    int32_t stride_height, stride_width, padding_height, padding_width;
    int32_t input_offset, output_offset, activation_min, activation_max;
} tinyml_transpose_conv_params;

int32_t tinyml_transpose_conv_s8(const tinyml_transpose_conv_params *params, const int8_t *input,
                                 const int8_t *filter, const int32_t *bias, const int32_t *multipliers,
                                 const int32_t *shifts, int32_t *scratch, int8_t *output);

/* DEPTHWISE_CONV_2D, depth multiplier 1, one batch, no dilation (tinyml_depthwise.c): bias holds
 * each channel's bias minus the input zero point times its filter sum; padding_row is `channels`
 * bytes of the input zero point. The filter's and tables' layouts are the core's (see the file). */
#define TINYML_DEPTHWISE_MAX_TAPS 32

typedef struct {
    int32_t input_height, input_width, channels, filter_height, filter_width;
    int32_t stride_height, stride_width, padding_height, padding_width, output_height, output_width;
    int32_t output_offset, activation_min, activation_max;
    const int8_t *padding_row;
} tinyml_depthwise_params;

int32_t tinyml_depthwise_conv_s8_dsp(const tinyml_depthwise_params *params, const int8_t *input,
                                     const int32_t *filter, const int32_t *bias, const int32_t *requant,
                                     int8_t *output);
int32_t tinyml_depthwise_conv_s8_mve(const tinyml_depthwise_params *params, const int8_t *input,
                                     const int8_t *filter, const int32_t *bias, const int32_t *multiplier,
                                     const int32_t *shift, int8_t *output);

/* CONV_2D of few input channels, one batch, no dilation (tinyml_conv_im2col.c): the columns of
 * TINYML_IM2COL_PIXELS output pixels at a time in scratch (that many times filter_height *
 * filter_width * input_channels bytes), then CMSIS-NN's arm_nn_mat_mult_nt_t_s8. */
#define TINYML_IM2COL_PIXELS 4

typedef struct {
    int32_t input_height, input_width, input_channels, filter_height, filter_width;
    int32_t stride_height, stride_width, padding_height, padding_width;
    int32_t output_height, output_width, output_channels;
    int32_t input_offset, output_offset, activation_min, activation_max;
} tinyml_im2col_params;

int32_t tinyml_conv_im2col_s8(const tinyml_im2col_params *params, const int8_t *input, const int8_t *filter,
                              const int32_t *bias, const int32_t *multiplier, const int32_t *shift, int8_t *scratch,
                              int8_t *output);

/* CONV_2D 1x1, stride 1, no padding, 16, 32, 48 or 64 input channels, on Helium (tinyml_pointwise.c):
 * rows x depth by units; bias holds each unit's bias minus the input zero point times its filter
 * sum; shifts are <= 0. */
typedef struct {
    int32_t rows, depth, units, output_offset, activation_min, activation_max;
} tinyml_pointwise_params;

int32_t tinyml_pointwise_conv_s8_mve(const tinyml_pointwise_params *params, const int8_t *input,
                                     const int8_t *filter, const int32_t *bias, const int32_t *multiplier,
                                     const int32_t *shift, int8_t *output);

/* int16 LOGISTIC and TANH as TFLite Micro's reference (a 256-entry sigmoid table, interpolated):
 * the input is first scaled by multiplier * 2^-shift; multiplier 0 means 3 * 2^shift, exactly. */
int32_t tinyml_logistic_s16(const int16_t *input, int16_t *output, int32_t size, int32_t multiplier, int32_t shift);
int32_t tinyml_tanh_s16(const int16_t *input, int16_t *output, int32_t size, int32_t multiplier, int32_t shift);

/* RELU and LEAKY_RELU on int16 as TFLite Micro's reference: x - zero point requantized by one
 * multiplier at and above zero and another below (RELU: the same; LEAKY_RELU: alpha's), clamped. */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier_positive, shift_positive, multiplier_negative, shift_negative;
    int32_t activation_min, activation_max;
} tinyml_piecewise_params;

int32_t tinyml_piecewise_linear_s16(const tinyml_piecewise_params *params, const int16_t *input, int16_t *output,
                                    int32_t size);

/* RSQRT on int16 as TFLite Micro's reference: 1 / sqrt(x) per element through the inverse square
 * root's fixed-point steps, then the output multiplier; a negative input is an error, as there. */
int32_t tinyml_rsqrt_s16(const int16_t *input, int16_t *output, int32_t size, int32_t multiplier, int32_t shift);

/* After CMSIS-NN's arm_softmax_s16: a probability of 1.0, which it wraps to -32768, saturated to
 * 32767 as TFLite Micro's reference gives it. */
int32_t tinyml_softmax_s16_saturate(int16_t *output, int32_t size);

/* FULLY_CONNECTED on int16 (int8 weights, int64 bias or NULL) as TFLite Micro's reference: int64
 * sums, each unit requantized by its multiplier and shift (one of each per unit, per-tensor weights
 * repeat theirs). */
int32_t tinyml_fully_connected_s16(const int16_t *input, const int8_t *weights, const int64_t *bias,
                                   const int32_t *multipliers, const int32_t *shifts, int32_t rows, int32_t depth,
                                   int32_t units, int32_t activation_min, int32_t activation_max, int16_t *output);

/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations and weights, int16 cell state, as TFLite Micro's
 * reference (lstm_eval.h): per time step and batch row, four gates (forget, input, cell, output; in
 * that order in every array below) of two products each, requantized to int16 Q3.12 and saturated,
 * added, then sigmoid (tanh for the cell gate); the cell state kept and updated, the hidden state
 * tanh(cell) x output gate. `hidden` and `cell` are the model's state, kept between inferences.
 * Biases: the gate bias plus the input offset times each weight row's sum (input products), the
 * hidden offset times the row sums (recurrent products), computed at build time. `scratch`: 5 x
 * state_size int16. */
enum { TINYML_LSTM_FORGET, TINYML_LSTM_INPUT, TINYML_LSTM_CELL, TINYML_LSTM_OUTPUT, TINYML_LSTM_GATES };

typedef struct {
    int32_t batches, time_steps, input_size, state_size, time_major;
    int32_t input_multipliers[TINYML_LSTM_GATES], input_shifts[TINYML_LSTM_GATES];
    int32_t recurrent_multipliers[TINYML_LSTM_GATES], recurrent_shifts[TINYML_LSTM_GATES];
    int32_t forget_multiplier, forget_shift; /* forget gate x cell state -> cell state */
    int32_t update_multiplier, update_shift; /* input gate x cell gate -> cell state */
    int32_t hidden_multiplier, hidden_shift, hidden_zero_point; /* tanh(cell) x output gate -> hidden */
    int32_t tanh_multiplier, tanh_shift;     /* the cell state's scaling into tanh */
    int32_t cell_clip;                       /* > 0: the cell state is clipped to +-cell_clip */
} tinyml_lstm_params;

int32_t tinyml_lstm_s8(const tinyml_lstm_params *params, const int8_t *input, const int8_t *input_to_forget,
                       const int8_t *input_to_input, const int8_t *input_to_cell, const int8_t *input_to_output,
                       const int8_t *recurrent_to_forget, const int8_t *recurrent_to_input,
                       const int8_t *recurrent_to_cell, const int8_t *recurrent_to_output, const int32_t *biases,
                       int8_t *hidden, int16_t *cell, int16_t *scratch, int8_t *output);

/* SVDF, int8 input and output, int16 time weights and state (as the TFLite converter quantizes it), as
 * TFLite Micro's reference (svdf_common.cc): the state, [batches][filters][memory], moves one step
 * left; each filter's feature product, requantized into the state's scale, is its newest column; each
 * unit's output is its bias plus the time products of its `rank` filters, requantized. Sums wrap as
 * the reference's int32 arithmetic. */
typedef struct {
    int32_t batches, input_size, filters, rank, memory;
    int32_t input_zero_point, state_zero_point, output_zero_point;
    int32_t feature_multiplier, feature_shift; /* input x feature weights -> state */
    int32_t output_multiplier, output_shift;   /* state x time weights -> output */
} tinyml_svdf_params;

int32_t tinyml_svdf_s8(const tinyml_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                       const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output);

/* ---- float at the graph edge -------------------------------------------------------------- */

/* QUANTIZE float -> int8: clamp(round(x / scale) + zero_point), in float as TFLite Micro does. */
int32_t tinyml_quantize_f32_s8(const float *input, int8_t *output, int32_t size, float scale,
                               int32_t zero_point);

/* The same into int16 (int16x8 models with float inputs). */
int32_t tinyml_quantize_f32_s16(const float *input, int16_t *output, int32_t size, float scale,
                                int32_t zero_point);

/* DEQUANTIZE int16 -> float: scale * (x - zero_point) in double, rounded to float, as TFLite Micro. */
int32_t tinyml_dequantize_s16_f32(const int16_t *input, float *output, int32_t size, double scale,
                                  int32_t zero_point);

/* NEG on float (the TFLite converter leaves a DEQUANTIZE -> NEG -> QUANTIZE island in Keras'
 * LayerNormalization): output[i] = -input[i]. */
int32_t tinyml_neg_f32(const float *input, float *output, int32_t size);

/* DIV on float with broadcasting (the converter leaves DEQUANTIZE -> DIV -> QUANTIZE where int8
 * division would lose too much, e.g. linear attention's normalisation): output = a / b in IEEE
 * single precision, then min(max(x, activation_min), activation_max) as TFLite Micro (a NaN stays
 * NaN, an infinity becomes the bound, FLT_MAX without a fused activation). */
int32_t tinyml_div_f32(const tinyml_broadcast_dims *dims, const float *input1, const float *input2, float *output,
                       float activation_min, float activation_max);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_KERNELS_H */
