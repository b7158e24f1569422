"""Groups of elementwise ops that are, together, a function of one int8 tensor.

GELU's tanh form (x*x, *x, *c, +x, *c, tanh, +1, *x), a DEQUANTIZE -> ELU -> QUANTIZE island, a
bias add followed by a scale: every op of such a group reads only the group's input x, tensors the
group computed from it, and constants, and keeps x's shape. Each output element is then a function
of the one input element at its position (and of the constants there), so the whole group is a
table of x's 256 values, per channel where a constant varies along an axis. This module only finds
the groups (pure graph analysis); reference_tables.group_table computes their tables.

    groups = find_table_groups(graph)   # [TableGroup(input=12, output=20, ops=(14, 15, ..., 21)), ...]
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph, Operator

# Ops whose every output element depends on the input elements at its own position only.
UNARY_OPS = ("ABS", "DEQUANTIZE", "ELU", "HARD_SWISH", "LEAKY_RELU", "LOGISTIC", "NEG", "QUANTIZE", "RELU",
             "RELU6", "RSQRT", "TANH")
BINARY_OPS = ("ADD", "DIV", "MUL", "SQUARED_DIFFERENCE", "SUB")
# A lone op already run through a 256-entry table of its own gains nothing from grouping.
ALREADY_TABLES = ("ABS", "ELU", "HARD_SWISH", "LEAKY_RELU", "LOGISTIC", "QUANTIZE", "RELU", "RELU6", "RSQRT",
                  "TANH")


@dataclass(frozen=True)
class TableGroup:
    input: int                  # the one run-time int8 tensor the group reads
    output: int                 # the one tensor it leaves for the rest of the graph (int8)
    ops: tuple[int, ...]        # model op indices, in schedule order; the last one writes `output`


def find_table_groups(graph: Graph) -> list[TableGroup]:
    """Every largest group, in schedule order; no op is in two groups."""
    consumers = _consumers(graph)
    position = {op.index: number for number, op in enumerate(graph.operators)}
    producer = {t: op for op in graph.operators for t in op.outputs}
    taken: set[int] = set()
    groups = []
    candidates = [*graph.inputs, *(t for op in graph.operators for t in op.outputs)]
    for x in candidates:
        if not _is_run_time_int8(graph, x):
            continue
        start = position[producer[x].index] + 1 if x in producer else 0
        members = _closure(graph, x, graph.operators[start:], taken)
        group = _single_exit_group(graph, x, members, consumers)
        if group is not None:
            groups.append(group)
            taken.update(group.ops)
    return sorted(groups, key=lambda group: position[group.ops[-1]])


def _consumers(graph: Graph) -> dict[int, set[int]]:
    consumers: dict[int, set[int]] = {}
    for op in graph.operators:
        for index in op.inputs:
            consumers.setdefault(index, set()).add(op.index)
    return consumers


def _valid(graph: Graph, index: int) -> bool:
    return 0 <= index < len(graph.tensors)


def _is_run_time_int8(graph: Graph, index: int) -> bool:
    if not _valid(graph, index):
        return False
    tensor = graph.tensors[index]
    return tensor.dtype == "int8" and tensor.data is None and not tensor.is_variable


def _closure(graph: Graph, x: int, later_ops, taken: set[int]) -> list[Operator]:
    """The ops after x's producer that compute, elementwise, from x and constants only."""
    shape = graph.tensors[x].shape
    derived, members = {x}, []
    for op in later_ops:
        if op.index in taken or len(op.outputs) != 1 or not _valid(graph, op.outputs[0]):
            continue
        arity = 1 if op.opcode in UNARY_OPS else 2 if op.opcode in BINARY_OPS else 0
        if arity == 0 or len(op.inputs) != arity or not all(_valid(graph, i) for i in op.inputs):
            continue
        reads_x = [i in derived for i in op.inputs]
        constants = [graph.tensors[i].data is not None for i in op.inputs]
        output = graph.tensors[op.outputs[0]]
        if (any(reads_x) and all(r or c for r, c in zip(reads_x, constants))
                and output.shape == shape and output.data is None):
            members.append(op)
            derived.add(op.outputs[0])
    return members


def _exits(graph: Graph, members: list[Operator], consumers: dict[int, set[int]]) -> set[int]:
    """The members' outputs that something outside the members reads, or that nothing reads."""
    inside = {op.index for op in members}
    return {op.outputs[0] for op in members
            if op.outputs[0] in graph.outputs or not consumers.get(op.outputs[0], set()) <= inside
            or not consumers.get(op.outputs[0])}


def _ancestors(members: list[Operator], tensor: int) -> list[Operator]:
    """The members `tensor` is computed from (itself included), in schedule order."""
    by_output = {op.outputs[0]: op for op in members}
    needed, pending = set(), [tensor]
    while pending:
        op = by_output.get(pending.pop())
        if op is not None and op.index not in needed:
            needed.add(op.index)
            pending.extend(op.inputs)
    return [op for op in members if op.index in needed]


def _single_exit_group(graph: Graph, x: int, members: list[Operator],
                       consumers: dict[int, set[int]]) -> TableGroup | None:
    """The largest part of `members` with one int8 exit, ending in that exit's producer."""
    best = None
    for exit_tensor in _exits(graph, members, consumers):
        part = _ancestors(members, exit_tensor)
        if (graph.tensors[exit_tensor].dtype == "int8" and _exits(graph, part, consumers) == {exit_tensor}
                and (best is None or len(part) > len(best))):
            best = part
    if best is None or (len(best) == 1 and best[0].opcode in ALREADY_TABLES):
        return None
    return TableGroup(input=x, output=best[-1].outputs[0], ops=tuple(op.index for op in best))
