"""ADD, SUB, MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU, DIV (int8); DIV (float32).

Off Helium, an ADD (or a SUB) of a constant that repeats along the output's leading dims (a bias
along the last axis, a scalar, a positional embedding of the output's shape) goes to
tinyml_add_constant_s8, the constant's scaled terms computed at build time. Other same-shaped ADD
and MUL go to CMSIS-NN's arm_elementwise_add_s8 / _mul_s8. Everything else that broadcasts
(TFLite's rules: shapes aligned on the right, a dimension of 1 repeats), and SUB and
SQUARED_DIFFERENCE, go to our tinyml_binary_s8 with per-input strides (0 where broadcast); on Helium
it runs four elements a vector.
DIV on float32 (a DEQUANTIZE -> DIV -> QUANTIZE island) goes to tinyml_div_f32, on int8 to
tinyml_div_s8, MAXIMUM / MINIMUM to tinyml_extremum_s8 and PRELU to tinyml_prelu_s8, broadcasting the
same way."""

from __future__ import annotations

from math import prod

import numpy as np

from ...graph import Graph, Operator, Tensor
from ..cores import KernelPath
from ..fixed_point import requantize_below_one
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_float, c_struct, kernel_arguments
from ..quantization import (ADD_INPUT_LEFT_SHIFT, INT16_ADD_LEFT_SHIFT, SQUARED_DIFFERENCE_LEFT_SHIFT,
                            activation_range, add_scaling, kernel_multiplier, mul_scaling, quantize_multiplier,
                            squared_difference_scaling)
from ..symbols import tensor_ref
from .data_movement import copy_dims, quantized_alike
from .int16 import is_int16
from .operands import (OpNotSupported, contiguous_strides, describe, elements, input_tensor,
                       output_tensor, per_tensor_quantization)

MAX_RANK = 6
# Flash the scaled terms of one constant may take (4 bytes each): above it the generic kernel runs.
MAX_CONSTANT_TERMS = 1024
BINARY_OPS = {"ADD": "TINYML_BINARY_ADD", "SUB": "TINYML_BINARY_SUB", "MUL": "TINYML_BINARY_MUL",
              "SQUARED_DIFFERENCE": "TINYML_BINARY_SQUARED_DIFFERENCE"}
SYMBOLS = {"ADD": "+", "SUB": "-", "MUL": "*", "SQUARED_DIFFERENCE": "(a-b)^2", "DIV": "/"}
# TFLite's CalculateActivationRange for float outputs; FLT_MAX stands for "no bound".
FLT_MAX = float(np.finfo(np.float32).max)
FLOAT_ACTIVATION_RANGES = {"NONE": (-FLT_MAX, FLT_MAX), "RELU": (0.0, FLT_MAX), "RELU_N1_TO_1": (-1.0, 1.0),
                           "RELU6": (0.0, 6.0)}


def _operands(graph: Graph, op: Operator, dtypes=("int8",)):
    return (input_tensor(graph, op, 0, "first", dtypes), input_tensor(graph, op, 1, "second", dtypes),
            output_tensor(graph, op, dtypes))


def broadcast_strides(x: Tensor, out_shape: tuple[int, ...]) -> tuple[int, ...]:
    """x's element strides along each output dim; 0 where x has 1 and is repeated."""
    rank = len(out_shape)
    if len(x.shape) > rank:
        raise OpNotSupported(f"input {list(x.shape)} has more dims than the output {list(out_shape)}")
    padded = (1,) * (rank - len(x.shape)) + tuple(x.shape)
    strides = contiguous_strides(padded)
    result = []
    for dim, out_dim, stride in zip(padded, out_shape, strides):
        if dim == out_dim:
            result.append(stride if dim > 1 else 0)
        elif dim == 1:
            result.append(0)
        else:
            raise OpNotSupported(f"{list(x.shape)} does not broadcast to {list(out_shape)}")
    return tuple(result)


