"""What a lowering produces for one op: a kernel call with every parameter fixed at build time.

Every kernel the engine calls is in KERNEL_SIGNATURES with its parameters' names, in order, as its
header declares them (CMSIS-NN's arm_nnfunctions.h, the runtime's tinyml_kernels.h). A lowering
names each argument (kernel_arguments()); the generated call comments every argument with its
parameter's name."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

_CONVOLUTION = ("ctx", "conv_params", "quant_params", "input_dims", "input_data", "filter_dims", "filter_data",
                "bias_dims", "bias_data", "output_dims", "output_data")
_DEPTHWISE = ("ctx", "dw_conv_params", *_CONVOLUTION[2:])
_POOLING = ("ctx", "pool_params", "input_dims", "input_data", "filter_dims", "output_dims", "output_data")

_RESIZE = ("input", "output", "rows", "columns", "batches", "input_height", "input_width", "depth", "output_height",
           "output_width")

# function -> its parameters' names, in call order.

KERNEL_SIGNATURES: dict[str, tuple[str, ...]] = {
    # CMSIS-NN (arm_nnfunctions.h)
    "arm_convolve_s8": _CONVOLUTION,
    "arm_convolve_1x1_s8": _CONVOLUTION,
    "arm_convolve_1x1_s8_fast": _CONVOLUTION,
    "arm_convolve_1_x_n_s8": _CONVOLUTION,
    "arm_depthwise_conv_s8": _DEPTHWISE,
    "arm_depthwise_conv_3x3_s8": _DEPTHWISE,
    "arm_depthwise_conv_s8_opt": _DEPTHWISE,
    "arm_convolve_wrapper_s16": _CONVOLUTION,
    "arm_depthwise_conv_wrapper_s16": _DEPTHWISE,
    "arm_fully_connected_s8": ("ctx", "fc_params", *_CONVOLUTION[2:]),
    "arm_elementwise_add_s8": ("input_1_vect", "input_2_vect", "input_1_offset", "input_1_mult", "input_1_shift",
                               "input_2_offset", "input_2_mult", "input_2_shift", "left_shift", "output",
                               "out_offset", "out_mult", "out_shift", "out_activation_min", "out_activation_max",
                               "block_size"),
    "arm_elementwise_mul_s8": ("input_1_vect", "input_2_vect", "input_1_offset", "input_2_offset", "output",
                               "out_offset", "out_mult", "out_shift", "out_activation_min", "out_activation_max",
                               "block_size"),
    "arm_softmax_s8": ("input", "num_rows", "row_size", "mult", "shift", "diff_min", "output"),
    "arm_softmax_s16": ("input", "num_rows", "row_size", "mult", "shift", "softmax_params", "output"),
    "tinyml_softmax_s16_saturate": ("output", "size"),
    "arm_avgpool_s8": _POOLING,
    "arm_max_pool_s8": _POOLING,
    "arm_avgpool_s16": _POOLING,
    "arm_max_pool_s16": ("ctx", "pool_params", "input_dims", "src", "filter_dims", "output_dims", "dst"),
    # the runtime's own kernels (tinyml_kernels.h)
    "tinyml_lut_s8": ("input", "output", "size", "table", "invalid"),
    "tinyml_lut_s8_f32": ("input", "output", "size", "table"),
    "tinyml_lut_channels_s8": ("input", "output", "outer", "channels", "inner", "table"),
    "tinyml_softmax_s8": ("input", "rows", "row_size", "exp_table", "output"),
    "tinyml_binary_s8": ("params", "dims", "input1", "input2", "output"),
    "tinyml_fully_connected_s8": ("input", "weights", "bias", "multiplier", "shift", "rows", "depth", "units",
                                  "output_offset", "activation_min", "activation_max", "output"),
    "tinyml_add_constant_s8": ("params", "input", "scaled_constant", "period", "size", "output"),
    "tinyml_batch_matmul_s8": ("params", "dims", "lhs", "rhs", "output"),
    "tinyml_batch_matmul_s16": ("params", "dims", "lhs", "rhs", "output"),
    "tinyml_reduce_s8": ("params", "dims", "input", "output"),
    "tinyml_reduce_s16": ("params", "dims", "input", "output"),
    "tinyml_copy_s8": ("dims", "input", "output"),
    "tinyml_fill_s8": ("output", "size", "value"),
    "tinyml_gather_s8": ("params", "indices", "output", "outer", "axis_size", "inner", "count"),
    "tinyml_resize_nearest_s8": _RESIZE,
    "tinyml_resize_bilinear_s8": _RESIZE,
    "tinyml_quantize_f32_s8": ("input", "output", "size", "scale", "zero_point"),
    "tinyml_quantize_f32_s16": ("input", "output", "size", "scale", "zero_point"),
    "tinyml_dequantize_s16_f32": ("input", "output", "size", "scale", "zero_point"),
    "tinyml_neg_f32": ("input", "output", "size"),
    "tinyml_div_f32": ("dims", "input1", "input2", "output", "activation_min", "activation_max"),
    "tinyml_extremum_s8": ("dims", "input1", "input2", "output", "maximum"),
    "tinyml_extremum_s16": ("dims", "input1", "input2", "output", "maximum"),
    "tinyml_prelu_s8": ("params", "dims", "input1", "input2", "output"),
    "tinyml_div_s8": ("params", "dims", "input1", "input2", "output"),
    "tinyml_compare_s8": ("params", "dims", "input1", "input2", "output"),
    "tinyml_select_s8": ("dims", "input1", "input2", "output"),
    "tinyml_logical_b8": ("dims", "input1", "input2", "output", "operation"),
    "tinyml_arg_extremum_s8": ("input", "output", "outer", "axis_size", "inner", "maximum"),
    "tinyml_l2_normalization_s8": ("input", "output", "rows", "depth", "input_zero_point"),
    "tinyml_cumsum_s8": ("params", "input", "output", "outer", "axis_size", "inner"),
    "tinyml_cast_s8": ("input", "output", "size", "output_bytes"),
    "tinyml_add_n_s8": ("params", "inputs", "count", "size", "output"),
    "tinyml_transpose_conv_s8": ("params", "input", "filter", "bias", "multipliers", "shifts", "scratch", "output"),
    "tinyml_depthwise_conv_s8_dsp": ("params", "input", "filter", "bias", "requant", "output"),
    "tinyml_depthwise_conv_s8_mve": ("params", "input", "filter", "bias", "multiplier", "shift", "output"),
    "tinyml_conv_im2col_s8": ("params", "input", "filter", "bias", "multiplier", "shift", "scratch", "output"),
    "tinyml_pointwise_conv_s8_mve": ("params", "input", "filter", "bias", "multiplier", "shift", "output"),
    "tinyml_logistic_s16": ("input", "output", "size", "multiplier", "shift"),
    "tinyml_tanh_s16": ("input", "output", "size", "multiplier", "shift"),
    "tinyml_rsqrt_s16": ("input", "output", "size", "multiplier", "shift"),
    "tinyml_piecewise_linear_s16": ("params", "input", "output", "size"),
    "tinyml_binary_s16": ("params", "dims", "input1", "input2", "output"),
    "tinyml_fully_connected_s16": ("input", "weights", "bias", "multipliers", "shifts", "rows", "depth", "units",
                                   "activation_min", "activation_max", "output"),
    "tinyml_svdf_s8": ("params", "input", "weights_feature", "weights_time", "bias", "state", "output"),
    "tinyml_lstm_s8": ("params", "input", "input_to_forget", "input_to_input", "input_to_cell", "input_to_output",
                       "recurrent_to_forget", "recurrent_to_input", "recurrent_to_cell", "recurrent_to_output",
                       "biases", "hidden", "cell", "scratch", "output"),
}


def kernel_arguments(function: str, **named) -> tuple[str, ...]:
    """The C arguments of a call to `function`, each given by its parameter's name, in the order of
    KERNEL_SIGNATURES; ints are written in decimal. Raises ValueError when a parameter is missing or
    unknown."""
    parameters = KERNEL_SIGNATURES.get(function)
    if parameters is None:
        raise ValueError(f"kernel '{function}' is not in KERNEL_SIGNATURES")
    missing = [name for name in parameters if name not in named]
    unknown = [name for name in named if name not in parameters]
    if missing or unknown:
        raise ValueError(f"arguments of {function}: missing {missing}, unknown {unknown}")
    return tuple(str(named[name]) for name in parameters)


def parameter_names(function: str, arguments: tuple[str, ...]) -> tuple[str, ...]:
    """The parameters' names of a call, checked against its number of arguments."""
    parameters = KERNEL_SIGNATURES.get(function)
    if parameters is None:
        raise ValueError(f"kernel '{function}' is not in KERNEL_SIGNATURES")
    if len(parameters) != len(arguments):
        raise ValueError(f"{function} takes {len(parameters)} arguments ({', '.join(parameters)}), "
                         f"the call has {len(arguments)}")
    return parameters


