"""MEAN, SUM, REDUCE_MAX, REDUCE_MIN (int8, any axes, keep_dims either way) -> tinyml_reduce_s8; ARG_MAX,
ARG_MIN (int8 -> int32 indices along one axis) -> tinyml_arg_extremum_s8; L2_NORMALIZATION along the last
axis -> tinyml_l2_normalization_s8; CUMSUM and ADD_N -> tinyml_cumsum_s8 and tinyml_add_n_s8.

TFLite Micro's reference (its integer path, whatever the quantization): the int32 sum of the raw
int8 values per output minus input_zero_point * count, requantized by input_scale / output_scale;
for MEAN that multiplier first absorbs 1 / count (mean_multiplier), then the output zero point is
added and the result clamped. REDUCE_MAX, REDUCE_MIN: the largest (smallest) raw value, the output
quantized as the input."""

from __future__ import annotations

import numpy as np

from ...graph import Graph, Operator, Tensor
from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, c_struct, kernel_arguments
from ..quantization import (kernel_multiplier, mean_multiplier, positive_scales,
                            quantize_multiplier_smaller_than_one)
from ..symbols import tensor_ref
from .operands import (OpNotSupported, constant_ints, contiguous_strides, describe, elements, input_tensor,
                       output_tensor, per_tensor_quantization, run_time)

MAX_RANK = 6


def resolve_axes(axes: tuple[int, ...], rank: int) -> tuple[int, ...]:
    resolved = []
    for axis in axes:
        if not -rank <= axis < rank:
            raise OpNotSupported(f"axis {axis} is outside a rank-{rank} input")
        axis = axis + rank if axis < 0 else axis
        if axis not in resolved:
            resolved.append(axis)
    return tuple(sorted(resolved))


def reduced_axes(graph: Graph, op: Operator) -> tuple[int, ...]:
    """The axes a MEAN or SUM reduces, resolved to 0..rank-1 and sorted."""
    x = run_time(input_tensor(graph, op, 0, "input", ("int8", "int16")), "input")
    if len(x.shape) > MAX_RANK:
        raise OpNotSupported(f"input has {len(x.shape)} dims; the kernel takes up to {MAX_RANK}")
    return resolve_axes(constant_ints(graph, op, 1, "axes"), len(x.shape))


def reduce_params(graph: Graph, op: Operator) -> dict:
    """The fields of tinyml_reduce_params."""
    x = run_time(input_tensor(graph, op, 0, "input", ("int8", "int16")), "input")
    y = output_tensor(graph, op, (x.dtype,))
    axes = reduced_axes(graph, op)
    kept = [d for d in range(len(x.shape)) if d not in axes]
    count = int(np.prod([x.shape[d] for d in axes], dtype=np.int64)) if axes else 1
    if int(np.prod([x.shape[d] for d in kept], dtype=np.int64)) != int(np.prod(y.shape, dtype=np.int64)):
        raise OpNotSupported(f"output {list(y.shape)} does not match reducing {list(x.shape)} over {list(axes)}")
    if count == 0:
        raise OpNotSupported("it reduces an empty dimension")
    if op.opcode in ("REDUCE_MAX", "REDUCE_MIN"):
        if per_tensor_quantization(x) != per_tensor_quantization(y):
            raise OpNotSupported(f"output '{y.name}' is quantized unlike input '{x.name}' (TFLite Micro requires "
                                 "them equal)")
        return {"count": count, "input_zero_point": 0, "multiplier": 0, "shift": 0, "output_zero_point": 0,
                "fold": f"TINYML_{op.opcode}"}
    (in_scale, in_zp), (out_scale, out_zp) = per_tensor_quantization(x), per_tensor_quantization(y)
    in_scale, out_scale = positive_scales(in_scale, out_scale)
    multiplier, shift = kernel_multiplier(in_scale / out_scale)
    if op.opcode == "MEAN":
        multiplier, shift = mean_multiplier(multiplier, shift, count)
    return {"count": count, "input_zero_point": in_zp, "multiplier": multiplier, "shift": shift,
            "output_zero_point": out_zp, "fold": "TINYML_REDUCE_SUM"}


