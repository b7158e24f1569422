"""One lowering per TFLite op: every parameter computed at build time, one kernel call out.

    steps = lower_graph(graph, KernelPath.DSP, source="kws.tflite")   # [KernelCall | Alias, ...]
"""

from __future__ import annotations

from collections import defaultdict

from ...graph import Graph
from ..cores import KernelPath
from ..errors import UnsupportedModelError
from ..kernel_call import Alias, KernelCall
from ..quantization import QuantizationError
from ..row_groups import find_row_groups
from ..table_groups import find_table_groups
from .batch_matmul import lower_batch_matmul
from .conv_2d import lower_conv_2d
from .data_movement import (lower_concatenation, lower_gather, lower_gather_nd, lower_pack, lower_pad, lower_slice,
                            lower_split, lower_strided_slice, lower_transpose)
from .depthwise_conv_2d import lower_depthwise_conv_2d
from .elementwise import (COMPARISONS, LOGICAL_OPS, lower_binary, lower_comparison, lower_div, lower_extremum,
                          lower_logical, lower_prelu, lower_select)
from .fully_connected import lower_fully_connected
from .lut import (FLOAT_ISLAND_OPS, TABLE_OPS, lower_cast, lower_dequantize, lower_dequantized_table_op, lower_neg,
                  lower_table_op)
from .operands import OpNotSupported, operand_problem
from .pooling import lower_pool_2d
from .rearrange import (lower_batch_to_space_nd, lower_broadcast_to, lower_depth_to_space, lower_fill,
                        lower_mirror_pad, lower_reverse, lower_space_to_batch_nd, lower_space_to_depth, lower_zeros_like)
from .reduce import lower_add_n, lower_arg_extremum, lower_cumsum, lower_l2_normalization, lower_reduce
from .reshape import lower_broadcast_args, lower_reshape, lower_shape
from .resize import lower_resize
from .softmax import lower_softmax
from .svdf import lower_svdf
from .row_group import lower_row_group
from .table_group import lower_table_group
from .lstm import lower_lstm
from .transpose_conv import lower_transpose_conv

LOWERINGS = {
    "ADD": lower_binary,
    "ARG_MAX": lower_arg_extremum,
    "ARG_MIN": lower_arg_extremum,
    "AVERAGE_POOL_2D": lower_pool_2d,
    "BATCH_MATMUL": lower_batch_matmul,
    "CONCATENATION": lower_concatenation,
    "CONV_2D": lower_conv_2d,
    "DEPTHWISE_CONV_2D": lower_depthwise_conv_2d,
    "DEQUANTIZE": lower_dequantize,
    "DIV": lower_div,
    "EXPAND_DIMS": lower_reshape,
    "FULLY_CONNECTED": lower_fully_connected,
    "GATHER": lower_gather,
    "MAX_POOL_2D": lower_pool_2d,
    "MAXIMUM": lower_extremum,
    "MEAN": lower_reduce,
    "MINIMUM": lower_extremum,
    "MUL": lower_binary,
    "NEG": lower_neg,
    "PACK": lower_pack,
    "PAD": lower_pad,
    "PADV2": lower_pad,
    "PRELU": lower_prelu,
    **{opcode: lower_comparison for opcode in COMPARISONS},
    "SELECT_V2": lower_select,
    **{opcode: lower_logical for opcode in LOGICAL_OPS},
    "L2_NORMALIZATION": lower_l2_normalization,
    "CUMSUM": lower_cumsum,
    "BROADCAST_TO": lower_broadcast_to,
    "REVERSE_V2": lower_reverse,
    "FILL": lower_fill,
    "ZEROS_LIKE": lower_zeros_like,
    "CAST": lower_cast,
    "TRANSPOSE_CONV": lower_transpose_conv,
    "SVDF": lower_svdf,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": lower_lstm,
    "ADD_N": lower_add_n,
    "GATHER_ND": lower_gather_nd,
    "SHAPE": lower_shape,
    "BROADCAST_ARGS": lower_broadcast_args,
    "REDUCE_MAX": lower_reduce,
    "REDUCE_MIN": lower_reduce,
    "EMBEDDING_LOOKUP": lower_gather,
    "RESIZE_NEAREST_NEIGHBOR": lower_resize,
    "RESIZE_BILINEAR": lower_resize,
    "DEPTH_TO_SPACE": lower_depth_to_space,
    "SPACE_TO_DEPTH": lower_space_to_depth,
    "SPACE_TO_BATCH_ND": lower_space_to_batch_nd,
    "BATCH_TO_SPACE_ND": lower_batch_to_space_nd,
    "MIRROR_PAD": lower_mirror_pad,
    "RESHAPE": lower_reshape,
    "SLICE": lower_slice,
    "SOFTMAX": lower_softmax,
    "SPLIT": lower_split,
    "SPLIT_V": lower_split,
    "SQUARED_DIFFERENCE": lower_binary,
    "SQUEEZE": lower_reshape,
    "STRIDED_SLICE": lower_strided_slice,
    "SUB": lower_binary,
    "SUM": lower_reduce,
    "TRANSPOSE": lower_transpose,
    "UNPACK": lower_split,
    **{opcode: lower_table_op for opcode in TABLE_OPS},
    **{opcode: lower_dequantized_table_op for opcode in FLOAT_ISLAND_OPS},
}