@dataclass(frozen=True)
class ConstTable:
    """A `static const` array in flash (per-channel multipliers, shifts, kernel sums, ...)."""
    name: str
    c_type: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class LocalConst:
    """A `static const` variable local to the op's function (a CMSIS-NN params or dims struct)."""
    c_type: str
    name: str
    initializer: str


@dataclass(frozen=True)
class KernelCall:
    op_index: int
    opcode: str
    function: str                       # the CMSIS-NN (or runtime) function called
    arguments: tuple[str, ...]          # C expressions, in call order (kernel_arguments())
    reads: tuple[int, ...]              # activation tensors read (indices)
    writes: tuple[int, ...]             # tensors written
    constants: tuple[int, ...] = ()     # constant tensors read in place from the model
    summary: str = ""                   # one line for the comment above the call
    locals: tuple[LocalConst, ...] = ()
    tables: tuple[ConstTable, ...] = ()
    scratch_bytes: int = 0              # arena bytes live during this op only
    returns_status: bool = True         # False for CMSIS-NN functions returning void
    # Further kernel calls of the same op, in order, each returning a status (0 = success):
    # (function, arguments). CONCATENATION copies each input, PAD fills then copies.
    more_calls: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Lines of C that are the op function's body instead of a call (a loop the engine generates for
    # a fused group of ops); `function` then only names what it is.
    body: tuple[str, ...] = ()
    # Variable tensors the op reads and updates (an LSTM's hidden and cell state): the model's state,
    # kept outside the arena from one inference to the next.
    state: tuple[int, ...] = ()

    def __post_init__(self):
        if self.body:
            return
        for function, arguments in ((self.function, self.arguments), *self.more_calls):
            parameter_names(function, arguments)