def broadcast_dims(a: Tensor, b: Tensor, y: Tensor) -> dict:
    shape = tuple(y.shape) or (1,)
    if len(shape) > MAX_RANK:
        raise OpNotSupported(f"output has {len(shape)} dims; the kernel takes up to {MAX_RANK}")
    pad = MAX_RANK - len(shape)
    return {"rank": MAX_RANK, "dims": (1,) * pad + shape,
            "input1_strides": (0,) * pad + broadcast_strides(a, shape),
            "input2_strides": (0,) * pad + broadcast_strides(b, shape)}


def _activation(op: Operator, y: Tensor) -> tuple[int, int]:
    return activation_range(op.options.get("fused_activation_function", "NONE"), *per_tensor_quantization(y),
                            dtype=y.dtype)


def lower_binary(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    if is_int16(graph, op):
        return lower_binary_s16(graph, op)
    a, b, y = _operands(graph, op)
    if path is not KernelPath.MVE and (period := constant_period(op, a, b, y)) is not None:
        return lower_add_constant(graph, op, period)
    if op.opcode in ("ADD", "MUL") and a.shape == b.shape == y.shape:
        return lower_add(graph, op, path) if op.opcode == "ADD" else lower_mul(graph, op, path)
    locals_ = (LocalConst("tinyml_binary_params", "params", c_struct(**binary_params(graph, op))),
               LocalConst("tinyml_broadcast_dims", "dims", c_struct(**broadcast_dims(a, b, y))))
    operands = tuple(t for t in (a, b) if t.data is None)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_binary_s8",
        arguments=kernel_arguments("tinyml_binary_s8", params="&params", dims="&dims", input1=tensor_ref(a),
                                   input2=tensor_ref(b), output=tensor_ref(y)),
        reads=tuple(t.index for t in operands), writes=(y.index,),
        constants=tuple(t.index for t in (a, b) if t.data is not None),
        summary=f"{describe(a)} {SYMBOLS[op.opcode]} {describe(b)} -> {describe(y)}",
        locals=locals_)


def lower_binary_s16(graph: Graph, op: Operator) -> KernelCall:
    """int16 ADD, SUB, MUL, SQUARED_DIFFERENCE: TFLite Micro's int16 steps, element by element
    (tinyml_binary_s16)."""
    if op.opcode not in BINARY_OPS:
        raise OpNotSupported(f"{op.opcode} has no int16 kernel here (int16: {', '.join(BINARY_OPS)})")
    a, b, y = _operands(graph, op, ("int16",))
    locals_ = (LocalConst("tinyml_binary_params", "params", c_struct(**binary_params(graph, op))),
               LocalConst("tinyml_broadcast_dims", "dims", c_struct(**broadcast_dims(a, b, y))))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_binary_s16",
        arguments=kernel_arguments("tinyml_binary_s16", params="&params", dims="&dims", input1=tensor_ref(a),
                                   input2=tensor_ref(b), output=tensor_ref(y)),
        reads=tuple(t.index for t in (a, b) if t.data is None), writes=(y.index,),
        constants=tuple(t.index for t in (a, b) if t.data is not None),
        summary=f"{describe(a)} {SYMBOLS[op.opcode]} {describe(b)} -> {describe(y)} int16", locals=locals_)


def constant_period(op: Operator, a: Tensor, b: Tensor, y: Tensor) -> int | None:
    """For an ADD of a run-time input shaped as the output and a constant (either side; a SUB only
    with the constant second) that, broadcast, repeats every `period` output elements: the period
    (at most MAX_CONSTANT_TERMS)."""
    if op.opcode not in ("ADD", "SUB") or (a.data is None) == (b.data is None):
        return None
    variable, fixed = (b, a) if a.data is not None else (a, b)
    if variable.shape != y.shape or (op.opcode == "SUB" and fixed is a) or len(fixed.shape) > len(y.shape):
        return None
    shape = tuple(y.shape)
    padded = (1,) * (len(shape) - len(fixed.shape)) + tuple(fixed.shape)
    start = len(shape)
    while start > 0 and padded[start - 1] == shape[start - 1]:
        start -= 1
    period = prod(shape[start:])
    return None if any(dim != 1 for dim in padded[:start]) or period > MAX_CONSTANT_TERMS else period


