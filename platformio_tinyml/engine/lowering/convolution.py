"""What CONV_2D and DEPTHWISE_CONV_2D share: padding, requantization tables, bias, activation."""

from __future__ import annotations

from dataclasses import dataclass

from ...graph import Graph, Operator, Tensor
from ..kernel_call import ConstTable, c_struct
from ..padding import leading_padding
from ..quantization import activation_range, per_channel_multipliers
from ..symbols import tensor_ref
from .operands import (OpNotSupported, constant, input_tensor, output_tensor, per_tensor_quantization,
                       shape_of_rank, symmetric_filter_scales)


@dataclass(frozen=True)
class ConvOperands:
    input: Tensor
    filter: Tensor
    bias: Tensor | None
    output: Tensor
    stride_hw: tuple[int, int]
    dilation_hw: tuple[int, int]
    padding_hw: tuple[int, int]
    input_zero_point: int
    output_zero_point: int
    activation: tuple[int, int]


def filter_and_bias(graph: Graph, op: Operator, filter_at: int, bias_at: int,
                    bias_dtype: str = "int32") -> tuple[Tensor, Tensor | None]:
    """A convolution's constant filter and its constant int32 bias (int64 on int16 activations), or
    None where the bias is absent."""
    w = constant(input_tensor(graph, op, filter_at, "filter"), "filter")
    b = input_tensor(graph, op, bias_at, "bias", dtypes=(bias_dtype,), optional=True)
    return w, b if b is None else constant(b, "bias")


def conv_operands(graph: Graph, op: Operator, dtype: str = "int8") -> ConvOperands:
    """dtype: the activations' type, int8 or int16 (int16x8: int64 biases)."""
    x = input_tensor(graph, op, 0, "input", (dtype,))
    w, b = filter_and_bias(graph, op, 1, 2, "int32" if dtype == "int8" else "int64")
    y = output_tensor(graph, op, (dtype,))
    _, in_h, in_w, _ = shape_of_rank(x, 4, "input")
    _, k_h, k_w, _ = shape_of_rank(w, 4, "filter")
    _, out_h, out_w, _ = shape_of_rank(y, 4, "output")
    options = op.options
    stride = (options["stride_h"], options["stride_w"])
    dilation = (options.get("dilation_h_factor", 1), options.get("dilation_w_factor", 1))
    padding = (leading_padding(stride[0], dilation[0], in_h, k_h, out_h),
               leading_padding(stride[1], dilation[1], in_w, k_w, out_w))
    _, in_zp = per_tensor_quantization(x)
    out_scale, out_zp = per_tensor_quantization(y)
    return ConvOperands(x, w, b, y, stride, dilation, padding, in_zp, out_zp,
                        activation_range(options["fused_activation_function"], out_scale, out_zp, dtype))


def requantization_tables(op: Operator, x: Tensor, w: Tensor, y: Tensor,
                          channels: int) -> tuple[ConstTable, ConstTable]:
    """The per-channel multipliers and shifts of a convolution of x by filter w into y."""
    scales = symmetric_filter_scales(w)
    if len(scales) not in (1, channels):
        raise OpNotSupported(f"filter '{w.name}' has {len(scales)} scales for {channels} output channels")
    in_scale, _ = per_tensor_quantization(x)
    out_scale, _ = per_tensor_quantization(y)
    multipliers, shifts = per_channel_multipliers(in_scale, scales, out_scale, channels)
    return (ConstTable(f"op{op.index}_multiplier", "int32_t", multipliers),
            ConstTable(f"op{op.index}_shift", "int32_t", shifts))


def quant_params_literal(tables: tuple[ConstTable, ConstTable]) -> str:
    # CMSIS-NN's struct holds non-const pointers but only reads through them.
    multiplier, shift = tables
    return c_struct(multiplier=f"(int32_t *){multiplier.name}", shift=f"(int32_t *){shift.name}")


def window_params(operands: ConvOperands) -> dict:
    """Fields common to cmsis_nn_conv_params and cmsis_nn_dw_conv_params."""
    (stride_h, stride_w), (dil_h, dil_w), (pad_h, pad_w) = (operands.stride_hw, operands.dilation_hw,
                                                          operands.padding_hw)
    return {
        "input_offset": -operands.input_zero_point,
        "output_offset": operands.output_zero_point,
        "stride": {"w": stride_w, "h": stride_h},
        "padding": {"w": pad_w, "h": pad_h},
        "dilation": {"w": dil_w, "h": dil_h},
        "activation": {"min": operands.activation[0], "max": operands.activation[1]},
    }


def bias_argument(bias: Tensor | None) -> str:
    return tensor_ref(bias) if bias is not None else "NULL"


def window_summary(operands: ConvOperands) -> str:
    _, k_h, k_w, _ = operands.filter.shape
    return (f"{k_h}x{k_w} filter, stride {operands.stride_hw[0]}x{operands.stride_hw[1]}, "
            f"padding {operands.padding_hw[0]}x{operands.padding_hw[1]}")
