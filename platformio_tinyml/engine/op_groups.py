"""Groups of ops computed from one run-time int8 tensor and constants, with one result the rest
of the graph reads: the shape shared by table groups (table_groups.py) and row groups
(row_groups.py), which differ only in which ops may join. Pure graph analysis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..graph import Graph, Operator


@dataclass(frozen=True)
class OpGroup:
    input: int                  # the one run-time int8 tensor the group reads
    output: int                 # the one tensor it leaves for the rest of the graph (int8)
    ops: tuple[int, ...]        # model op indices, in schedule order; the last one writes `output`


# admits(graph, x, op, derived): whether `op` joins the group of input x, given the tensors the
# group computes so far (x included). accepts(graph, x, ops): whether these ops make a group.
Admits = Callable[[Graph, int, Operator, set], bool]
Accepts = Callable[[Graph, int, list], bool]


def find_groups(graph: Graph, admits: Admits, accepts: Accepts, taken: frozenset[int] = frozenset()) -> list[OpGroup]:
    """Every largest group, in schedule order; no op is in two groups, none is in `taken`."""
    consumers = _consumers(graph)
    position = {op.index: number for number, op in enumerate(graph.operators)}
    producer = {t: op for op in graph.operators for t in op.outputs}
    taken = set(taken)
    groups = []
    for x in [*graph.inputs, *(t for op in graph.operators for t in op.outputs)]:
        if not is_run_time_int8(graph, x):
            continue
        start = position[producer[x].index] + 1 if x in producer else 0
        members = _closure(graph, x, graph.operators[start:], taken, admits)
        part = _single_exit_part(graph, members, consumers)
        if part and accepts(graph, x, part):
            groups.append(OpGroup(input=x, output=part[-1].outputs[0], ops=tuple(op.index for op in part)))
            taken.update(op.index for op in part)
    return sorted(groups, key=lambda group: position[group.ops[-1]])


def valid_tensor(graph: Graph, index: int) -> bool:
    return 0 <= index < len(graph.tensors)


def is_run_time_int8(graph: Graph, index: int) -> bool:
    if not valid_tensor(graph, index):
        return False
    tensor = graph.tensors[index]
    return tensor.dtype == "int8" and tensor.data is None and not tensor.is_variable


def is_constant(graph: Graph, index: int) -> bool:
    return graph.tensors[index].data is not None


def _consumers(graph: Graph) -> dict[int, set[int]]:
    consumers: dict[int, set[int]] = {}
    for op in graph.operators:
        for index in op.inputs:
            consumers.setdefault(index, set()).add(op.index)
    return consumers


def _closure(graph: Graph, x: int, later_ops, taken: set[int], admits: Admits) -> list[Operator]:
    """The ops after x's producer that compute from x and constants only and that `admits` takes."""
    derived, members = {x}, []
    for op in later_ops:
        if (op.index in taken or len(op.outputs) != 1 or not valid_tensor(graph, op.outputs[0])
                or not op.inputs or not all(valid_tensor(graph, i) for i in op.inputs)):
            continue
        if (any(i in derived for i in op.inputs) and all(i in derived or is_constant(graph, i) for i in op.inputs)
                and not is_constant(graph, op.outputs[0]) and admits(graph, x, op, derived)):
            members.append(op)
            derived.add(op.outputs[0])
    return members


def _exits(graph: Graph, members: list[Operator], consumers: dict[int, set[int]]) -> set[int]:
    """The members' outputs that something outside the members reads, or that nothing reads."""
    inside = {op.index for op in members}
    return {op.outputs[0] for op in members
            if op.outputs[0] in graph.outputs or not consumers.get(op.outputs[0]) or
            not consumers[op.outputs[0]] <= inside}


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


def _single_exit_part(graph: Graph, members: list[Operator], consumers: dict[int, set[int]]) -> list[Operator]:
    """The largest part of `members` with one int8 exit, ending in that exit's producer."""
    best: list[Operator] = []
    for exit_tensor in sorted(_exits(graph, members, consumers)):
        part = _ancestors(members, exit_tensor)
        if (graph.tensors[exit_tensor].dtype == "int8" and _exits(graph, part, consumers) == {exit_tensor}
                and len(part) > len(best)):
            best = part
    return best