def lower_graph(graph: Graph, path: KernelPath, source: str = "model") -> list[KernelCall | Alias]:
    """Lowers every op in schedule order; raises UnsupportedModelError listing every op it cannot
    lower (grouped by op type and reason, with how many ops and which tensors), its quantization
    included (scales no kernel can compute with). A row group (row_groups.py) or a table group
    (table_groups.py) is one step, at its last op, unless its ops are better run one by one."""
    steps = []
    refused = defaultdict(list)  # (opcode, reason) -> [op, ...]
    grouped = _grouped_steps(graph, path)
    for op in graph.operators:
        if op.index in grouped:
            if grouped[op.index] is not None:
                steps.append(grouped[op.index])
            continue
        lowering = LOWERINGS.get(op.opcode)
        problem = operand_problem(graph, op)
        if lowering is None or problem is not None:
            refused[(op.opcode, problem or "the engine has no kernel for this op")].append(op)
            continue
        try:
            steps.append(lowering(graph, op, path))
        except (OpNotSupported, QuantizationError) as why:
            refused[(op.opcode, str(why))].append(op)
        except KeyError as missing:
            refused[(op.opcode, f"its options lack {missing}")].append(op)
    if refused:
        raise UnsupportedModelError(source, [_problem(graph, opcode, reason, ops)
                                             for (opcode, reason), ops in refused.items()])
    return steps


def _grouped_steps(graph: Graph, path: KernelPath) -> dict[int, KernelCall | None]:
    """Model op index -> the group's call at its last op, None at its other ops. A group is only
    made of ops the engine runs alone too: the table must not accept what a lowering refuses. A group
    that cannot be lowered (its table too large, say) is looked for again without its first op, so
    a scale after a wide bias add still becomes a table of its own."""
    grouped: dict[int, KernelCall | None] = {}
    groupings = [(find_table_groups, lower_table_group)]
    if path is not KernelPath.MVE:  # Helium's vector kernels run a row group's ops faster one by one
        groupings.insert(0, (find_row_groups, lower_row_group))
    for find, lower in groupings:
        left_out: set[int] = set()
        retry = True
        while retry:
            retry = False
            for group in find(graph, frozenset(grouped) | frozenset(left_out)):
                alone = [index for index in group.ops if not _lowers_alone(graph, graph.operators[index], path)]
                call = None if alone else lower(graph, group, path)
                if call is None:
                    left_out.update(alone or group.ops[:1])
                    retry = True
                    continue
                grouped.update({index: None for index in group.ops[:-1]})
                grouped[group.ops[-1]] = call
    return grouped


def _lowers_alone(graph: Graph, op, path: KernelPath) -> bool:
    if operand_problem(graph, op) is not None:
        return False
    try:
        LOWERINGS[op.opcode](graph, op, path)
    except (OpNotSupported, QuantizationError, KeyError):
        return False
    return True


def _problem(graph: Graph, opcode: str, reason: str, ops) -> str:
    shown = ", ".join(str(op.index) for op in ops[:5]) + (", ..." if len(ops) > 5 else "")
    tensors = ", ".join(f"'{graph.tensors[i].name}'" for op in ops[:2] for i in op.outputs
                        if 0 <= i < len(graph.tensors))
    times = "once" if len(ops) == 1 else f"{len(ops)} times"
    return f"{opcode} ({times}: op {shown}; output {tensors}): {reason}"
