"""DEPTHWISE_CONV_2D (int8, per-channel, any depth multiplier) -> our own kernel on the DSP and
Helium cores where it applies (depthwise_own.py; the keyword spotter's 3x3 layers: 40% fewer
instructions than CMSIS-NN on the M4F, 1.5% fewer and no scratch buffer on the M55), else the
CMSIS-NN depthwise kernel arm_depthwise_conv_wrapper_s8 would pick on this core."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, c_dims, c_struct, kernel_arguments
from ..scratch import depthwise_wrapper_bytes, depthwise_wrapper_s16_bytes
from ..symbols import scratch_ref, tensor_ref
from .depthwise_own import lower_own_depthwise, own_depthwise_applies
from .convolution import (bias_argument, conv_operands, quant_params_literal, requantization_tables,
                          window_params, window_summary)
from .int16 import is_int16
from .operands import OpNotSupported, describe


def depthwise_kernel(path: KernelPath, depth_multiplier: int, batches: int, filter_hw, operands) -> str:
    if depth_multiplier != 1 or batches != 1 or operands.dilation_hw != (1, 1):
        return "arm_depthwise_conv_s8"
    pad_h, pad_w = operands.padding_hw
    if path is not KernelPath.MVE and filter_hw == (3, 3) and pad_h <= 1 and pad_w <= 1:
        return "arm_depthwise_conv_3x3_s8"
    return "arm_depthwise_conv_s8_opt"


def lower_depthwise_conv_2d(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int8, or int16 activations (int16x8) through arm_depthwise_conv_wrapper_s16."""
    sixteen = is_int16(graph, op)
    operands = conv_operands(graph, op, "int16" if sixteen else "int8")
    n, in_h, in_w, in_c = operands.input.shape
    _, k_h, k_w, out_c = operands.filter.shape
    _, out_h, out_w, _ = operands.output.shape
    multiplier = op.options.get("depth_multiplier", 1) or out_c // in_c
    if out_c != in_c * multiplier:
        raise OpNotSupported(f"{in_c} input channels x depth multiplier {multiplier} != {out_c} outputs")
    tables = requantization_tables(op, operands.input, operands.filter, operands.output, out_c)
    if not sixteen and own_depthwise_applies(path, multiplier, n, (k_h, k_w), operands, tables):
        return lower_own_depthwise(op, path, operands, tables)
    if sixteen:
        scratch = depthwise_wrapper_s16_bytes(path, in_c, multiplier, (k_h, k_w), operands.dilation_hw)
    else:
        scratch = depthwise_wrapper_bytes(path, in_c, out_c, n, (k_h, k_w), operands.padding_hw,
                                          operands.dilation_hw)
    params = {"ch_mult": multiplier, **window_params(operands)}
    locals_ = (
        LocalConst("cmsis_nn_context", "context",
                   c_struct(buf=scratch_ref(op.index) if scratch else "NULL", size=scratch)),
        LocalConst("cmsis_nn_dw_conv_params", "dw_conv_params", c_struct(**params)),
        LocalConst("cmsis_nn_per_channel_quant_params", "quant_params", quant_params_literal(tables)),
        LocalConst("cmsis_nn_dims", "input_dims", c_dims(n, in_h, in_w, in_c)),
        LocalConst("cmsis_nn_dims", "filter_dims", c_dims(1, k_h, k_w, out_c)),
        LocalConst("cmsis_nn_dims", "bias_dims", c_dims(1, 1, 1, out_c)),
        LocalConst("cmsis_nn_dims", "output_dims", c_dims(n, out_h, out_w, out_c)),
    )
    function = "arm_depthwise_conv_wrapper_s16" if sixteen else depthwise_kernel(path, multiplier, n, (k_h, k_w),
                                                                                 operands)
    arguments = kernel_arguments(
        function, ctx="&context", dw_conv_params="&dw_conv_params", quant_params="&quant_params",
        input_dims="&input_dims", input_data=tensor_ref(operands.input), filter_dims="&filter_dims",
        filter_data=tensor_ref(operands.filter), bias_dims="&bias_dims", bias_data=bias_argument(operands.bias),
        output_dims="&output_dims", output_data=tensor_ref(operands.output))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function,
        arguments=arguments, reads=(operands.input.index,), writes=(operands.output.index,),
        constants=tuple(t.index for t in (operands.filter, operands.bias) if t is not None),
        summary=(f"{describe(operands.input)} -> {describe(operands.output)}; {window_summary(operands)}, "
                 f"depth multiplier {multiplier}"),
        locals=locals_, tables=tables, scratch_bytes=scratch)
