"""Ops on int16 activations with int8 weights (int16x8 models: TensorFlow's 16x8 quantization), with
TFLite Micro's Prepare done at build time: FULLY_CONNECTED (int64 bias, per-tensor or per-channel
weights), LOGISTIC and TANH (the input's scaling into the sigmoid table), RSQRT (its output
multiplier)."""

from __future__ import annotations

import math

import numpy as np

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_struct, kernel_arguments
from ..quantization import (activation_range, checked_log2, fully_connected_multiplier, per_channel_multipliers,
                            quantize_multiplier)
from ..symbols import tensor_ref
from .operands import (OpNotSupported, constant, describe, elements, input_tensor, output_tensor,
                       per_tensor_quantization, run_time, shape_of_rank, symmetric_filter_scales)

INT16 = ("int16",)


def is_int16(graph: Graph, op: Operator) -> bool:
    """Whether the op's first input is an int16 activation (an int16x8 model's op)."""
    return bool(op.inputs) and 0 <= op.inputs[0] < len(graph.tensors) and graph.tensors[op.inputs[0]].dtype == "int16"


def _symmetric(tensor, role: str) -> float:
    scale, zero_point = per_tensor_quantization(tensor)
    if zero_point != 0:
        raise OpNotSupported(f"its int16 {role} '{tensor.name}' has zero point {zero_point}; TFLite Micro's int16 "
                             "kernels need 0 (symmetric)")
    return scale


def lower_fully_connected_s16(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = input_tensor(graph, op, 0, "input", INT16)
    w = constant(input_tensor(graph, op, 1, "weights"), "weights")
    b = input_tensor(graph, op, 2, "bias", dtypes=("int64",), optional=True)
    if b is not None:
        constant(b, "bias")
    y = output_tensor(graph, op, INT16)
    units, depth = shape_of_rank(w, 2, "weights")
    if elements(x) % depth:
        raise OpNotSupported(f"input {list(x.shape)} is not a whole number of rows of {depth}")
    in_scale, out_scale = _symmetric(x, "input"), _symmetric(y, "output")
    scales = symmetric_filter_scales(w)
    if len(scales) == 1:
        pair = fully_connected_multiplier(in_scale, scales[0], out_scale)
        multipliers, shifts = (pair[0],) * units, (pair[1],) * units
    elif len(scales) == units:
        multipliers, shifts = per_channel_multipliers(in_scale, scales, out_scale, units)
    else:
        raise OpNotSupported(f"weights '{w.name}' have {len(scales)} scales for {units} units")
    low, high = activation_range(op.options.get("fused_activation_function", "NONE"), out_scale, 0, "int16")
    tables = (ConstTable(f"op{op.index}_multiplier", "int32_t", tuple(multipliers)),
              ConstTable(f"op{op.index}_shift", "int32_t", tuple(shifts)))
    rows = elements(x) // depth
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_fully_connected_s16",
        arguments=kernel_arguments("tinyml_fully_connected_s16", input=tensor_ref(x), weights=tensor_ref(w),
                                   bias=tensor_ref(b) if b is not None else "NULL", multipliers=tables[0].name,
                                   shifts=tables[1].name, rows=rows, depth=depth, units=units, activation_min=low,
                                   activation_max=high, output=tensor_ref(y)),
        reads=(x.index,), writes=(y.index,), constants=tuple(t.index for t in (w, b) if t is not None),
        summary=f"{describe(x)} -> {describe(y)} int16; {rows} x {depth} by {units}", tables=tables)


def sigmoid_input_scaling(opcode: str, input_scale: float) -> tuple[int, int]:
    """(multiplier, shift) of TFLite Micro's int16 LOGISTIC / TANH Prepare: 0 and the shift for a
    power-of-two input scale it takes as it is (shift 0, or 0 or 1 for TANH), else the multiplier
    bringing the scale to 1 / (3 * 4096) and its left shift."""
    power, exact = checked_log2(input_scale)
    shift = 15 - 3 + power
    if exact and shift in ((0, 1) if opcode == "TANH" else (0,)):
        return 0, shift
    multiplier, shift = float(np.float32(input_scale)) * 4096.0 * 3.0, 0
    while multiplier <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        multiplier *= 2.0
    return int(multiplier), shift


