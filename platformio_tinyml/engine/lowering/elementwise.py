"""ADD and MUL of two int8 tensors of the same shape -> arm_elementwise_add_s8 / _mul_s8."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import KernelCall
from ..quantization import ADD_INPUT_LEFT_SHIFT, activation_range, add_scaling, mul_scaling
from ..symbols import tensor_symbol
from .operands import OpNotSupported, describe, elements, input_tensor, output_tensor, per_tensor_quantization


def _operands(graph: Graph, op: Operator):
    a = input_tensor(graph, op, 0, "first")
    b = input_tensor(graph, op, 1, "second")
    y = output_tensor(graph, op)
    if a.data is not None or b.data is not None:
        raise OpNotSupported("an input is a constant; the engine handles two run-time tensors")
    if not (a.shape == b.shape == y.shape):
        raise OpNotSupported(f"broadcasting {list(a.shape)} with {list(b.shape)}")
    return a, b, y


def lower_add(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    a, b, y = _operands(graph, op)
    (a_scale, a_zp), (b_scale, b_zp) = per_tensor_quantization(a), per_tensor_quantization(b)
    y_scale, y_zp = per_tensor_quantization(y)
    (a_mult, a_shift), (b_mult, b_shift), (y_mult, y_shift) = add_scaling(a_scale, b_scale, y_scale)
    act_min, act_max = activation_range(op.options.get("fused_activation_function", "NONE"), y_scale, y_zp)
    arguments = (tensor_symbol(a), tensor_symbol(b), str(-a_zp), str(a_mult), str(a_shift), str(-b_zp),
                 str(b_mult), str(b_shift), str(ADD_INPUT_LEFT_SHIFT), tensor_symbol(y), str(y_zp),
                 str(y_mult), str(y_shift), str(act_min), str(act_max), str(elements(y)))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="arm_elementwise_add_s8", arguments=arguments,
        reads=(a.index, b.index), writes=(y.index,),
        summary=f"{describe(a)} + {describe(b)} -> {describe(y)}")


def lower_mul(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    a, b, y = _operands(graph, op)
    (a_scale, a_zp), (b_scale, b_zp) = per_tensor_quantization(a), per_tensor_quantization(b)
    y_scale, y_zp = per_tensor_quantization(y)
    multiplier, shift = mul_scaling(a_scale, b_scale, y_scale)
    act_min, act_max = activation_range(op.options.get("fused_activation_function", "NONE"), y_scale, y_zp)
    arguments = (tensor_symbol(a), tensor_symbol(b), str(-a_zp), str(-b_zp), tensor_symbol(y), str(y_zp),
                 str(multiplier), str(shift), str(act_min), str(act_max), str(elements(y)))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="arm_elementwise_mul_s8", arguments=arguments,
        reads=(a.index, b.index), writes=(y.index,),
        summary=f"{describe(a)} * {describe(b)} -> {describe(y)}")
