"""Random single-op int8 models, many independent ops in one graph (one firmware tests them all).

Every supported op appears with random shapes, strides, padding, activations and quantization;
each op has its own graph input(s) and output."""

from __future__ import annotations

import numpy as np

from tflite_writer import OpSpec, TensorSpec, write_model

ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


class ZooBuilder:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.tensors: list[TensorSpec] = []
        self.ops: list[OpSpec] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def tensor(self, spec: TensorSpec) -> int:
        spec.name = spec.name or f"t{len(self.tensors)}"
        self.tensors.append(spec)
        return len(self.tensors) - 1

    def activation_tensor(self, shape, scale=None, zero_point=None) -> int:
        scale = float(self.rng.uniform(0.01, 0.2)) if scale is None else scale
        zero_point = int(self.rng.integers(-100, 100)) if zero_point is None else zero_point
        return self.tensor(TensorSpec(tuple(shape), scale=(scale,), zero_point=(zero_point,)))

    def graph_input(self, shape) -> int:
        index = self.activation_tensor(shape)
        self.inputs.append(index)
        return index

    def op(self, opcode, inputs, output, options_type="NONE", options=None) -> None:
        self.ops.append(OpSpec(opcode, tuple(inputs), (output,), options_type, options or {}))
        self.outputs.append(output)

    def filter_and_bias(self, input_index: int, filter_shape, channels: int, per_channel: bool):
        """int8 filter (symmetric) and int32 bias scaled input_scale * filter_scale, as converters do."""
        scales = self.rng.uniform(0.002, 0.05, size=channels if per_channel else 1)
        weights = self.rng.integers(-127, 128, size=filter_shape).astype(np.int8)
        quantized_dimension = 0 if len(filter_shape) != 4 or filter_shape[0] == channels else 3
        w = self.tensor(TensorSpec(tuple(filter_shape), scale=tuple(scales), zero_point=(0,) * len(scales),
                                   data=weights, quantized_dimension=quantized_dimension))
        in_scale = self.tensors[input_index].scale[0]
        bias_scales = in_scale * np.resize(scales, channels)
        bias = self.rng.integers(-3000, 3000, size=channels).astype(np.int32)
        b = self.tensor(TensorSpec((channels,), "int32", scale=tuple(bias_scales), zero_point=(0,) * channels,
                                   data=bias))
        return w, b

    def window(self):
        return {"padding": str(self.rng.choice(["SAME", "VALID"])),
                "stride_h": int(self.rng.integers(1, 3)), "stride_w": int(self.rng.integers(1, 3))}

    def model(self) -> bytes:
        return write_model(self.tensors, self.ops, self.inputs, self.outputs)


def spatial_out(padding: str, size: int, kernel: int, stride: int) -> int:
    return (size + stride - 1) // stride if padding == "SAME" else (size - kernel + stride) // stride


def add_conv(zoo: ZooBuilder, kernel_hw=None) -> None:
    rng = zoo.rng
    h, w, c_in, c_out = (int(v) for v in (rng.integers(3, 10), rng.integers(3, 10), rng.integers(1, 9),
                                          rng.integers(1, 17)))
    k_h, k_w = kernel_hw or (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    window = zoo.window()
    x = zoo.graph_input((1, h, w, c_in))
    f, b = zoo.filter_and_bias(x, (c_out, k_h, k_w, c_in), c_out, per_channel=True)
    out_shape = (1, spatial_out(window["padding"], h, k_h, window["stride_h"]),
                 spatial_out(window["padding"], w, k_w, window["stride_w"]), c_out)
    y = zoo.activation_tensor(out_shape)
    zoo.op("CONV_2D", (x, f, b), y, "Conv2DOptions",
           {**window, "fused_activation_function": str(rng.choice(ACTIVATIONS)),
            "dilation_w_factor": 1, "dilation_h_factor": 1})


def add_depthwise(zoo: ZooBuilder, multiplier: int, kernel_hw=None) -> None:
    rng = zoo.rng
    h, w, c_in = (int(v) for v in (rng.integers(3, 10), rng.integers(3, 10), rng.integers(1, 9)))
    k_h, k_w = kernel_hw or (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    window = zoo.window()
    c_out = c_in * multiplier
    x = zoo.graph_input((1, h, w, c_in))
    f, b = zoo.filter_and_bias(x, (1, k_h, k_w, c_out), c_out, per_channel=True)
    out_shape = (1, spatial_out(window["padding"], h, k_h, window["stride_h"]),
                 spatial_out(window["padding"], w, k_w, window["stride_w"]), c_out)
    y = zoo.activation_tensor(out_shape)
    zoo.op("DEPTHWISE_CONV_2D", (x, f, b), y, "DepthwiseConv2DOptions",
           {**window, "depth_multiplier": multiplier,
            "fused_activation_function": str(rng.choice(ACTIVATIONS)),
            "dilation_w_factor": 1, "dilation_h_factor": 1})


def add_fully_connected(zoo: ZooBuilder, batches: int) -> None:
    rng = zoo.rng
    depth, units = int(rng.integers(1, 65)), int(rng.integers(1, 17))
    x = zoo.graph_input((batches, depth))
    f, b = zoo.filter_and_bias(x, (units, depth), units, per_channel=False)
    y = zoo.activation_tensor((batches, units))
    zoo.op("FULLY_CONNECTED", (x, f, b), y, "FullyConnectedOptions",
           {"fused_activation_function": str(rng.choice(ACTIVATIONS))})


def add_pool(zoo: ZooBuilder, opcode: str) -> None:
    rng = zoo.rng
    h, w, c = (int(v) for v in (rng.integers(2, 10), rng.integers(2, 10), rng.integers(1, 17)))
    k_h, k_w = int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1))
    window = zoo.window()
    x = zoo.graph_input((1, h, w, c))
    scale, zero_point = zoo.tensors[x].scale[0], zoo.tensors[x].zero_point[0]
    out_shape = (1, spatial_out(window["padding"], h, k_h, window["stride_h"]),
                 spatial_out(window["padding"], w, k_w, window["stride_w"]), c)
    y = zoo.activation_tensor(out_shape, scale, zero_point)
    zoo.op(opcode, (x,), y, "Pool2DOptions",
           {**window, "filter_height": k_h, "filter_width": k_w,
            "fused_activation_function": str(rng.choice(ACTIVATIONS))})


