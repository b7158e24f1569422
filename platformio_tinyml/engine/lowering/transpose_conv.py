"""TRANSPOSE_CONV (int8, per-channel or per-tensor filter, optional int32 bias) ->
tinyml_transpose_conv_s8, with TFLite Micro's Prepare done at build time: the padding from the output
size (TFLite computes it with input and output swapped), per-channel multipliers as a convolution's,
and an int32 scratch buffer of one sum per output element."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, c_struct, kernel_arguments
from ..padding import leading_padding
from ..quantization import activation_range
from ..symbols import scratch_ref, tensor_ref
from .convolution import bias_argument, filter_and_bias, requantization_tables
from .operands import (OpNotSupported, constant_ints, describe, elements, input_tensor, output_tensor,
                       per_tensor_quantization, shape_of_rank)


def _input_size(padding: str, out_size: int, filter_size: int, stride: int) -> int:
    """The input size a transpose convolution to out_size takes (TFLite's ComputeOutSize of the
    output, which is what the transposed convolution inverts)."""
    return (out_size + stride - 1) // stride if padding == "SAME" else (out_size - filter_size + stride) // stride


def lower_transpose_conv(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    output_shape = constant_ints(graph, op, 0, "output_shape")
    w, b = filter_and_bias(graph, op, 1, 3)
    x = input_tensor(graph, op, 2, "input")
    y = output_tensor(graph, op)
    n, in_h, in_w, in_c = shape_of_rank(x, 4, "input")
    out_c, k_h, k_w, k_c = shape_of_rank(w, 4, "filter")
    _, out_h, out_w, y_c = shape_of_rank(y, 4, "output")
    if tuple(output_shape) != tuple(y.shape) or k_c != in_c or y_c != out_c:
        raise OpNotSupported(f"output_shape {list(output_shape)}, filter {list(w.shape)} and input {list(x.shape)} "
                             f"do not make output {list(y.shape)}")
    options = op.options
    stride_h, stride_w, padding = options["stride_h"], options["stride_w"], options["padding"]
    if (_input_size(padding, out_h, k_h, stride_h), _input_size(padding, out_w, k_w, stride_w)) != (in_h, in_w):
        raise OpNotSupported(f"a {padding} transpose convolution with stride {stride_h}x{stride_w} does not take "
                             f"input {in_h}x{in_w} to output {out_h}x{out_w}")
    tables = requantization_tables(op, x, w, y, out_c)
    (_, in_zp), (out_scale, out_zp) = per_tensor_quantization(x), per_tensor_quantization(y)
    low, high = activation_range(options.get("fused_activation_function", "NONE"), out_scale, out_zp)
    pad_h = leading_padding(stride_h, 1, out_h, k_h, in_h)
    pad_w = leading_padding(stride_w, 1, out_w, k_w, in_w)
    params = c_struct(batches=n, input_height=in_h, input_width=in_w, input_depth=in_c, output_height=out_h,
                      output_width=out_w, output_depth=out_c, filter_height=k_h, filter_width=k_w,
                      stride_height=stride_h, stride_width=stride_w, padding_height=pad_h, padding_width=pad_w,
                      input_offset=-in_zp, output_offset=out_zp, activation_min=low, activation_max=high)
    scratch = 4 * elements(y)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_transpose_conv_s8",
        arguments=kernel_arguments("tinyml_transpose_conv_s8", params="&params", input=tensor_ref(x),
                                   filter=tensor_ref(w), bias=bias_argument(b), multipliers=tables[0].name,
                                   shifts=tables[1].name, scratch=f"(int32_t *){scratch_ref(op.index)}",
                                   output=tensor_ref(y)),
        reads=(x.index,), writes=(y.index,), constants=tuple(t.index for t in (w, b) if t is not None),
        summary=f"{describe(x)} -> {describe(y)}; {k_h}x{k_w} filter, stride {stride_h}x{stride_w}, "
                f"padding {pad_h}x{pad_w}",
        locals=(LocalConst("tinyml_transpose_conv_params", "params", params),), tables=tables, scratch_bytes=scratch)