@dataclass(frozen=True)
class Alias:
    """An op that moves no data (RESHAPE): its output is its input's storage."""
    op_index: int
    opcode: str
    source: int                         # tensor index whose storage is shared
    target: int
    summary: str = field(default="")


def c_value(value) -> str:
    """A C initializer: dicts become designated initializers, lists and tuples brace lists."""
    if isinstance(value, dict):
        return c_struct(**value)
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(c_value(v) for v in value) + "}"
    return str(value)


def c_struct(**fields) -> str:
    """A designated initializer; nested dicts become nested braces: {.stride = {.w = 1, .h = 1}}."""
    return "{" + ", ".join(f".{name} = {c_value(value)}" for name, value in fields.items()) + "}"


def _reads_back(text: str, single: np.float32) -> bool:
    """Whether the decimal `text` is `single` read directly as a float, and read as a double first."""
    via_double = np.float32(float(text))
    return via_double.tobytes() == single.tobytes() and np.float32(text).tobytes() == single.tobytes()


def c_float(value: float) -> str:
    """A float literal that is exactly the single-precision value: the shortest decimal that reads
    back as it (9 significant digits where that would not survive a compiler reading the literal as
    a double first), e.g. 0.003921569f. Infinities are GCC/Clang's __builtin_inff(), the default quiet
    NaN (what logf and sqrtf give outside their domain) __builtin_nanf(""), either sign."""
    single = np.float32(value)
    if math.isinf(single):
        return "__builtin_inff()" if single > 0 else "-__builtin_inff()"
    if math.isnan(single):
        bits = int(single.view(np.uint32))
        if bits & 0x7FFFFFFF != 0x7FC00000:
            raise ValueError(f"the NaN 0x{bits:08x} has no C float literal (only the default quiet NaN)")
        return '-__builtin_nanf("")' if bits >> 31 else '__builtin_nanf("")'

    text = str(single)
    if not _reads_back(text, single):
        text = f"{float(single):.9g}"
        if "." not in text and "e" not in text:
            text += ".0"
    return f"{text}f"


def c_dims(n: int, h: int, w: int, c: int) -> str:
    return c_struct(n=n, h=h, w=w, c=c)