def lower_add_constant(graph: Graph, op: Operator, period: int) -> KernelCall:
    """tinyml_add_constant_s8: TFLite's scaled second input (its zero point, left shift, multiplier
    and shift applied) for each constant element is the same every inference, so the build
    computes it; a SUB stores it negated."""
    a, b, y = _operands(graph, op)
    params = binary_params(graph, op)
    variable, fixed = a, b
    if a.data is not None:  # ADD commutes: make the run-time input the params' input1
        variable, fixed = b, a
        for field in ("offset", "multiplier", "shift"):
            params[f"input1_{field}"], params[f"input2_{field}"] = params[f"input2_{field}"], params[f"input1_{field}"]
    sign = -1 if op.opcode == "SUB" else 1
    terms = tuple(sign * requantize_below_one((int(value) + params["input2_offset"]) * (1 << params["left_shift"]),
                                              params["input2_multiplier"], params["input2_shift"])
                  for value in fixed.data.reshape(-1)[:period])
    name = f"op{op.index}_scaled_constant"
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_add_constant_s8",
        arguments=kernel_arguments("tinyml_add_constant_s8", params="&params", input=tensor_ref(variable),
                                   scaled_constant=name, period=period, size=elements(y), output=tensor_ref(y)),
        reads=(variable.index,), writes=(y.index,),
        summary=f"{describe(a)} {SYMBOLS[op.opcode]} {describe(b)} -> {describe(y)}; the constant's "
                f"{period} scaled term(s) computed at build time",
        locals=(LocalConst("tinyml_binary_params", "params", c_struct(**params)),),
        tables=(ConstTable(name, "int32_t", terms),))


def binary_params(graph: Graph, op: Operator) -> dict:
    """The fields of tinyml_binary_params for an int8 or int16 ADD, SUB, MUL or SQUARED_DIFFERENCE."""
    a, b, y = _operands(graph, op, ("int8", "int16"))
    (a_scale, a_zp), (b_scale, b_zp) = per_tensor_quantization(a), per_tensor_quantization(b)
    y_scale, y_zp = per_tensor_quantization(y)
    act_min, act_max = _activation(op, y)
    params = {"op": BINARY_OPS[op.opcode], "input1_offset": -a_zp, "input2_offset": -b_zp, "output_offset": y_zp,
              "left_shift": 0, "input1_multiplier": 0, "input1_shift": 0, "input2_multiplier": 0,
              "input2_shift": 0, "output_multiplier": 0, "output_shift": 0,
              "activation_min": act_min, "activation_max": act_max}
    if op.opcode == "MUL":
        params["output_multiplier"], params["output_shift"] = mul_scaling(a_scale, b_scale, y_scale)
    else:
        if op.opcode == "SQUARED_DIFFERENCE":
            left_shift = SQUARED_DIFFERENCE_LEFT_SHIFT if y.dtype == "int8" else 0  # int16: 32767^2 fits
            scaling = squared_difference_scaling(a_scale, b_scale, y_scale, left_shift)
        else:
            left_shift = ADD_INPUT_LEFT_SHIFT if y.dtype == "int8" else INT16_ADD_LEFT_SHIFT
            scaling = add_scaling(a_scale, b_scale, y_scale, left_shift)
        (m1, s1), (m2, s2), (mo, so) = scaling
        params.update(left_shift=left_shift, input1_multiplier=m1, input1_shift=s1, input2_multiplier=m2,
                      input2_shift=s2, output_multiplier=mo, output_shift=so)
    return params


def _same_shape_io(a: Tensor, b: Tensor, y: Tensor):
    reads = tuple(t.index for t in (a, b) if t.data is None)
    constants = tuple(t.index for t in (a, b) if t.data is not None)
    return reads, constants


