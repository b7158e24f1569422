"""The README's op coverage table: every builtin op the engine lowers, the types it runs them in and
whose kernel does the work. The ops are the lowering registry's own (a test keeps KERNELS equal to
it), so the table cannot list an op the engine does not run, nor leave one out.

    print(coverage_markdown())   # what scripts/op_coverage prints and the README holds
"""

from __future__ import annotations

from .lowering import LOWERINGS
from .lowering.elementwise import COMPARISONS, LOGICAL_OPS
from .lowering.lut import FLOAT_ISLAND_OPS, TABLE_OPS

_TABLE = "ours: a 256-entry table computed at build time by TFLite Micro's reference"
_ALIAS = "none: the output aliases the input"

# op -> whose kernel runs it ("CMSIS-NN" for CMSIS-NN's, "ours" for the runtime's own), in int8 unless
# TYPES says otherwise.
KERNELS: dict[str, str] = {
    "ADD": "CMSIS-NN (same shapes); ours (broadcasting, a constant's terms at build time)",
    "ADD_N": "ours",
    "ARG_MAX": "ours",
    "ARG_MIN": "ours",
    "AVERAGE_POOL_2D": "CMSIS-NN",
    "BATCH_MATMUL": "ours",
    "BATCH_TO_SPACE_ND": "ours",
    "BROADCAST_TO": "ours",
    "CAST": "ours (to float32 by a 256-entry table computed at build time by TFLite Micro's reference)",
    "CONCATENATION": "ours",
    "CONV_2D": "CMSIS-NN; on Helium, for up to 3 input channels, our column builder before CMSIS-NN's matrix product",
    "CUMSUM": "ours",
    "DEPTHWISE_CONV_2D": "ours for depth multiplier 1 on the DSP and Helium cores (the input offset folded into "
                         "the bias at build time); CMSIS-NN otherwise",
    "DEPTH_TO_SPACE": "ours",
    "DEQUANTIZE": "ours (or a table into the float op after it)",
    "DIV": "ours (int8: TFLite Micro's integer steps, rounded where its final shift passes 31 bits, which "
           "C leaves undefined)",
    "EMBEDDING_LOOKUP": "ours",
    "EXPAND_DIMS": _ALIAS,
    "FILL": "ours",
    "FULLY_CONNECTED": "CMSIS-NN; ours for one row of per-channel weights on the DSP cores",
    "GATHER": "ours",
    "GATHER_ND": "ours (constant indices, flattened at build time)",
    "L2_NORMALIZATION": "ours",
    "MAXIMUM": "ours",
    "MAX_POOL_2D": "CMSIS-NN",
    "MEAN": "ours",
    "MINIMUM": "ours",
    "MIRROR_PAD": "ours",
    "MUL": "CMSIS-NN (same shapes); ours (broadcasting)",
    "NEG": "ours",
    "PACK": "ours",
    "PAD": "ours",
    "PADV2": "ours",
    "PRELU": "ours: a table per channel for a constant alpha along one axis (built by TFLite Micro's reference)",
    "REDUCE_MAX": "ours",
    "REDUCE_MIN": "ours",
    "RESHAPE": _ALIAS,
    "RESIZE_BILINEAR": "ours: neighbours and weights per row and column from build-time tables",
    "RESIZE_NEAREST_NEIGHBOR": "ours: source rows and columns from build-time tables",
    "REVERSE_V2": "ours",
    "SELECT_V2": "ours",
    "SHAPE": "none: the shape, known at build time, copied from flash",
    "BROADCAST_ARGS": "none: of constant shapes, computed at build time, copied from flash",
    "SLICE": "ours",
    "SOFTMAX": "ours: exponentials from a build-time table, CMSIS-NN's arithmetic around them",
    "SPACE_TO_BATCH_ND": "ours",
    "SPACE_TO_DEPTH": "ours",
    "SPLIT": "ours",
    "SPLIT_V": "ours",
    "SQUARED_DIFFERENCE": "ours",
    "SQUEEZE": _ALIAS,
    "STRIDED_SLICE": "ours",
    "SUB": "ours",
    "SUM": "ours",
    "TRANSPOSE": "ours",
    "TRANSPOSE_CONV": "ours",
    "SVDF": "ours",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "ours: CMSIS-NN's matrix-vector products, TFLite Micro's steps around them",
    "UNPACK": "ours",
    "ZEROS_LIKE": "ours",
    **{opcode: "ours" for opcode in (*COMPARISONS, *LOGICAL_OPS)},
    **{opcode: _TABLE for opcode in TABLE_OPS if opcode != "QUANTIZE"},
    **{opcode: "ours: after a DEQUANTIZE, a 256-entry float table computed at build time by TFLite Micro's "
               "reference (with a QUANTIZE after it, one int8 table)" for opcode in FLOAT_ISLAND_OPS},
    "QUANTIZE": "ours (from float32); int8 to int8 by " + _TABLE.removeprefix("ours: "),
}