def lower_reduce(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int8; MEAN and SUM on int16 too (tinyml_reduce_s16)."""
    x = run_time(input_tensor(graph, op, 0, "input", ("int8", "int16")), "input")
    y = output_tensor(graph, op, (x.dtype,))
    if x.dtype == "int16" and op.opcode not in ("MEAN", "SUM"):
        raise OpNotSupported(f"{op.opcode} has no int16 kernel here (int16: MEAN, SUM)")
    function = "tinyml_reduce_s16" if x.dtype == "int16" else "tinyml_reduce_s8"
    rank = len(x.shape)
    axes = reduced_axes(graph, op)
    fields = reduce_params(graph, op)
    count = fields["count"]
    params = c_struct(**fields)
    strides = contiguous_strides(x.shape)
    kept = [d for d in range(rank) if d not in axes]
    pad_kept, pad_reduced = MAX_RANK - len(kept), MAX_RANK - len(axes)
    dims = c_struct(
        kept_rank=len(kept), kept_dims=tuple(x.shape[d] for d in kept) + (1,) * pad_kept,
        kept_strides=tuple(strides[d] for d in kept) + (0,) * pad_kept,
        reduced_rank=len(axes), reduced_dims=tuple(x.shape[d] for d in axes) + (1,) * pad_reduced,
        reduced_strides=tuple(strides[d] for d in axes) + (0,) * pad_reduced)
    keep = "kept" if op.options.get("keep_dims", False) else "dropped"
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function,
        arguments=kernel_arguments(function, params="&params", dims="&dims", input=tensor_ref(x),
                                   output=tensor_ref(y)),
        reads=(x.index,), writes=(y.index,),
        summary=f"{describe(x)} -> {describe(y)}; axes {list(axes)} ({keep}), {count} values each",
        locals=(LocalConst("tinyml_reduce_params", "params", params),
                LocalConst("tinyml_reduce_dims", "dims", dims)))


def lower_arg_extremum(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """ARG_MAX / ARG_MIN: the first index of the largest (smallest) raw value along the axis, as
    TFLite Micro's reference; int32 indices (an int64 output is refused: the engine has no int64
    tensors)."""
    x = run_time(input_tensor(graph, op, 0, "input"), "input")
    y = output_tensor(graph, op, dtypes=("int32",))
    axes = constant_ints(graph, op, 1, "axis")
    if len(axes) != 1:
        raise OpNotSupported(f"axis {list(axes)} is not one value")
    (axis,) = resolve_axes(axes, len(x.shape))
    expected = tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:])
    if tuple(y.shape) != expected:
        raise OpNotSupported(f"output {list(y.shape)} is not the input without axis {axis} ({list(expected)})")
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_arg_extremum_s8",
        arguments=kernel_arguments("tinyml_arg_extremum_s8", input=tensor_ref(x), output=tensor_ref(y), outer=outer,
                                   axis_size=x.shape[axis], inner=inner, maximum=int(op.opcode == "ARG_MAX")),
        reads=(x.index,), writes=(y.index,),
        summary=f"{op.opcode.lower()}({describe(x)}) along axis {axis} -> {describe(y)}")


def lower_l2_normalization(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """L2_NORMALIZATION along the last axis; TFLite Micro requires the output quantized 1/128, 0 and no
    fused activation."""
    x = run_time(input_tensor(graph, op, 0, "input"), "input")
    y = output_tensor(graph, op)
    if tuple(y.shape) != tuple(x.shape) or not x.shape:
        raise OpNotSupported(f"output {list(y.shape)} is not the input's shape {list(x.shape)}")
    if per_tensor_quantization(y) != (1.0 / 128.0, 0):
        raise OpNotSupported(f"output '{y.name}' is quantized {per_tensor_quantization(y)}; TFLite Micro's int8 "
                             "L2_NORMALIZATION writes scale 1/128, zero point 0")
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise OpNotSupported(f"fused activation {op.options['fused_activation_function']} (TFLite Micro takes NONE)")
    depth = x.shape[-1]
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_l2_normalization_s8",
        arguments=kernel_arguments("tinyml_l2_normalization_s8", input=tensor_ref(x), output=tensor_ref(y),
                                   rows=int(np.prod(x.shape[:-1], dtype=np.int64)), depth=depth,
                                   input_zero_point=per_tensor_quantization(x)[1]),
        reads=(x.index,), writes=(y.index,), summary=f"{describe(x)} -> {describe(y)}, rows of {depth} to unit length")


# TFLite Micro's CUMSUM and ADD_N scale each value up by this many bits before summing.
RUNNING_SUM_LEFT_SHIFT = 20


def running_sum_scaling(x: Tensor, y: Tensor) -> dict:
    """TFLite Micro's Prepare of CUMSUM and ADD_N, in double: the input multiplier scale / (2 * scale)
    = 1/2, the output's 2 * scale / (2^20 * output_scale)."""
    (x_scale, x_zp), (y_scale, y_zp) = per_tensor_quantization(x), per_tensor_quantization(y)
    twice = 2 * x_scale
    input_multiplier, input_shift = quantize_multiplier_smaller_than_one(x_scale / twice)
    output_multiplier, output_shift = quantize_multiplier_smaller_than_one(
        twice / ((1 << RUNNING_SUM_LEFT_SHIFT) * y_scale))
    return {"input_offset": -x_zp, "input_multiplier": input_multiplier, "input_shift": input_shift,
            "output_offset": y_zp, "output_multiplier": output_multiplier, "output_shift": output_shift}