def _unary_operands(graph: Graph, op: Operator):
    """An elementwise int16 op's run-time input and its output, of one shape."""
    x = run_time(input_tensor(graph, op, 0, "input", INT16), "input")
    y = output_tensor(graph, op, INT16)
    if x.shape != y.shape:
        raise OpNotSupported(f"input {list(x.shape)} and output {list(y.shape)} differ in shape")
    return x, y


def lower_piecewise_s16(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int16 RELU (TFLite Micro's ReluPrepare: input scale / output scale in double, clamped at the
    output's zero) and LEAKY_RELU (identity and alpha multipliers: input scale x alpha / output scale
    in float)."""
    x, y = _unary_operands(graph, op)
    (in_scale, in_zp), (out_scale, out_zp) = per_tensor_quantization(x), per_tensor_quantization(y)
    identity = quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))
    if op.opcode == "RELU":
        negative, low = identity, max(-(1 << 15), out_zp)
    else:
        alpha = np.float32(op.options.get("alpha", 0.0))
        negative = quantize_multiplier(float(np.float32(np.float32(in_scale) * alpha / np.float32(out_scale))))
        low = -(1 << 15)
    params = c_struct(input_zero_point=in_zp, output_zero_point=out_zp, multiplier_positive=identity[0],
                      shift_positive=identity[1], multiplier_negative=negative[0], shift_negative=negative[1],
                      activation_min=low, activation_max=(1 << 15) - 1)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_piecewise_linear_s16",
        arguments=kernel_arguments("tinyml_piecewise_linear_s16", params="&params", input=tensor_ref(x),
                                   output=tensor_ref(y), size=elements(y)),
        reads=(x.index,), writes=(y.index,), summary=f"{describe(x)} -> {describe(y)} int16",
        locals=(LocalConst("tinyml_piecewise_params", "params", params),))


def lower_rsqrt_s16(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int16 RSQRT: TFLite Micro's output multiplier 1 / (sqrtf(input scale) x output scale), the
    product in float and the quotient in double."""
    x, y = _unary_operands(graph, op)
    in_scale, out_scale = _symmetric(x, "input"), _symmetric(y, "output")
    root_times_scale = np.float32(np.sqrt(np.float32(in_scale)) * np.float32(out_scale))
    multiplier, shift = quantize_multiplier(1.0 / float(root_times_scale))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_rsqrt_s16",
        arguments=kernel_arguments("tinyml_rsqrt_s16", input=tensor_ref(x), output=tensor_ref(y), size=elements(y),
                                   multiplier=multiplier, shift=shift),
        reads=(x.index,), writes=(y.index,), summary=f"rsqrt({describe(x)}) -> {describe(y)} int16")


def lower_sigmoid_s16(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int16 LOGISTIC and TANH: the output scale must be 2^-15, as TFLite Micro's Prepare requires."""
    x, y = _unary_operands(graph, op)
    in_scale, out_scale = _symmetric(x, "input"), _symmetric(y, "output")
    if checked_log2(out_scale) != (-15, True):
        raise OpNotSupported(f"its int16 output '{y.name}' has scale {out_scale:.6g}; TFLite Micro's {op.opcode} "
                             "needs 2^-15")
    multiplier, shift = sigmoid_input_scaling(op.opcode, in_scale)
    if multiplier > 32767 or not math.isfinite(in_scale):
        raise OpNotSupported(f"its int16 input scale {in_scale:.6g} is beyond TFLite Micro's {op.opcode} kernel")
    function = "tinyml_tanh_s16" if op.opcode == "TANH" else "tinyml_logistic_s16"
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function,
        arguments=kernel_arguments(function, input=tensor_ref(x), output=tensor_ref(y), size=elements(y),
                                   multiplier=multiplier, shift=shift),
        reads=(x.index,), writes=(y.index,),
        summary=f"{describe(x)} -> {describe(y)} int16; input scaled by "
                f"{'3 * 2^' + str(shift) if multiplier == 0 else f'{multiplier} / 2^{shift}'}")
