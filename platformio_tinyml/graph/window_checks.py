"""Shapes of the windowed and weighted ops against each other: the output size their padding and
strides give, channel and unit counts that match the weights. The kernels index by these shapes, so
a model where they disagree would read or write past a tensor; no converter writes one."""

from __future__ import annotations

import math

from .model import Graph, Operator
from .problems import op_label, operand

WINDOWED = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")
# A dilated window's extent: TFLite Micro keeps paddings in int16 (a 65,536 window gave other outputs
# than the engine's; 20,000 is still bit-exact) and the kernels index with int32 products of it.
MAX_WINDOW = (1 << 15) - 1


def output_size(padding: str, in_size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    """TFLite's ComputeOutSize for 'SAME' or 'VALID' padding."""
    effective_filter = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return (in_size + stride - effective_filter) // stride
    raise ValueError(f"padding {padding!r} is neither SAME nor VALID")


def window_problems(graph: Graph, op: Operator) -> list[str]:
    """For an op whose operands, options and shapes passed the other checks."""
    if op.opcode == "FULLY_CONNECTED":
        return _fully_connected_problems(graph, op)
    if op.opcode not in WINDOWED or len(op.inputs) < (1 if "POOL" in op.opcode else 2):
        return []
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    weights = None if "POOL" in op.opcode else graph.tensors[op.inputs[1]]
    if len(x.shape) != 4 or len(y.shape) != 4 or (weights is not None and len(weights.shape) != 4):
        return [f"{op_label(op)}: its input, output and filter must be 4-D (NHWC); they are "
                f"{list(x.shape)}, {list(y.shape)}" + (f", {list(weights.shape)}" if weights is not None else "")]
    options = op.options
    if weights is None:
        filter_hw = (options["filter_height"], options["filter_width"])
    else:
        filter_hw = tuple(weights.shape[1:3])
    dilation = (options.get("dilation_h_factor", 1), options.get("dilation_w_factor", 1))
    stride = (options["stride_h"], options["stride_w"])
    expected = tuple(output_size(options["padding"], x.shape[1 + i], filter_hw[i], stride[i], dilation[i])
                     for i in (0, 1))
    details = []
    if tuple(y.shape[1:3]) != expected:
        details.append(f"{operand(op, 'output', 0, y)} is {y.shape[1]}x{y.shape[2]} (HxW), but "
                       f"{options['padding']} padding of a {x.shape[1]}x{x.shape[2]} input with a "
                       f"{filter_hw[0]}x{filter_hw[1]} window, stride {stride[0]}x{stride[1]} and dilation "
                       f"{dilation[0]}x{dilation[1]} gives {expected[0]}x{expected[1]}")
    if y.shape[0] != x.shape[0]:
        details.append(f"{operand(op, 'output', 0, y)} has batch {y.shape[0]}, its input {x.shape[0]}")
    for axis, extent in (("h", (filter_hw[0] - 1) * dilation[0] + 1), ("w", (filter_hw[1] - 1) * dilation[1] + 1)):
        if extent > MAX_WINDOW:
            details.append(f"{op_label(op)}: the dilated window is {extent:,} wide along {axis} (dilation "
                           f"{dilation[0 if axis == 'h' else 1]:,}); TFLite Micro runs windows of at most "
                           f"{MAX_WINDOW:,}")
    details += _channel_problems(graph, op, x.shape[3], y.shape[3], weights)
    return details


def _channel_problems(graph: Graph, op: Operator, in_channels: int, out_channels: int, weights) -> list[str]:
    y = graph.tensors[op.outputs[0]]
    if weights is None:
        return [] if in_channels == out_channels else \
            [f"{operand(op, 'output', 0, y)} has {out_channels} channels, its input {in_channels}; pooling keeps them"]
    details = []
    if op.opcode == "CONV_2D":  # filters [out, h, w, in per group]
        wanted_out, per_group = weights.shape[0], weights.shape[3]
        if in_channels % per_group:
            details.append(f"{operand(op, 'input', 1, weights)} takes {per_group} input channels, which do not "
                           f"divide the input's {in_channels}")
    else:  # depthwise filters [1, h, w, out]
        wanted_out = weights.shape[3]
        multiplier = op.options.get("depth_multiplier", 1)
        if wanted_out % in_channels:
            details.append(f"{operand(op, 'input', 1, weights)} has {wanted_out} channels, not a multiple of "
                           f"the input's {in_channels}")
        elif multiplier != wanted_out // in_channels:  # TFLite Micro loops over the option's value
            details.append(f"{op_label(op)}: depth_multiplier is {multiplier}, but the filter makes {wanted_out} "
                           f"channels of the input's {in_channels}: {wanted_out // in_channels} per channel")
    if out_channels != wanted_out:
        details.append(f"{operand(op, 'output', 0, y)} has {out_channels} channels; the filter makes {wanted_out}")
    return details + _bias_problems(graph, op, wanted_out, "output channel")


def _fully_connected_problems(graph: Graph, op: Operator) -> list[str]:
    x, weights, y = (graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]])
    if len(weights.shape) != 2:
        return [f"{operand(op, 'input', 1, weights)} has shape {list(weights.shape)}; the weights must be "
                f"2-D [units, depth]"]
    units, depth = weights.shape
    details = []
    if math.prod(x.shape) % depth:
        details.append(f"{operand(op, 'input', 0, x)} has {math.prod(x.shape)} elements, not rows of the "
                       f"weights' depth {depth}")
    elif math.prod(y.shape) != math.prod(x.shape) // depth * units or y.shape[-1:] != (units,):
        # TFLite Micro takes the units from the output's last dimension and the rows from the rest
        details.append(f"{operand(op, 'output', 0, y)} has shape {list(y.shape)}; {math.prod(x.shape) // depth} "
                       f"rows of {units} units make {math.prod(x.shape) // depth * units} elements, the last "
                       f"dimension being the {units} units")
    return details + _bias_problems(graph, op, units, "unit")


def _bias_problems(graph: Graph, op: Operator, count: int, per: str) -> list[str]:
    """The optional bias (input 2) holds one value per output channel or unit."""
    if len(op.inputs) < 3 or op.inputs[2] == -1:
        return []
    bias = graph.tensors[op.inputs[2]]
    if math.prod(bias.shape) == count:
        return []
    return [f"{operand(op, 'input', 2, bias)} has shape {list(bias.shape)}; the bias needs one value per "
            f"{per} ({count})"]
