"""Groups of ops that work row by row along the last axis of one int8 tensor: LayerNorm's chain.

MEAN(x), SQUARED_DIFFERENCE(x, mean), MEAN, ADD eps, RSQRT, MUL gamma, MUL, MUL, SUB from beta,
ADD: every op reads the group's input x [..., C], values the group computed from it (rows of C,
or one value a row from a MEAN or SUM over the last axis) and constants that vary along the last
axis at most. Each output row then depends on its input row only, so the group can run as one
loop over rows keeping every value in registers (lowering/row_group.py). This module only finds
the groups (pure graph analysis).

    groups = find_row_groups(graph)   # [OpGroup(input=60, output=80, ops=(6, 7, ..., 15)), ...]
"""

from __future__ import annotations

from ..graph import Graph, Operator
from .op_groups import OpGroup, find_groups, is_constant

REDUCTIONS = ("MEAN", "SUM")
UNARY_OPS = ("ABS", "ELU", "HARD_SWISH", "LEAKY_RELU", "LOGISTIC", "RELU", "RELU6", "RSQRT", "TANH")
BINARY_OPS = ("ADD", "MUL", "SQUARED_DIFFERENCE", "SUB")


def find_row_groups(graph: Graph, taken: frozenset[int] = frozenset()) -> list[OpGroup]:
    """Every largest row group, in schedule order, of ops not in `taken`: at least one reduction
    and one more op."""
    return find_groups(graph, _admits, _accepts, taken)


def row_shapes(graph: Graph, x: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(a row tensor's shape, a one-value-a-row tensor's shape) for the group of input x."""
    shape = tuple(graph.tensors[x].shape)
    return shape, shape[:-1] + (1,)


def _admits(graph: Graph, x: int, op: Operator, derived: set) -> bool:
    rows, per_row = row_shapes(graph, x)
    if len(rows) < 1 or rows[-1] < 2:
        return False
    output = graph.tensors[op.outputs[0]]
    if output.dtype != "int8":
        return False
    if op.opcode in REDUCTIONS:
        return (len(op.inputs) == 2 and op.inputs[0] in derived and graph.tensors[op.inputs[0]].shape == rows
                and _reduces_last_axis(graph, op, len(rows)) and output.shape == per_row)
    arity = 1 if op.opcode in UNARY_OPS else 2 if op.opcode in BINARY_OPS else 0
    if len(op.inputs) != arity or output.shape not in (rows, per_row):
        return False
    for index in op.inputs:
        tensor = graph.tensors[index]
        if tensor.dtype != "int8" or (is_constant(graph, index) and not _varies_along_last_axis_only(tensor.shape, rows)):
            return False
    return arity == 2 or output.shape == graph.tensors[op.inputs[0]].shape


def _reduces_last_axis(graph: Graph, op: Operator, rank: int) -> bool:
    axes = graph.tensors[op.inputs[1]]
    if axes.data is None or axes.dtype not in ("int32", "int64") or not op.options.get("keep_dims", False):
        return False
    return {int(a) % rank for a in axes.data.reshape(-1)} == {rank - 1}


def _varies_along_last_axis_only(shape: tuple[int, ...], rows: tuple[int, ...]) -> bool:
    """A constant [C], [1, 1, C], [1] or a scalar: the same for every row."""
    return len(shape) <= len(rows) and all(d == 1 for d in shape[:-1]) and (not shape or shape[-1] in (1, rows[-1]))


def _accepts(graph: Graph, x: int, ops: list[Operator]) -> bool:
    return len(ops) >= 2 and any(op.opcode in REDUCTIONS for op in ops)
