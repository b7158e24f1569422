"""RESHAPE, SQUEEZE, EXPAND_DIMS: the same bytes under another shape, so the output is an alias of
the input."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import Alias
from .operands import OpNotSupported, describe, elements, input_tensor, output_tensor


def lower_reshape(graph: Graph, op: Operator, path: KernelPath) -> Alias:
    x = input_tensor(graph, op, 0, "input")
    y = output_tensor(graph, op)
    if x.data is not None:
        raise OpNotSupported(f"input '{x.name}' is a constant")
    if elements(x) != elements(y):
        raise OpNotSupported(f"{list(x.shape)} and {list(y.shape)} hold different numbers of elements")
    return Alias(op_index=op.index, opcode=op.opcode, source=x.index, target=y.index,
                 summary=f"{describe(x)} -> {describe(y)}")
