"""CONV_2D (int8, per-channel) -> our own column builder before CMSIS-NN's matrix product for few input
channels on Helium (conv_im2col.py), else the CMSIS-NN convolution kernel
arm_convolve_wrapper_s8 would pick."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, c_dims, c_struct, kernel_arguments
from ..scratch import conv_wrapper_bytes, conv_wrapper_s16_bytes, is_1x1_conv, is_1xn_conv
from ..symbols import scratch_ref, tensor_ref
from .convolution import (bias_argument, conv_operands, quant_params_literal, requantization_tables,
                          window_params, window_summary)
from .conv_im2col import lower_own_im2col, own_im2col_applies
from .int16 import is_int16
from .pointwise_own import lower_own_pointwise, own_pointwise_applies
from .operands import OpNotSupported, describe


def conv_kernel(operands, input_h: int, input_c: int) -> str:
    """The kernel arm_convolve_wrapper_s8 dispatches to, decided once, here."""
    _, k_h, k_w, _ = operands.filter.shape
    if is_1x1_conv((k_h, k_w), operands.padding_hw, operands.dilation_hw):
        return "arm_convolve_1x1_s8_fast" if operands.stride_hw == (1, 1) else "arm_convolve_1x1_s8"
    if is_1xn_conv(input_h, input_c, k_h, operands.stride_hw[1], operands.dilation_hw[1]):
        return "arm_convolve_1_x_n_s8"
    return "arm_convolve_s8"


def lower_conv_2d(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int8, or int16 activations (int16x8) through arm_convolve_wrapper_s16."""
    sixteen = is_int16(graph, op)
    operands = conv_operands(graph, op, "int16" if sixteen else "int8")
    n, in_h, in_w, in_c = operands.input.shape
    out_c, k_h, k_w, k_c = operands.filter.shape
    _, out_h, out_w, _ = operands.output.shape
    if k_c != in_c:
        raise OpNotSupported(f"grouped convolution ({in_c} input channels, filter depth {k_c})")
    tables = requantization_tables(op, operands.input, operands.filter, operands.output, out_c)
    if not sixteen and own_pointwise_applies(path, operands, tables):
        return lower_own_pointwise(op, operands, tables)
    if not sixteen and own_im2col_applies(path, operands, conv_kernel(operands, in_h, in_c)):
        return lower_own_im2col(op, operands, tables)
    if sixteen:
        scratch = conv_wrapper_s16_bytes(path, in_c, (k_h, k_w), operands.dilation_hw)
    else:
        scratch = conv_wrapper_bytes(path, (in_h, in_w, in_c), (k_h, k_w), operands.stride_hw,
                                     operands.padding_hw, operands.dilation_hw)
    context = c_struct(buf=scratch_ref(op.index) if scratch else "NULL", size=scratch)
    locals_ = (
        LocalConst("cmsis_nn_context", "context", context),
        LocalConst("cmsis_nn_conv_params", "conv_params", c_struct(**window_params(operands))),
        LocalConst("cmsis_nn_per_channel_quant_params", "quant_params", quant_params_literal(tables)),
        LocalConst("cmsis_nn_dims", "input_dims", c_dims(n, in_h, in_w, in_c)),
        LocalConst("cmsis_nn_dims", "filter_dims", c_dims(out_c, k_h, k_w, in_c)),
        LocalConst("cmsis_nn_dims", "bias_dims", c_dims(1, 1, 1, out_c)),
        LocalConst("cmsis_nn_dims", "output_dims", c_dims(n, out_h, out_w, out_c)),
    )
    function = "arm_convolve_wrapper_s16" if sixteen else conv_kernel(operands, in_h, in_c)
    arguments = kernel_arguments(
        function, ctx="&context", conv_params="&conv_params", quant_params="&quant_params", input_dims="&input_dims",
        input_data=tensor_ref(operands.input), filter_dims="&filter_dims", filter_data=tensor_ref(operands.filter),
        bias_dims="&bias_dims", bias_data=bias_argument(operands.bias), output_dims="&output_dims",
        output_data=tensor_ref(operands.output))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function,
        arguments=arguments, reads=(operands.input.index,), writes=(operands.output.index,),
        constants=tuple(t.index for t in (operands.filter, operands.bias) if t is not None),
        summary=f"{describe(operands.input)} -> {describe(operands.output)}; {window_summary(operands)}",
        locals=locals_, tables=tables, scratch_bytes=scratch)