# The types an op runs in where they are not int8 in, int8 out.
TYPES = {"ARG_MAX": "int8 -> int32", "ARG_MIN": "int8 -> int32", "CAST": "int8 -> float32, int16, int32", "DEQUANTIZE": "int8 -> float32", "DIV": "int8, float32", "NEG": "float32",
         "QUANTIZE": "float32 -> int8, int8 -> int8", **{opcode: "int8 -> bool" for opcode in COMPARISONS},
         "SELECT_V2": "bool ? int8 : int8", "SHAPE": "any -> int32", "BROADCAST_ARGS": "int32",
         "SVDF": "int8, int16 state", "UNIDIRECTIONAL_SEQUENCE_LSTM": "int8, int16 cell state",
         **{opcode: "bool" for opcode in LOGICAL_OPS},
         **{opcode: "float32, of a DEQUANTIZE of int8" for opcode in FLOAT_ISLAND_OPS}}

# Ops the engine runs with int16 activations (int16x8 models), and whose kernel does.
INT16_KERNELS = {"ADD": "ours", "DEQUANTIZE": "ours (int16 -> float32)", "QUANTIZE": "ours (float32 -> int16)", "AVERAGE_POOL_2D": "CMSIS-NN (arm_avgpool_s16)", "BATCH_MATMUL": "ours",
                 "MAX_POOL_2D": "CMSIS-NN (arm_max_pool_s16)", "MAXIMUM": "ours", "MINIMUM": "ours", "CONCATENATION": "ours", "PACK": "ours", "SLICE": "ours",
                 "SPLIT": "ours", "SPLIT_V": "ours", "UNPACK": "ours", "CONV_2D": "CMSIS-NN (arm_convolve_wrapper_s16)",
                 "DEPTHWISE_CONV_2D": "CMSIS-NN (arm_depthwise_conv_wrapper_s16)", "FULLY_CONNECTED": "ours",
                 "LOGISTIC": "ours", "MEAN": "ours", "MUL": "ours", "PAD": "ours", "RELU": "ours", "LEAKY_RELU": "ours", "RSQRT": "ours",
                 "SOFTMAX": "CMSIS-NN (arm_softmax_s16) with TFLite Micro's tables", "SUM": "ours",
                 "RESHAPE": "none: an alias", "SQUARED_DIFFERENCE": "ours", "STRIDED_SLICE": "ours", "SUB": "ours",
                 "TANH": "ours",
                 "TRANSPOSE": "ours"}


def coverage_rows() -> list[tuple[str, str, str, str]]:
    """(op, types, int16 activations, kernel) for every op the engine lowers, by name."""
    return [(opcode, TYPES.get(opcode, "int8"), f"yes: {INT16_KERNELS[opcode]}" if opcode in INT16_KERNELS else "no",
             KERNELS[opcode])
            for opcode in sorted(LOWERINGS)]


def coverage_markdown() -> str:
    lines = ["| op | types | int16 activations | kernel |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in coverage_rows()]
    return "\n".join(lines) + "\n"
