"""Output shapes of the elementwise ops: a unary op's output has its input's shape, a binary op's
the broadcast of its inputs' shapes. TFLite Micro does not resize outputs; its kernels walk the shapes
as given, so an output of another shape makes it compute something else than the engine (seen
by the fuzzer: a SOFTMAX writing [1, 1, 12] from [1, 12]). Converters always write these shapes."""

from __future__ import annotations

from .model import Graph, Operator
from .op_rules import BINARY_ELEMENTWISE, UNARY_ELEMENTWISE
from .problems import operand


def elementwise_problems(graph: Graph, op: Operator) -> list[str]:
    """For an op whose operand counts and types passed the other checks."""
    if op.opcode in UNARY_ELEMENTWISE:
        expected, because = graph.tensors[op.inputs[0]].shape, "its input's shape"
    elif op.opcode in BINARY_ELEMENTWISE:
        a, b = (graph.tensors[index].shape for index in op.inputs[:2])
        expected, because = broadcast_shape(a, b), f"the broadcast of {list(a)} and {list(b)}"
        if expected is None:
            return [f"{operand(op, 'input', 1, graph.tensors[op.inputs[1]])} has shape {list(b)}, which does not "
                    f"broadcast with input 0's {list(a)}"]
    else:
        return []
    output = graph.tensors[op.outputs[0]]
    if output.shape == expected:
        return []
    return [f"{operand(op, 'output', 0, output)} has shape {list(output.shape)}; {op.opcode}'s output has "
            f"{because}, {list(expected)}"]


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """numpy's (and TFLite's) broadcast of two shapes, or None when they do not broadcast."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        return None
    return tuple(max(x, y) for x, y in zip(a, b))