def add_softmax(zoo: ZooBuilder) -> None:
    rng = zoo.rng
    x = zoo.graph_input((int(rng.integers(1, 4)), int(rng.integers(2, 40))))
    y = zoo.activation_tensor(zoo.tensors[x].shape, 1.0 / 256, -128)
    zoo.op("SOFTMAX", (x,), y, "SoftmaxOptions", {"beta": float(rng.choice([1.0, 0.5, 2.0]))})


def add_elementwise(zoo: ZooBuilder, opcode: str) -> None:
    rng = zoo.rng
    shape = (1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 9)))
    a, b = zoo.graph_input(shape), zoo.graph_input(shape)
    y = zoo.activation_tensor(shape)
    options_type = "AddOptions" if opcode == "ADD" else "MulOptions"
    zoo.op(opcode, (a, b), y, options_type, {"fused_activation_function": str(rng.choice(ACTIVATIONS))})


def add_reshape_then_fully_connected(zoo: ZooBuilder) -> None:
    rng = zoo.rng
    h, w, c = (int(v) for v in (rng.integers(1, 5), rng.integers(1, 5), rng.integers(1, 5)))
    x = zoo.graph_input((1, h, w, c))
    flat = zoo.activation_tensor((1, h * w * c), zoo.tensors[x].scale[0], zoo.tensors[x].zero_point[0])
    zoo.ops.append(OpSpec("RESHAPE", (x,), (flat,), "ReshapeOptions", {"new_shape": [1, h * w * c]}))
    units = int(rng.integers(1, 9))
    f, b = zoo.filter_and_bias(flat, (units, h * w * c), units, per_channel=False)
    y = zoo.activation_tensor((1, units))
    zoo.op("FULLY_CONNECTED", (flat, f, b), y, "FullyConnectedOptions", {"fused_activation_function": "NONE"})


def op_zoo(seed: int) -> bytes:
    """One model with every supported op, including the special kernels CMSIS-NN dispatches to:
    1x1 convolutions, 3x3 depthwise, depth multiplier > 1, batched fully connected."""
    zoo = ZooBuilder(seed)
    add_conv(zoo)
    add_conv(zoo, kernel_hw=(1, 1))
    add_conv(zoo, kernel_hw=(3, 3))
    add_depthwise(zoo, multiplier=1)
    add_depthwise(zoo, multiplier=1, kernel_hw=(3, 3))
    add_depthwise(zoo, multiplier=int(zoo.rng.integers(2, 4)))
    add_fully_connected(zoo, batches=1)
    add_fully_connected(zoo, batches=int(zoo.rng.integers(2, 4)))
    add_pool(zoo, "AVERAGE_POOL_2D")
    add_pool(zoo, "MAX_POOL_2D")
    add_softmax(zoo)
    add_elementwise(zoo, "ADD")
    add_elementwise(zoo, "MUL")
    add_reshape_then_fully_connected(zoo)
    return zoo.model()
