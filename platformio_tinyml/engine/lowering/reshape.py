"""RESHAPE, SQUEEZE, EXPAND_DIMS: the same bytes under another shape, so the output is an alias of
the input. SHAPE: the input's shape, known at build time, copied from flash into its int32 output."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import Alias, ConstTable, KernelCall, LocalConst, kernel_arguments
from ..symbols import tensor_ref
from .data_movement import copy_dims
from .operands import OpNotSupported, describe, elements, input_tensor, output_tensor


def lower_reshape(graph: Graph, op: Operator, path: KernelPath) -> Alias:
    x = input_tensor(graph, op, 0, "input", ("int8", "int16"))
    y = output_tensor(graph, op, (x.dtype,))
    if x.data is not None:
        raise OpNotSupported(f"input '{x.name}' is a constant")
    if elements(x) != elements(y):
        raise OpNotSupported(f"{list(x.shape)} and {list(y.shape)} hold different numbers of elements")
    return Alias(op_index=op.index, opcode=op.opcode, source=x.index, target=y.index,
                 summary=f"{describe(x)} -> {describe(y)}")


def lower_shape(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = input_tensor(graph, op, 0, "input", dtypes=("int8", "int32", "float32", "bool"))
    y = output_tensor(graph, op, dtypes=("int32",))
    if tuple(y.shape) != (len(x.shape),):
        raise OpNotSupported(f"output {list(y.shape)} does not hold the {len(x.shape)} dims of {list(x.shape)}")
    table = ConstTable(f"op{op.index}_dims", "int32_t", tuple(int(d) for d in x.shape))
    size = 4 * len(x.shape)  # bytes
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_copy_s8",
        arguments=kernel_arguments("tinyml_copy_s8", dims="&dims", input=f"(const int8_t *){table.name}",
                                   output=f"(int8_t *){tensor_ref(y)}"),
        reads=(), writes=(y.index,), tables=(table,), summary=f"the shape of {describe(x)}: {list(x.shape)}",
        locals=(LocalConst("tinyml_copy_dims", "dims", copy_dims((size,), (1,), (1,))),))