def lower_cumsum(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """CUMSUM along one constant axis."""
    x = run_time(input_tensor(graph, op, 0, "input"), "input")
    y = output_tensor(graph, op)
    if tuple(y.shape) != tuple(x.shape) or not x.shape:
        raise OpNotSupported(f"output {list(y.shape)} is not the input's shape {list(x.shape)}")
    axes = constant_ints(graph, op, 1, "axis")
    if len(axes) != 1:
        raise OpNotSupported(f"axis {list(axes)} is not one value")
    (axis,) = resolve_axes(axes, len(x.shape))
    params = c_struct(**running_sum_scaling(x, y), exclusive=int(bool(op.options.get("exclusive"))),
                      reverse=int(bool(op.options.get("reverse"))))
    modes = [name for name in ("exclusive", "reverse") if op.options.get(name)]
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_cumsum_s8",
        arguments=kernel_arguments("tinyml_cumsum_s8", params="&params", input=tensor_ref(x), output=tensor_ref(y),
                                   outer=int(np.prod(x.shape[:axis], dtype=np.int64)), axis_size=x.shape[axis],
                                   inner=int(np.prod(x.shape[axis + 1:], dtype=np.int64))),
        reads=(x.index,), writes=(y.index,), locals=(LocalConst("tinyml_running_sum_params", "params", params),),
        summary=f"{describe(x)} -> {describe(y)}, running sums along axis {axis}"
                f"{' (' + ', '.join(modes) + ')' if modes else ''}")


def lower_add_n(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """ADD_N: inputs of one shape and quantization (TFLite Micro requires both), summed per element."""
    inputs = [input_tensor(graph, op, n, f"input {n}") for n in range(len(op.inputs))]
    y = output_tensor(graph, op)
    if any(t.shape != y.shape or per_tensor_quantization(t) != per_tensor_quantization(inputs[0]) for t in inputs):
        raise OpNotSupported("its inputs differ from one another or the output in shape or quantization "
                             "(TFLite Micro requires them equal)")
    pointers = "{" + ", ".join(tensor_ref(t) for t in inputs) + "}"
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_add_n_s8",
        arguments=kernel_arguments("tinyml_add_n_s8", params="&params", inputs="inputs", count=len(inputs),
                                   size=elements(y), output=tensor_ref(y)),
        reads=tuple(t.index for t in inputs if t.data is None), writes=(y.index,),
        constants=tuple(t.index for t in inputs if t.data is not None),
        locals=(LocalConst("tinyml_running_sum_params", "params", c_struct(**running_sum_scaling(inputs[0], y),
                                                                      exclusive=0, reverse=0)),
                LocalConst("int8_t *const", f"inputs[{len(inputs)}]", pointers)),
        summary=f"the sum of {len(inputs)} x {describe(inputs[0])} -> {describe(y)}")
