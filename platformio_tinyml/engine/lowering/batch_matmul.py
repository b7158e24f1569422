"""BATCH_MATMUL (int8) -> tinyml_batch_matmul_s8.

adj_x / adj_y are read through element strides (no transposed copy as TFLite Micro makes), batch
dims broadcast as TFLite's (up to three of them, ranks 2 to 5); the RHS may be a constant read in
place from the model. The multiplier is TFLite's: lhs_scale * rhs_scale (float) / output_scale."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, c_struct, kernel_arguments
from ..quantization import activation_range, fully_connected_multiplier, kernel_multiplier
from ..symbols import tensor_ref
from .operands import OpNotSupported, contiguous_strides, describe, input_tensor, output_tensor, per_tensor_quantization

MAX_BATCH_DIMS = 3


def _batch_strides(shape: tuple[int, ...], batch_shape: tuple[int, ...]) -> tuple[int, ...]:
    padded = (1,) * (len(batch_shape) - (len(shape) - 2)) + tuple(shape[:-2])
    matrix = shape[-1] * shape[-2]
    strides = contiguous_strides(padded + (matrix,))[:-1]
    result = []
    for dim, out_dim, stride in zip(padded, batch_shape, strides):
        if dim != out_dim and dim != 1:
            raise OpNotSupported(f"batch dims of {list(shape)} do not broadcast to {list(batch_shape)}")
        result.append(stride if dim == out_dim and dim > 1 else 0)
    return tuple(result)


def lower_batch_matmul(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int8, or int16 (int16x8: tinyml_batch_matmul_s16)."""
    lhs = input_tensor(graph, op, 0, "left", ("int8", "int16"))
    rhs = input_tensor(graph, op, 1, "right", (lhs.dtype,))
    y = output_tensor(graph, op, (lhs.dtype,))
    function = "tinyml_batch_matmul_s16" if lhs.dtype == "int16" else "tinyml_batch_matmul_s8"
    if lhs.data is not None:
        raise OpNotSupported(f"its left operand '{lhs.name}' is a constant")
    for tensor in (lhs, rhs):
        if not 2 <= len(tensor.shape) <= 5:
            raise OpNotSupported(f"'{tensor.name}' has rank {len(tensor.shape)}; TFLite takes 2 to 5")
    adj_x, adj_y = bool(op.options.get("adj_x", False)), bool(op.options.get("adj_y", False))
    rows, depth = (lhs.shape[-1], lhs.shape[-2]) if adj_x else (lhs.shape[-2], lhs.shape[-1])
    rhs_depth, cols = (rhs.shape[-1], rhs.shape[-2]) if adj_y else (rhs.shape[-2], rhs.shape[-1])
    if depth != rhs_depth:
        raise OpNotSupported(f"inner dims differ: {list(lhs.shape)} and {list(rhs.shape)}")
    batch_shape = tuple(y.shape[:-2])
    if tuple(y.shape[-2:]) != (rows, cols) or len(batch_shape) > MAX_BATCH_DIMS:
        raise OpNotSupported(f"output {list(y.shape)} does not match {rows} x {cols}")
    lhs_strides, rhs_strides = _batch_strides(lhs.shape, batch_shape), _batch_strides(rhs.shape, batch_shape)
    pad = MAX_BATCH_DIMS - len(batch_shape)
    if rhs.quantization is not None and len(rhs.quantization.scale) > 1:
        raise OpNotSupported(f"right operand '{rhs.name}' is quantized per channel")
    (lhs_scale, lhs_zp), (rhs_scale, rhs_zp) = per_tensor_quantization(lhs), per_tensor_quantization(rhs)
    out_scale, out_zp = per_tensor_quantization(y)
    if lhs.dtype == "int8":
        multiplier, shift = fully_connected_multiplier(lhs_scale, rhs_scale, out_scale)
    else:  # int16: the scales' product in double (the float product was one off on a zoo matmul)
        multiplier, shift = kernel_multiplier(float(lhs_scale) * float(rhs_scale) / float(out_scale))
    low, high = activation_range("NONE", out_scale, out_zp, y.dtype)  # the type's range
    params = c_struct(lhs_offset=-lhs_zp, rhs_offset=-rhs_zp, output_offset=out_zp, output_multiplier=multiplier,
                      output_shift=shift, activation_min=low, activation_max=high)
    dims = c_struct(
        batch_dims=(1,) * pad + batch_shape, lhs_batch_strides=(0,) * pad + lhs_strides,
        rhs_batch_strides=(0,) * pad + rhs_strides, rows=rows, cols=cols, depth=depth,
        lhs_row_stride=1 if adj_x else depth, lhs_depth_stride=rows if adj_x else 1,
        rhs_depth_stride=1 if adj_y else cols, rhs_col_stride=depth if adj_y else 1)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function,
        arguments=kernel_arguments(function, params="&params", dims="&dims", lhs=tensor_ref(lhs),
                                   rhs=tensor_ref(rhs), output=tensor_ref(y)),
        reads=(lhs.index,) + ((rhs.index,) if rhs.data is None else ()), writes=(y.index,),
        constants=(rhs.index,) if rhs.data is not None else (),
        summary=(f"{describe(lhs)}{'^T' if adj_x else ''} x {describe(rhs)}{'^T' if adj_y else ''} -> "
                 f"{describe(y)}"),
        locals=(LocalConst("tinyml_matmul_params", "params", params),
                LocalConst("tinyml_matmul_dims", "dims", dims)))
