"""What TFLite Micro's kernels require of each op the engine runs: operand counts, which inputs may be
absent (-1), which options table the op reads, and how its operand types go together.

Read off the kernels' Prepare steps (tensorflow/tflite-micro, tensorflow/lite/micro/kernels/): e.g.
CONV_2D takes 2 or 3 inputs and tolerates an absent bias, while DEPTHWISE_CONV_2D always reads its
bias (TFLite Micro's depthwise Prepare releases it unconditionally, so a missing one crashes it);
FULLY_CONNECTED's bias is optional. An op without a rule here gets the model-wide checks only.
"""

from __future__ import annotations

from typing import NamedTuple

from .schema import BUILTIN_OPTIONS

MANY = 1 << 30  # no upper bound on the input count (CONCATENATION)


class OpRule(NamedTuple):
    inputs: tuple[int, int]                  # (fewest, most) inputs
    options: str                             # the options table the op reads
    optional: frozenset[int] = frozenset()   # input positions that may be -1 (absent)
    options_required: bool = False           # False: NONE is accepted and means the defaults
    same_type: tuple[int, ...] = (0,)        # input positions whose type must equal output 0's
    several_outputs: bool = False            # False: exactly one output; True: at least one


def _rule(fewest: int, most: int, options: str, optional=(), required=False, same_type=(0,),
          several_outputs=False) -> OpRule:
    return OpRule((fewest, most), options, frozenset(optional), required, tuple(same_type), several_outputs)


def _own_options(opcode: str) -> str:
    """ABS reads AbsOptions; RELU has no options table in the schema, so only NONE fits it."""
    name = opcode.title().replace("_", "") + "Options"
    return name if name in BUILTIN_OPTIONS else "NONE"


_BINARY = dict(same_type=(0, 1))
_FLOAT_UNARY = ("CEIL", "COS", "EXP", "FLOOR", "LOG", "ROUND", "SIN", "SQRT", "SQUARE")  # float32 in TFLite Micro
_COMPARISONS = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")
_UNARY_TABLE = ("ABS", "ELU", "HARD_SWISH", "LOGISTIC", "RELU", "RELU6", "RSQRT", "TANH")

