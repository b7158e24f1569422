"""How a model problem is worded: which operator (index, type) and tensor (index, name) it is about.

    uses = first_uses(graph)
    where(uses, tensor)   # "operator 3 (SOFTMAX), output 0 = tensor 9 'labels_softmax'"
"""

from __future__ import annotations

from .model import Graph, Operator, Tensor


def tensor_label(tensor: Tensor) -> str:
    return f"tensor {tensor.index} '{tensor.name}'" if tensor.name else f"tensor {tensor.index}"


def op_label(op: Operator) -> str:
    return f"operator {op.index} ({op.opcode})"


def operand(op: Operator, role: str, position: int, tensor: Tensor) -> str:
    """'operator 1 (CONV_2D), input 2 = tensor 4 'bias''."""
    return f"{op_label(op)}, {role} {position} = {tensor_label(tensor)}"


def first_uses(graph: Graph) -> dict[int, str]:
    """Tensor index -> where it first appears: an operator's operand, else a graph input/output."""
    uses: dict[int, str] = {}
    for op in graph.operators:
        for role, indices in (("input", op.inputs), ("output", op.outputs)):
            for position, index in enumerate(indices):
                if 0 <= index < len(graph.tensors) and index not in uses:
                    uses[index] = operand(op, role, position, graph.tensors[index])
    for role, indices in (("input", graph.inputs), ("output", graph.outputs)):
        for position, index in enumerate(indices):
            if 0 <= index < len(graph.tensors) and index not in uses:
                uses[index] = f"graph {role} {position} = {tensor_label(graph.tensors[index])}"
    return uses


def where(uses: dict[int, str], tensor: Tensor) -> str:
    return uses.get(tensor.index, tensor_label(tensor))


def shape_text(shape: tuple[int, ...]) -> str:
    return str(list(shape))
