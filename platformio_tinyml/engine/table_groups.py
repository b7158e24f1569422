"""Groups of elementwise ops that are, together, a function of one int8 tensor.

GELU's tanh form (x*x, *x, *c, +x, *c, tanh, +1, *x), a DEQUANTIZE -> ELU -> QUANTIZE island, a
bias add followed by a scale: every op of such a group reads only the group's input x, tensors the
group computed from it, and constants, and keeps x's shape. Each output element is then a function
of the one input element at its position (and of the constants there), so the whole group is a
table of x's 256 values, per channel where a constant varies along an axis. This module only finds
the groups (pure graph analysis); reference_tables.group_table computes their tables.

    groups = find_table_groups(graph)   # [OpGroup(input=12, output=20, ops=(14, 15, ..., 21)), ...]
"""

from __future__ import annotations

from ..graph import Graph, Operator
from .op_groups import OpGroup, find_groups

# Ops whose every output element depends on the input elements at its own position only.
UNARY_OPS = ("ABS", "CEIL", "COS", "DEQUANTIZE", "ELU", "EXP", "FLOOR", "HARD_SWISH", "LEAKY_RELU", "LOG",
             "LOGISTIC", "NEG", "QUANTIZE", "RELU", "RELU6", "ROUND", "RSQRT", "SIN", "SQRT", "SQUARE", "TANH")
BINARY_OPS = ("ADD", "DIV", "MUL", "PRELU", "SQUARED_DIFFERENCE", "SUB")
# A lone op already run through a 256-entry table of its own gains nothing from grouping.
ALREADY_TABLES = ("ABS", "ELU", "HARD_SWISH", "LEAKY_RELU", "LOGISTIC", "QUANTIZE", "RELU", "RELU6", "RSQRT",
                  "TANH")


def find_table_groups(graph: Graph, taken: frozenset[int] = frozenset()) -> list[OpGroup]:
    """Every largest table group, in schedule order, of ops not in `taken`."""
    return find_groups(graph, _admits, _accepts, taken)


def _admits(graph: Graph, x: int, op: Operator, derived: set) -> bool:
    if op.opcode == "DIV" and graph.tensors[op.outputs[0]].dtype == "int8":
        # TFLite Micro's int8 DIV shifts past 31 bits for small numerators (undefined in C: the host's
        # reference answers 127 for 1 / 127), so a table made by it would keep that; the kernel rounds.
        return False
    arity = 1 if op.opcode in UNARY_OPS else 2 if op.opcode in BINARY_OPS else 0
    return len(op.inputs) == arity and graph.tensors[op.outputs[0]].shape == graph.tensors[x].shape


def _accepts(graph: Graph, x: int, ops: list[Operator]) -> bool:
    return not (len(ops) == 1 and ops[0].opcode in ALREADY_TABLES)