OP_RULES: dict[str, OpRule] = {
    "ADD": _rule(2, 2, "AddOptions", **_BINARY),
    "SUB": _rule(2, 2, "SubOptions", **_BINARY),
    "MUL": _rule(2, 2, "MulOptions", **_BINARY),
    "DIV": _rule(2, 2, "DivOptions", **_BINARY),
    "SQUARED_DIFFERENCE": _rule(2, 2, "SquaredDifferenceOptions", **_BINARY),
    "MAXIMUM": _rule(2, 2, "MaximumMinimumOptions", **_BINARY),
    "MINIMUM": _rule(2, 2, "MaximumMinimumOptions", **_BINARY),
    "PRELU": _rule(2, 2, "NONE", **_BINARY),
    **{opcode: _rule(2, 2, _own_options(opcode), same_type=()) for opcode in _COMPARISONS},
    "SELECT_V2": _rule(3, 3, "SelectV2Options", same_type=(1, 2)),
    "LOGICAL_AND": _rule(2, 2, "LogicalAndOptions", **_BINARY),
    "LOGICAL_OR": _rule(2, 2, "LogicalOrOptions", **_BINARY),
    "LOGICAL_NOT": _rule(1, 1, "LogicalNotOptions"),
    "L2_NORMALIZATION": _rule(1, 1, "L2NormOptions"),
    "CUMSUM": _rule(2, 2, "CumsumOptions"),
    "BROADCAST_TO": _rule(2, 2, "BroadcastToOptions"),
    "REVERSE_V2": _rule(2, 2, "ReverseV2Options"),
    "FILL": _rule(2, 2, "FillOptions", same_type=(1,)),
    "ZEROS_LIKE": _rule(1, 1, "ZerosLikeOptions"),
    "CAST": _rule(1, 1, "CastOptions", same_type=()),
    "ADD_N": _rule(2, MANY, "AddNOptions"),
    "GATHER_ND": _rule(2, 2, "GatherNdOptions"),
    "SHAPE": _rule(1, 1, "ShapeOptions", same_type=()),
    "BROADCAST_ARGS": _rule(2, 2, "NONE", same_type=(0, 1)),
    "TRANSPOSE_CONV": _rule(3, 4, "TransposeConvOptions", optional=(3,), required=True, same_type=(2,)),
    # TFLite Micro's Prepare reads the bias's scale unconditionally: present, though the schema allows -1.
    "SVDF": _rule(5, 5, "SVDFOptions", required=True),
    # 24 inputs (lstm_shared.h): the peephole (9-11), projection (16, 17) and layer-norm (20-23) ones
    # and CIFG's input gate (1, 5, 12) may be absent; the lowering names the variants it does not run.
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _rule(24, 24, "UnidirectionalSequenceLSTMOptions",
                                          optional=(1, 5, 9, 10, 11, 12, 16, 17, 20, 21, 22, 23), required=True),
    "AVERAGE_POOL_2D": _rule(1, 1, "Pool2DOptions", required=True),
    "MAX_POOL_2D": _rule(1, 1, "Pool2DOptions", required=True),
    "BATCH_MATMUL": _rule(2, 2, "BatchMatMulOptions", same_type=(0,)),
    "CONCATENATION": _rule(1, MANY, "ConcatenationOptions"),
    "CONV_2D": _rule(2, 3, "Conv2DOptions", optional=(2,), required=True),
    "DEPTHWISE_CONV_2D": _rule(3, 3, "DepthwiseConv2DOptions", required=True),
    "FULLY_CONNECTED": _rule(2, 3, "FullyConnectedOptions", optional=(2,)),
    "DEQUANTIZE": _rule(1, 1, "DequantizeOptions", same_type=()),
    "QUANTIZE": _rule(1, 1, "QuantizeOptions", same_type=()),
    "EXPAND_DIMS": _rule(2, 2, "ExpandDimsOptions"),
    "GATHER": _rule(2, 2, "GatherOptions"),
    "MEAN": _rule(2, 2, "ReducerOptions"),
    "SUM": _rule(2, 2, "ReducerOptions"),
    "REDUCE_MAX": _rule(2, 2, "ReducerOptions"),
    "REDUCE_MIN": _rule(2, 2, "ReducerOptions"),
    "NEG": _rule(1, 1, "NegOptions"),
    "PAD": _rule(2, 3, "PadOptions", optional=(2,)),
    "PADV2": _rule(2, 3, "PadV2Options", optional=(2,)),
    "RESHAPE": _rule(1, 2, "ReshapeOptions", optional=(1,)),
    "SOFTMAX": _rule(1, 1, "SoftmaxOptions", required=True, same_type=()),
    "SQUEEZE": _rule(1, 1, "SqueezeOptions"),
    "STRIDED_SLICE": _rule(3, 4, "StridedSliceOptions"),
    "SLICE": _rule(3, 3, "SliceOptions"),
    "ARG_MAX": _rule(2, 2, "ArgMaxOptions", same_type=()),
    "ARG_MIN": _rule(2, 2, "ArgMinOptions", same_type=()),
    "PACK": _rule(1, MANY, "PackOptions"),
    "UNPACK": _rule(1, 1, "UnpackOptions", several_outputs=True),
    "SPLIT": _rule(2, 2, "SplitOptions", same_type=(1,), several_outputs=True),
    "SPLIT_V": _rule(3, 3, "SplitVOptions", several_outputs=True),
    "TRANSPOSE": _rule(2, 2, "TransposeOptions"),
    "DEPTH_TO_SPACE": _rule(1, 1, "DepthToSpaceOptions"),
    "SPACE_TO_DEPTH": _rule(1, 1, "SpaceToDepthOptions"),
    "SPACE_TO_BATCH_ND": _rule(3, 3, "SpaceToBatchNDOptions"),
    "BATCH_TO_SPACE_ND": _rule(3, 3, "BatchToSpaceNDOptions"),
    "MIRROR_PAD": _rule(2, 2, "MirrorPadOptions"),
    "EMBEDDING_LOOKUP": _rule(2, 2, "NONE", same_type=(1,)),
    "RESIZE_NEAREST_NEIGHBOR": _rule(2, 2, "ResizeNearestNeighborOptions"),
    "RESIZE_BILINEAR": _rule(2, 2, "ResizeBilinearOptions"),
    "LEAKY_RELU": _rule(1, 1, "LeakyReluOptions"),
    **{opcode: _rule(1, 1, _own_options(opcode), same_type=()) for opcode in _UNARY_TABLE},
    **{opcode: _rule(1, 1, _own_options(opcode)) for opcode in _FLOAT_UNARY},
}

# Ops computing one output element per element: the output has input 0's shape, or the broadcast of
# inputs 0 and 1 (see elementwise_checks).
UNARY_ELEMENTWISE = frozenset({*_UNARY_TABLE, *_FLOAT_UNARY, "LOGICAL_NOT", "SOFTMAX", "LEAKY_RELU", "NEG", "QUANTIZE", "DEQUANTIZE"})
BINARY_ELEMENTWISE = frozenset({"ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "PRELU",
                                "LOGICAL_AND", "LOGICAL_OR", *_COMPARISONS})

# Ops that convolve: (weights position, bias position, the filter dimension TFLite Micro quantizes
# per channel along). Their weights and bias types follow the input's (see WEIGHT_TYPES).
WEIGHTED_OPS = {"CONV_2D": (1, 2, 0), "DEPTHWISE_CONV_2D": (1, 2, 3), "FULLY_CONNECTED": (1, 2, 0)}

# input type -> (weight types, bias types) TFLite Micro's kernels accept.
WEIGHT_TYPES = {
    "float32": (("float32",), ("float32",)),
    "int8": (("int8", "int4"), ("int32",)),
    "int16": (("int8",), ("int32", "int64")),
}

# Ops with a window: which options fields must be at least 1.
WINDOW_FIELDS = {
    "Conv2DOptions": ("stride_w", "stride_h", "dilation_w_factor", "dilation_h_factor"),
    "DepthwiseConv2DOptions": ("stride_w", "stride_h", "dilation_w_factor", "dilation_h_factor"),
    "Pool2DOptions": ("stride_w", "stride_h", "filter_width", "filter_height"),
    "TransposeConvOptions": ("stride_w", "stride_h"),
}
