"""CONV_2D (int8) of few input channels on Helium -> our tinyml_conv_im2col_s8:
columns built a filter row at a time (CMSIS-NN's arm_convolve_s8 copies each tap's channels with a
call of its own), then CMSIS-NN's arm_nn_mat_mult_nt_t_s8 (tinyml_conv_im2col.c)."""

from __future__ import annotations

from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, c_struct, kernel_arguments
from ..symbols import scratch_ref, tensor_ref
from .convolution import ConvOperands, bias_argument, window_summary
from .operands import describe

MAX_CHANNELS = 3  # where the benchmark shows ours faster: the keyword spotter's 1, ResNet's 3
PIXELS = 4  # TINYML_IM2COL_PIXELS: columns a step


def own_im2col_applies(path: KernelPath, operands: ConvOperands, cmsis_kernel: str) -> bool:
    n, _, _, in_c = operands.input.shape
    return (path is KernelPath.MVE and cmsis_kernel == "arm_convolve_s8" and n == 1
            and in_c <= MAX_CHANNELS and operands.dilation_hw == (1, 1))


def lower_own_im2col(op, operands: ConvOperands, requantization) -> KernelCall:
    x, w, b, y = operands.input, operands.filter, operands.bias, operands.output
    _, in_h, in_w, in_c = x.shape
    out_c, k_h, k_w, _ = w.shape
    _, out_h, out_w, _ = y.shape
    scratch = PIXELS * k_h * k_w * in_c
    (pad_h, pad_w), (stride_h, stride_w) = operands.padding_hw, operands.stride_hw
    low, high = operands.activation
    params = c_struct(input_height=in_h, input_width=in_w, input_channels=in_c, filter_height=k_h, filter_width=k_w,
                      stride_height=stride_h, stride_width=stride_w, padding_height=pad_h, padding_width=pad_w,
                      output_height=out_h, output_width=out_w, output_channels=out_c,
                      input_offset=-operands.input_zero_point, output_offset=operands.output_zero_point,
                      activation_min=low, activation_max=high)
    function = "tinyml_conv_im2col_s8"
    arguments = kernel_arguments(function, params="&params", input=tensor_ref(x), filter=tensor_ref(w),
                                 bias=bias_argument(b), multiplier=requantization[0].name,
                                 shift=requantization[1].name, scratch=f"(int8_t *){scratch_ref(op.index)}",
                                 output=tensor_ref(y))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function, arguments=arguments,
        reads=(x.index,), writes=(y.index,), constants=tuple(t.index for t in (w, b) if t is not None),
        summary=f"{describe(x)} -> {describe(y)}; {window_summary(operands)}, columns {PIXELS} pixels a step",
        locals=(LocalConst("tinyml_im2col_params", "params", params),), tables=requantization,
        scratch_bytes=scratch)