def lower_add(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    a, b, y = _operands(graph, op)
    (a_scale, a_zp), (b_scale, b_zp) = per_tensor_quantization(a), per_tensor_quantization(b)
    y_scale, y_zp = per_tensor_quantization(y)
    (a_mult, a_shift), (b_mult, b_shift), (y_mult, y_shift) = add_scaling(a_scale, b_scale, y_scale)
    act_min, act_max = _activation(op, y)
    arguments = kernel_arguments(
        "arm_elementwise_add_s8", input_1_vect=tensor_ref(a), input_2_vect=tensor_ref(b), input_1_offset=-a_zp,
        input_1_mult=a_mult, input_1_shift=a_shift, input_2_offset=-b_zp, input_2_mult=b_mult,
        input_2_shift=b_shift, left_shift=ADD_INPUT_LEFT_SHIFT, output=tensor_ref(y), out_offset=y_zp,
        out_mult=y_mult, out_shift=y_shift, out_activation_min=act_min, out_activation_max=act_max,
        block_size=elements(y))
    reads, constants = _same_shape_io(a, b, y)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="arm_elementwise_add_s8", arguments=arguments,
        reads=reads, writes=(y.index,), constants=constants,
        summary=f"{describe(a)} + {describe(b)} -> {describe(y)}")


def lower_mul(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    a, b, y = _operands(graph, op)
    (a_scale, a_zp), (b_scale, b_zp) = per_tensor_quantization(a), per_tensor_quantization(b)
    y_scale, y_zp = per_tensor_quantization(y)
    multiplier, shift = mul_scaling(a_scale, b_scale, y_scale)
    act_min, act_max = _activation(op, y)
    arguments = kernel_arguments(
        "arm_elementwise_mul_s8", input_1_vect=tensor_ref(a), input_2_vect=tensor_ref(b), input_1_offset=-a_zp,
        input_2_offset=-b_zp, output=tensor_ref(y), out_offset=y_zp, out_mult=multiplier, out_shift=shift,
        out_activation_min=act_min, out_activation_max=act_max, block_size=elements(y))
    reads, constants = _same_shape_io(a, b, y)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="arm_elementwise_mul_s8", arguments=arguments,
        reads=reads, writes=(y.index,), constants=constants,
        summary=f"{describe(a)} * {describe(b)} -> {describe(y)}")


# The largest output shift int8 DIV takes: TFLite's final right shift, reciprocal shift + numerator
# headroom (at least 23 bits for a 9-bit numerator) - output shift, must not turn into a left shift.
MAX_DIV_OUTPUT_SHIFT = 23


