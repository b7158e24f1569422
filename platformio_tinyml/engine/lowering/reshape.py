"""RESHAPE, SQUEEZE, EXPAND_DIMS: the same bytes under another shape, so the output is an alias of
the input. SHAPE: the input's shape, known at build time, copied from flash into its int32 output;
BROADCAST_ARGS of constant shapes likewise."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import Alias, ConstTable, KernelCall, LocalConst, kernel_arguments
from ..symbols import tensor_ref
from .data_movement import copy_dims
from .operands import OpNotSupported, constant_ints, describe, elements, input_tensor, output_tensor


def lower_reshape(graph: Graph, op: Operator, path: KernelPath) -> Alias:
    x = input_tensor(graph, op, 0, "input", ("int8", "int16"))
    y = output_tensor(graph, op, (x.dtype,))
    if x.data is not None:
        raise OpNotSupported(f"input '{x.name}' is a constant")
    if elements(x) != elements(y):
        raise OpNotSupported(f"{list(x.shape)} and {list(y.shape)} hold different numbers of elements")
    return Alias(op_index=op.index, opcode=op.opcode, source=x.index, target=y.index,
                 summary=f"{describe(x)} -> {describe(y)}")


def _dims_from_flash(op: Operator, dims: tuple[int, ...], y, summary: str) -> KernelCall:
    """The int32 output `dims`, known at build time, copied from a table in flash."""
    if tuple(y.shape) != (len(dims),):
        raise OpNotSupported(f"output {list(y.shape)} does not hold the {len(dims)} values {list(dims)}")
    table = ConstTable(f"op{op.index}_dims", "int32_t", tuple(int(d) for d in dims))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_copy_s8",
        arguments=kernel_arguments("tinyml_copy_s8", dims="&dims", input=f"(const int8_t *){table.name}",
                                   output=f"(int8_t *){tensor_ref(y)}"),
        reads=(), writes=(y.index,), tables=(table,), summary=summary,
        locals=(LocalConst("tinyml_copy_dims", "dims", copy_dims((4 * len(dims),), (1,), (1,))),))


def lower_shape(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = input_tensor(graph, op, 0, "input", dtypes=("int8", "int16", "int32", "float32", "bool"))
    y = output_tensor(graph, op, dtypes=("int32",))
    return _dims_from_flash(op, tuple(x.shape), y, f"the shape of {describe(x)}: {list(x.shape)}")


def lower_broadcast_args(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """BROADCAST_ARGS of two constant shapes: their broadcast shape, computed here."""
    first, second = (constant_ints(graph, op, n, f"shape {n}") for n in (0, 1))
    y = output_tensor(graph, op, dtypes=("int32",))
    rank = max(len(first), len(second))
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in (first, second)]
    if any(a != b and 1 not in (a, b) for a, b in zip(*padded)):
        raise OpNotSupported(f"shapes {list(first)} and {list(second)} do not broadcast")
    dims = tuple(max(a, b) if 0 not in (a, b) else 0 for a, b in zip(*padded))
    return _dims_from_flash(op, dims, y, f"broadcast of {list(first)} and {list(second)}: {list(dims)}")