def lower_div(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """DIV: float32 as TFLite Micro's reference (IEEE single-precision a / b, then the fused
    activation's clamp); int8 as its integer kernel, the multiplier input1_scale / (input2_scale *
    output_scale) computed in float32 as its Prepare does."""
    y = output_tensor(graph, op, dtypes=("int8", "float32"))
    if y.dtype == "int8":
        return _lower_int8_div(graph, op, y)
    a = input_tensor(graph, op, 0, "first", dtypes=("float32",))
    b = input_tensor(graph, op, 1, "second", dtypes=("float32",))
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in FLOAT_ACTIVATION_RANGES:
        raise OpNotSupported(f"fused activation {activation} is not supported")
    low, high = FLOAT_ACTIVATION_RANGES[activation]
    return _broadcast_call(op, "tinyml_div_f32", a, b, y, f"{describe(a)} / {describe(b)} -> {describe(y)} (float)",
                           activation_min=c_float(low), activation_max=c_float(high))


def _lower_int8_div(graph: Graph, op: Operator, y: Tensor) -> KernelCall:
    a, b = input_tensor(graph, op, 0, "first"), input_tensor(graph, op, 1, "second")
    (a_scale, a_zp), (b_scale, b_zp), (y_scale, y_zp) = (per_tensor_quantization(t) for t in (a, b, y))
    f32 = np.float32
    multiplier, shift = quantize_multiplier(float(f32(a_scale) / (f32(b_scale) * f32(y_scale))))
    if shift > MAX_DIV_OUTPUT_SHIFT:
        raise OpNotSupported(f"its multiplier {a_scale:g} / ({b_scale:g} * {y_scale:g}) needs a left shift of "
                             f"{shift} bits, TFLite Micro's kernel takes at most {MAX_DIV_OUTPUT_SHIFT} (are the "
                             "scales right?)")
    if b.data is not None and np.any(b.data.astype(np.int32) == b_zp):
        raise OpNotSupported(f"its constant divisor '{b.name}' holds its zero point: a division by 0")
    low, high = _activation(op, y)
    params = c_struct(input1_offset=-a_zp, input2_offset=-b_zp, output_offset=y_zp, output_multiplier=multiplier,
                      output_shift=shift, activation_min=low, activation_max=high)
    return _broadcast_call(op, "tinyml_div_s8", a, b, y, f"{describe(a)} / {describe(b)} -> {describe(y)}",
                           params=("tinyml_div_params", params))


COMPARISONS = {"EQUAL": ("TINYML_COMPARE_EQUAL", "=="), "NOT_EQUAL": ("TINYML_COMPARE_NOT_EQUAL", "!="),
               "GREATER": ("TINYML_COMPARE_GREATER", ">"), "GREATER_EQUAL": ("TINYML_COMPARE_GREATER_EQUAL", ">="),
               "LESS": ("TINYML_COMPARE_LESS", "<"), "LESS_EQUAL": ("TINYML_COMPARE_LESS_EQUAL", "<=")}


def lower_comparison(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """The six comparisons of int8 tensors into bool, as TFLite Micro's Prepare scales them: each
    input's scale as a multiplier below one (QuantizeMultiplierSmallerThanOneExp, from double)."""
    a, b = input_tensor(graph, op, 0, "first"), input_tensor(graph, op, 1, "second")
    y = output_tensor(graph, op, dtypes=("bool",))
    terms = {}
    for n, tensor in ((1, a), (2, b)):
        scale, zero_point = per_tensor_quantization(tensor)
        if not 0.0 < scale < 1.0:
            raise OpNotSupported(f"input '{tensor.name}' has scale {scale:g}; TFLite Micro compares int8 inputs of "
                                 "scales below 1")
        multiplier, shift = quantize_multiplier(scale)
        terms.update({f"input{n}_offset": -zero_point, f"input{n}_multiplier": multiplier, f"input{n}_shift": shift})
    kind, sign = COMPARISONS[op.opcode]
    return _broadcast_call(op, "tinyml_compare_s8", a, b, y, f"{describe(a)} {sign} {describe(b)} -> {describe(y)}",
                           params=("tinyml_compare_params", c_struct(comparison=kind, **terms)))


def lower_select(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """SELECT_V2 (condition, x, y broadcast; TFLite Micro has no SELECT): y copied into the output,
    then x written where the condition holds. Like TFLite Micro, no requantization: x, y and the
    output are quantized alike (converters make them so)."""
    condition = input_tensor(graph, op, 0, "condition", dtypes=("bool",))
    x, y_else, out = input_tensor(graph, op, 1, "x"), input_tensor(graph, op, 2, "y"), output_tensor(graph, op)
    quantized_alike([x, y_else], out)
    dims = c_struct(**broadcast_dims(condition, x, out))
    shape = tuple(out.shape) or (1,)
    copy = copy_dims(shape, broadcast_strides(y_else, shape), contiguous_strides(shape))
    reads = tuple(t.index for t in (condition, x, y_else) if t.data is None)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_copy_s8",
        arguments=kernel_arguments("tinyml_copy_s8", dims="&else_dims", input=tensor_ref(y_else),
                                   output=tensor_ref(out)),
        more_calls=(("tinyml_select_s8", kernel_arguments("tinyml_select_s8", dims="&dims",
                                                          input1=tensor_ref(condition), input2=tensor_ref(x),
                                                          output=tensor_ref(out))),),
        reads=reads, writes=(out.index,),
        constants=tuple(t.index for t in (condition, x, y_else) if t.data is not None),
        summary=f"{describe(condition)} ? {describe(x)} : {describe(y_else)} -> {describe(out)}",
        locals=(LocalConst("tinyml_copy_dims", "else_dims", copy), LocalConst("tinyml_broadcast_dims", "dims", dims)))


LOGICAL_OPS = {"LOGICAL_AND": "TINYML_LOGICAL_AND", "LOGICAL_OR": "TINYML_LOGICAL_OR",
               "LOGICAL_NOT": "TINYML_LOGICAL_NOT"}


def lower_logical(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """LOGICAL_AND, LOGICAL_OR (broadcasting) and LOGICAL_NOT of bool tensors."""
    a = input_tensor(graph, op, 0, "first", dtypes=("bool",))
    b = a if op.opcode == "LOGICAL_NOT" else input_tensor(graph, op, 1, "second", dtypes=("bool",))
    y = output_tensor(graph, op, dtypes=("bool",))
    summary = (f"not {describe(a)}" if op.opcode == "LOGICAL_NOT"
               else f"{describe(a)} {op.opcode.removeprefix('LOGICAL_').lower()} {describe(b)}")
    return _broadcast_call(op, "tinyml_logical_b8", a, b, y, f"{summary} -> {describe(y)}",
                           operation=LOGICAL_OPS[op.opcode])


def lower_extremum(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """MAXIMUM, MINIMUM: on the raw int8 (int16) values, broadcasting, as TFLite Micro's reference
    (which reads no quantization: a converter gives inputs and output the same)."""
    sixteen = is_int16(graph, op)
    a, b, y = _operands(graph, op, ("int16",) if sixteen else ("int8",))
    name = op.opcode.lower()
    return _broadcast_call(op, "tinyml_extremum_s16" if sixteen else "tinyml_extremum_s8", a, b, y,
                           f"{name}({describe(a)}, {describe(b)}) -> {describe(y)}", maximum=int(op.opcode == "MAXIMUM"))


def lower_prelu(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """PRELU with alpha broadcast (a constant alpha along one axis is usually a per-channel table
    group instead, table_groups.py). TFLite Micro's Prepare: input_scale / output_scale for x >= 0,
    input_scale * alpha_scale / output_scale for the product below, each in double."""
    x, alpha, y = _operands(graph, op)
    (x_scale, x_zp), (alpha_scale, alpha_zp) = per_tensor_quantization(x), per_tensor_quantization(alpha)
    y_scale, y_zp = per_tensor_quantization(y)
    positive, negative = kernel_multiplier(x_scale / y_scale), kernel_multiplier(x_scale * alpha_scale / y_scale)
    params = c_struct(input_offset=-x_zp, alpha_offset=-alpha_zp, output_offset=y_zp,
                      multiplier_positive=positive[0], shift_positive=positive[1],
                      multiplier_negative=negative[0], shift_negative=negative[1])
    return _broadcast_call(op, "tinyml_prelu_s8", x, alpha, y, f"prelu({describe(x)}, alpha {describe(alpha)}) -> "
                           f"{describe(y)}", params=("tinyml_prelu_params", params))


def _broadcast_call(op: Operator, function: str, a: Tensor, b: Tensor, y: Tensor, summary: str,
                    params: tuple[str, str] | None = None, **arguments) -> KernelCall:
    """A call of a kernel taking (dims, input1, input2, output, ...) with tinyml_broadcast_dims; with
    `params` (its C type and initializer), a params struct too."""
    locals_ = (LocalConst("tinyml_broadcast_dims", "dims", c_struct(**broadcast_dims(a, b, y))),)
    if params is not None:
        locals_ = (LocalConst(params[0], "params", params[1]),) + locals_
        arguments["params"] = "&params"
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function,
        arguments=kernel_arguments(function, dims="&dims", input1=tensor_ref(a), input2=tensor_ref(b),
                                   output=tensor_ref(y), **arguments),
        reads=tuple(t.index for t in (a, b) if t.data is None), writes=(y.index,),
        constants=tuple(t.index for t in (a, b) if t.data is not None), summary=summary, locals=locals_)
