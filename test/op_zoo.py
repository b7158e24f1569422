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


def add_conv(zoo: ZooBuilder, kernel_hw=None, channels=None, stride=None) -> None:
    rng = zoo.rng
    h, w, c_in, c_out = (int(v) for v in (rng.integers(3, 10), rng.integers(3, 10), rng.integers(1, 9),
                                          rng.integers(1, 17)))
    c_in = channels or c_in
    k_h, k_w = kernel_hw or (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    window = zoo.window()
    if stride:
        window.update(stride_h=stride, stride_w=stride)
    x = zoo.graph_input((1, h, w, c_in))
    f, b = zoo.filter_and_bias(x, (c_out, k_h, k_w, c_in), c_out, per_channel=True)
    out_shape = (1, spatial_out(window["padding"], h, k_h, window["stride_h"]),
                 spatial_out(window["padding"], w, k_w, window["stride_w"]), c_out)
    y = zoo.activation_tensor(out_shape)
    zoo.op("CONV_2D", (x, f, b), y, "Conv2DOptions",
           {**window, "fused_activation_function": str(rng.choice(ACTIVATIONS)),
            "dilation_w_factor": 1, "dilation_h_factor": 1})


def add_depthwise(zoo: ZooBuilder, multiplier: int, kernel_hw=None, channels=None) -> None:
    rng = zoo.rng
    h, w, c_in = (int(v) for v in (rng.integers(3, 10), rng.integers(3, 10), rng.integers(1, 9)))
    c_in = channels or c_in
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


def add_fully_connected(zoo: ZooBuilder, batches: int, per_channel: bool = False) -> None:
    rng = zoo.rng
    depth, units = int(rng.integers(1, 65)), int(rng.integers(1, 17))
    x = zoo.graph_input((batches, depth))
    f, b = zoo.filter_and_bias(x, (units, depth), units, per_channel=per_channel)
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
    add_fully_connected(zoo, batches=1, per_channel=True)  # Keras Dense layers' quantization
    add_fully_connected(zoo, batches=int(zoo.rng.integers(2, 4)), per_channel=True)
    add_pool(zoo, "AVERAGE_POOL_2D")
    add_pool(zoo, "MAX_POOL_2D")
    add_softmax(zoo)
    add_elementwise(zoo, "ADD")
    add_elementwise(zoo, "MUL")
    add_reshape_then_fully_connected(zoo)
    # our own depthwise kernels' wide paths: eight channels and a rest (Helium), quads and a rest (DSP)
    add_depthwise(zoo, multiplier=1, kernel_hw=(3, 3), channels=21)
    add_depthwise(zoo, multiplier=1, kernel_hw=(5, 2), channels=12)
    # our own column builder (Helium): one input channel, and three
    add_conv(zoo, kernel_hw=(5, 3), channels=1)
    add_conv(zoo, kernel_hw=(3, 3), channels=3)
    # our own 1x1 kernel (Helium): filter rows of two and of four 16-byte steps
    add_conv(zoo, kernel_hw=(1, 1), channels=32, stride=1)
    add_conv(zoo, kernel_hw=(1, 1), channels=64, stride=1)
    return zoo.model()


# ---- the transformer ops: our own kernels -------------------------------------------------------

def random_shape(rng, rank: int, low: int = 1, high: int = 6) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(low, high, size=rank))


def int32_constant(zoo: ZooBuilder, values) -> int:
    values = np.asarray(values, dtype=np.int32)
    return zoo.tensor(TensorSpec(values.shape, "int32", data=values))


def int8_constant(zoo: ZooBuilder, shape, scale=None, zero_point=None) -> int:
    rng = zoo.rng
    scale = float(rng.uniform(0.01, 0.2)) if scale is None else scale
    zero_point = int(rng.integers(-100, 100)) if zero_point is None else zero_point
    data = rng.integers(-128, 128, size=shape).astype(np.int8)
    return zoo.tensor(TensorSpec(tuple(shape), scale=(scale,), zero_point=(zero_point,), data=data))


def add_table_op(zoo: ZooBuilder, opcode: str, options_type="NONE", options=None, output_quant=None) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)))
    x = zoo.graph_input(shape)
    if opcode == "RSQRT":  # only positive reals are defined: random_cases keeps this input above its zero point
        zoo.tensors[x].name = f"positive_{x}"
    y = zoo.activation_tensor(shape, *(output_quant or (None, None)))
    zoo.op(opcode, (x,), y, options_type, options)


def broadcastable_pair(rng, max_rank: int):
    rank = int(rng.integers(1, max_rank + 1))
    out = random_shape(rng, rank, 1, 5)
    a = tuple(d if rng.random() < 0.6 else 1 for d in out)
    b = tuple(d if rng.random() < 0.6 else 1 for d in out)
    b = b[int(rng.integers(0, rank)):] if rng.random() < 0.4 else b  # fewer dims: aligned on the right
    out = tuple(max(x, y) for x, y in zip(a, (1,) * (rank - len(b)) + b))
    return a, b, out


def add_broadcast_binary(zoo: ZooBuilder, opcode: str, constant_second: bool = False) -> None:
    rng = zoo.rng
    a_shape, b_shape, out_shape = broadcastable_pair(rng, 4)
    a = zoo.graph_input(a_shape)
    b = int8_constant(zoo, b_shape) if constant_second else zoo.graph_input(b_shape)
    y = zoo.activation_tensor(out_shape)
    options_type = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions",
                    "SQUARED_DIFFERENCE": "SquaredDifferenceOptions"}[opcode]
    options = {} if opcode == "SQUARED_DIFFERENCE" else {"fused_activation_function": str(rng.choice(ACTIVATIONS[:3]))}
    zoo.op(opcode, (a, b), y, options_type, options)


def add_batch_matmul(zoo: ZooBuilder, constant_rhs: bool = False, wide: bool = False) -> None:
    """wide: up to 72 columns and 40 of depth, so the kernel's column blocks (32, and 16 on Helium)
    have full and partial ones."""
    rng = zoo.rng
    rows, cols, depth = (int(v) for v in rng.integers(1, 9, size=3))
    if wide:
        cols, depth = int(rng.integers(17, 73)), int(rng.integers(1, 41))
    batch = random_shape(rng, int(rng.integers(0, 3)), 1, 4)
    lhs_batch = tuple(d if rng.random() < 0.7 else 1 for d in batch)
    rhs_batch = tuple(d if rng.random() < 0.7 else 1 for d in batch)
    if rng.random() < 0.3:
        rhs_batch = rhs_batch[1:]
    out_batch = tuple(max(x, y) for x, y in zip(lhs_batch, (1,) * (len(lhs_batch) - len(rhs_batch)) + rhs_batch))
    adj_x, adj_y = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    lhs = zoo.graph_input(lhs_batch + ((depth, rows) if adj_x else (rows, depth)))
    rhs_shape = rhs_batch + ((cols, depth) if adj_y else (depth, cols))
    rhs = int8_constant(zoo, rhs_shape) if constant_rhs else zoo.graph_input(rhs_shape)
    y = zoo.activation_tensor(out_batch + (rows, cols), scale=float(rng.uniform(0.05, 1.0)))
    zoo.op("BATCH_MATMUL", (lhs, rhs), y, "BatchMatMulOptions", {"adj_x": adj_x, "adj_y": adj_y})


def add_transpose(zoo: ZooBuilder, rank: int) -> None:
    rng = zoo.rng
    shape = random_shape(rng, rank, 1, 5 if rank < 5 else 3)
    perm = [int(p) for p in rng.permutation(rank)]
    x = zoo.graph_input(shape)
    q = zoo.tensors[x]
    y = zoo.activation_tensor(tuple(shape[p] for p in perm), q.scale[0], q.zero_point[0])
    zoo.op("TRANSPOSE", (x, int32_constant(zoo, perm)), y, "TransposeOptions", {})


def add_reduce(zoo: ZooBuilder, opcode: str, axes, rank: int, keep_dims: bool, same_quant: bool) -> None:
    rng = zoo.rng
    shape = random_shape(rng, rank, 1, 7)
    x = zoo.graph_input(shape)
    resolved = sorted({a % rank for a in axes})
    out_shape = tuple(1 if d in resolved else n for d, n in enumerate(shape)) if keep_dims else \
        tuple(n for d, n in enumerate(shape) if d not in resolved)
    q = zoo.tensors[x]
    if same_quant:
        y = zoo.activation_tensor(out_shape, q.scale[0], q.zero_point[0])
    elif opcode == "SUM":
        count = int(np.prod([shape[d] for d in resolved]))
        y = zoo.activation_tensor(out_shape, q.scale[0] * count * float(rng.uniform(0.3, 1.0)))
    else:
        y = zoo.activation_tensor(out_shape)
    zoo.op(opcode, (x, int32_constant(zoo, list(axes))), y, "ReducerOptions", {"keep_dims": keep_dims})


def add_concatenation(zoo: ZooBuilder, with_constant: bool) -> None:
    rng = zoo.rng
    rank = int(rng.integers(1, 5))
    shape = list(random_shape(rng, rank))
    axis = int(rng.integers(-rank, rank))
    scale, zero_point = float(rng.uniform(0.01, 0.2)), int(rng.integers(-100, 100))
    inputs, total = [], 0
    for number in range(int(rng.integers(2, 4))):
        part = list(shape)
        part[axis] = int(rng.integers(1, 4))
        total += part[axis]
        if with_constant and number == 0:
            inputs.append(int8_constant(zoo, tuple(part), scale, zero_point))
        else:
            inputs.append(zoo.activation_tensor(tuple(part), scale, zero_point))
            zoo.inputs.append(inputs[-1])
    shape[axis] = total
    y = zoo.activation_tensor(tuple(shape), scale, zero_point)
    zoo.op("CONCATENATION", inputs, y, "ConcatenationOptions", {"axis": axis, "fused_activation_function": "NONE"})


def add_strided_slice(zoo: ZooBuilder) -> None:
    rng = zoo.rng
    rank = int(rng.integers(1, 5))
    shape = random_shape(rng, rank, 2, 7)
    begin, end, strides, out = [], [], [], []
    begin_mask = end_mask = shrink = 0
    for axis, size in enumerate(shape):
        stride = int(rng.choice([1, 1, 2, -1, 3]))
        b, e = int(rng.integers(-size, size)), int(rng.integers(-size - 1, size + 1))
        if rng.random() < 0.2:
            begin_mask |= 1 << axis
        if rng.random() < 0.2:
            end_mask |= 1 << axis
        if rng.random() < 0.15 and axis > 0:
            shrink |= 1 << axis
            stride, e = 1, b + 1
        begin.append(b), end.append(e), strides.append(stride)
    from platformio_tinyml.engine.lowering.data_movement import slice_bounds
    for axis, size in enumerate(shape):
        _, count = slice_bounds(size, begin[axis], end[axis], strides[axis], bool(begin_mask >> axis & 1),
                                bool(end_mask >> axis & 1), bool(shrink >> axis & 1), False)
        if not shrink >> axis & 1:
            out.append(count)
    if 0 in out:  # an empty slice says nothing; take the whole input instead
        begin, end, strides, out = [0] * rank, list(shape), [1] * rank, list(shape)
        begin_mask = end_mask = shrink = 0
    x = zoo.graph_input(shape)
    q = zoo.tensors[x]
    y = zoo.activation_tensor(tuple(out), q.scale[0], q.zero_point[0])
    zoo.op("STRIDED_SLICE", (x, int32_constant(zoo, begin), int32_constant(zoo, end), int32_constant(zoo, strides)),
           y, "StridedSliceOptions", {"begin_mask": begin_mask, "end_mask": end_mask, "ellipsis_mask": 0,
                                      "new_axis_mask": 0, "shrink_axis_mask": shrink})


def add_gather(zoo: ZooBuilder) -> None:
    rng = zoo.rng
    rank = int(rng.integers(1, 4))
    shape = random_shape(rng, rank, 1, 6)
    axis = int(rng.integers(0, rank))
    indices = rng.integers(0, shape[axis], size=random_shape(rng, int(rng.integers(1, 3)), 1, 4))
    x = zoo.graph_input(shape)
    q = zoo.tensors[x]
    out = tuple(shape[:axis]) + indices.shape + tuple(shape[axis + 1:])
    y = zoo.activation_tensor(out, q.scale[0], q.zero_point[0])
    zoo.op("GATHER", (x, int32_constant(zoo, indices)), y, "GatherOptions", {"axis": axis, "batch_dims": 0})


def add_pad(zoo: ZooBuilder, opcode: str) -> None:
    rng = zoo.rng
    rank = int(rng.integers(1, 5))
    shape = random_shape(rng, rank, 1, 5)
    paddings = rng.integers(0, 3, size=(rank, 2))
    x = zoo.graph_input(shape)
    q = zoo.tensors[x]
    y = zoo.activation_tensor(tuple(int(s + p.sum()) for s, p in zip(shape, paddings)), q.scale[0], q.zero_point[0])
    inputs = [x, int32_constant(zoo, paddings)]
    if opcode == "PADV2":
        inputs.append(zoo.tensor(TensorSpec((1,), scale=q.scale, zero_point=q.zero_point,
                                            data=np.array([rng.integers(-128, 128)], dtype=np.int8))))
    zoo.op(opcode, inputs, y, "PadOptions" if opcode == "PAD" else "PadV2Options", {})


def add_alias_then_tanh(zoo: ZooBuilder, opcode: str) -> None:
    rng = zoo.rng
    shape = random_shape(rng, 3, 1, 5)
    x = zoo.graph_input((1,) + shape if opcode == "SQUEEZE" else shape)
    q = zoo.tensors[x]
    if opcode == "SQUEEZE":
        mid = zoo.activation_tensor(shape, q.scale[0], q.zero_point[0])
        zoo.ops.append(OpSpec("SQUEEZE", (x,), (mid,), "SqueezeOptions", {"squeeze_dims": [0]}))
    else:
        mid = zoo.activation_tensor(shape + (1,), q.scale[0], q.zero_point[0])
        zoo.ops.append(OpSpec("EXPAND_DIMS", (x, int32_constant(zoo, [-1])), (mid,)))
    y = zoo.activation_tensor(zoo.tensors[mid].shape)
    zoo.op("TANH", (mid,), y)


def add_quantize_edges(zoo: ZooBuilder) -> None:
    rng = zoo.rng
    shape = random_shape(rng, 2)
    x = zoo.tensor(TensorSpec(shape, "float32", name="float_in"))
    zoo.inputs.append(x)
    y = zoo.activation_tensor(shape)
    zoo.op("QUANTIZE", (x,), y)
    a = zoo.graph_input(shape)
    f = zoo.tensor(TensorSpec(shape, "float32", name="float_out"))
    zoo.op("DEQUANTIZE", (a,), f)


def add_float_div(zoo: ZooBuilder, shapes=None) -> None:
    """DEQUANTIZE -> DIV (float32, broadcasting) -> QUANTIZE, as the converter leaves linear attention's
    normalisation. The divisor's graph input is named nonzero_*: random_cases keeps it off its zero
    point (x / 0 is inf, whose QUANTIZE differs between hosts and cores)."""
    rng = zoo.rng
    a_shape, b_shape, out_shape = shapes or broadcastable_pair(rng, 4)
    if shapes is None and rng.random() < 0.5:
        a_shape, b_shape = b_shape, a_shape  # either operand may be the broadcast one
        out_shape = tuple(max(x, y) for x, y in zip((1,) * (len(out_shape) - len(a_shape)) + a_shape,
                                                    (1,) * (len(out_shape) - len(b_shape)) + b_shape))
    a, b = zoo.graph_input(a_shape), zoo.graph_input(b_shape)
    zoo.tensors[b].name = f"nonzero_{b}"
    fa = zoo.tensor(TensorSpec(a_shape, "float32"))
    fb = zoo.tensor(TensorSpec(b_shape, "float32"))
    fy = zoo.tensor(TensorSpec(out_shape, "float32"))
    zoo.ops.append(OpSpec("DEQUANTIZE", (a,), (fa,)))
    zoo.ops.append(OpSpec("DEQUANTIZE", (b,), (fb,)))
    zoo.ops.append(OpSpec("DIV", (fa, fb), (fy,), "DivOptions",
                          {"fused_activation_function": str(rng.choice(ACTIVATIONS))}))
    # quotients of two values of similar scale: mostly within +-10
    y = zoo.activation_tensor(out_shape, scale=float(rng.uniform(0.02, 0.1)))
    zoo.op("QUANTIZE", (fy,), y)


def add_float_unary(zoo: ZooBuilder, opcode: str, float_output: bool = False) -> None:
    """DEQUANTIZE -> op on float32 -> QUANTIZE (linear attention's ELU feature map); with float_output
    the op's float32 result is the graph's output (its table holds NaN where LOG or SQRT has none)."""
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 5)))
    x = zoo.graph_input(shape)
    fx, fy = zoo.tensor(TensorSpec(shape, "float32")), zoo.tensor(TensorSpec(shape, "float32"))
    zoo.ops.append(OpSpec("DEQUANTIZE", (x,), (fx,)))
    if float_output:
        zoo.op(opcode, (fx,), fy)
        return
    zoo.ops.append(OpSpec(opcode, (fx,), (fy,)))
    y = zoo.activation_tensor(shape)
    zoo.op("QUANTIZE", (fy,), y)


def add_gelu_chain(zoo: ZooBuilder) -> int:
    """GELU's tanh form, eight ops of one run-time input: 0.5x(1 + tanh(0.798(x + 0.0447x^3))) with
    the 0.5 folded into the last MUL's output scale, as onnx2tf writes it. Returns the output."""
    shape = random_shape(zoo.rng, 3)
    x = zoo.graph_input(shape)

    def step(opcode, a, b=None):
        y = zoo.activation_tensor(shape)
        if opcode == "TANH":
            zoo.ops.append(OpSpec(opcode, (a,), (y,)))
        else:
            zoo.ops.append(OpSpec(opcode, (a, b), (y,), f"{opcode.title()}Options",
                                  {"fused_activation_function": "NONE"}))
        return y

    def scalar():
        return int8_constant(zoo, (1,))

    cube = step("MUL", step("MUL", x, x), x)
    inner = step("ADD", x, step("MUL", cube, scalar()))
    one_plus_tanh = step("ADD", step("TANH", step("MUL", inner, scalar())), scalar())
    y = step("MUL", x, one_plus_tanh)
    zoo.outputs.append(y)
    return y


def add_channel_shift_and_scale(zoo: ZooBuilder) -> int:
    """x + bias[c] then * s: a table per channel (the constant varies along the last axis)."""
    rng = zoo.rng
    channels = int(rng.integers(2, 9))
    shape = (*random_shape(rng, 2), channels)
    x = zoo.activation_tensor(shape, 0.05)  # scales that keep the channels apart (no saturation)
    zoo.inputs.append(x)
    shifted = zoo.activation_tensor(shape, 0.1)
    zoo.ops.append(OpSpec("ADD", (x, int8_constant(zoo, (channels,), 0.05)), (shifted,), "AddOptions",
                          {"fused_activation_function": "NONE"}))
    y = zoo.activation_tensor(shape)
    zoo.op("MUL", (shifted, int8_constant(zoo, (1,))), y, "MulOptions", {"fused_activation_function": "RELU"})
    return y


def add_two_input_product_then_shift(zoo: ZooBuilder) -> int:
    """x * z (two run-time inputs: no table) then + c (a table of x * z's value). Returns x * z."""
    shape = random_shape(zoo.rng, 2)
    x, z = zoo.graph_input(shape), zoo.graph_input(shape)
    product = zoo.activation_tensor(shape)
    zoo.ops.append(OpSpec("MUL", (x, z), (product,), "MulOptions", {"fused_activation_function": "NONE"}))
    y = zoo.activation_tensor(shape)
    zoo.op("ADD", (product, int8_constant(zoo, (1,))), y, "AddOptions", {"fused_activation_function": "NONE"})
    return product


def add_constant_operands(zoo: ZooBuilder) -> None:
    """ADD and SUB of a run-time [1, 3, 24] and a constant that no table takes (24 channels, or varying
    along two axes): x + bias, embedding + x, x - c, and c - x (which the constant kernel leaves)."""
    shape = (1, 3, 24)
    cases = (("ADD", False, (24,), "RELU"), ("ADD", True, (3, 24), "NONE"), ("SUB", False, (1, 1, 24), "NONE"),
             ("SUB", True, (24,), "NONE"))
    for opcode, constant_first, constant_shape, activation in cases:
        x, c = zoo.graph_input(shape), int8_constant(zoo, constant_shape)
        options_type = "AddOptions" if opcode == "ADD" else "SubOptions"
        zoo.op(opcode, (c, x) if constant_first else (x, c), zoo.activation_tensor(shape), options_type,
               {"fused_activation_function": activation})


def add_layer_norm(zoo: ZooBuilder, onnx_style: bool) -> int:
    """LayerNorm over the last axis as converters write it. TensorFlow's: x * s + (beta - mean * s)
    with s = gamma * rsqrt(var + eps), var the mean of SQUARED_DIFFERENCE(x, mean). onnx_style:
    d = x - mean, (d * rsqrt(mean(d * d) + eps)) * gamma + beta, where d is needed again after the
    variance (a row kept across passes). Quantization chosen so RSQRT only sees positive values."""
    rng = zoo.rng
    rows, columns = int(rng.integers(2, 6)), int(rng.integers(3, 18))
    shape, per_row = (1, rows, columns), (1, rows, 1)
    x_scale = float(rng.uniform(0.02, 0.1))
    x = zoo.activation_tensor(shape, x_scale)
    zoo.inputs.append(x)

    def op(opcode, inputs, out):
        options = {"MEAN": ("ReducerOptions", {"keep_dims": True}), "ADD": ("AddOptions", {"fused_activation_function": "NONE"}),
                   "SUB": ("SubOptions", {"fused_activation_function": "NONE"}),
                   "MUL": ("MulOptions", {"fused_activation_function": "NONE"})}.get(opcode, ("NONE", {}))
        zoo.ops.append(OpSpec(opcode, tuple(inputs), (out,), *options))
        return out

    def mean(of, scale, zero_point):
        return op("MEAN", (of, int32_constant(zoo, [-1])), zoo.activation_tensor(per_row, scale, zero_point))

    m = mean(x, x_scale, int(rng.integers(-20, 20)))
    square_scale = x_scale * x_scale * float(rng.uniform(20, 60))
    if onnx_style:
        d = op("SUB", (x, m), zoo.activation_tensor(shape, x_scale * 1.5, 0))
        squares = op("MUL", (d, d), zoo.activation_tensor(shape, square_scale, -128))
    else:
        squares = op("SQUARED_DIFFERENCE", (x, m), zoo.activation_tensor(shape, square_scale, -128))
    v = mean(squares, square_scale, -128)
    eps = zoo.tensor(TensorSpec((1,), scale=(square_scale,), zero_point=(0,), data=np.array([3], np.int8)))
    a = op("ADD", (v, eps), zoo.activation_tensor(per_row, square_scale * 1.1, -128))
    r_scale = 1 / np.sqrt(3 * square_scale) / 200
    r = op("RSQRT", (a,), zoo.activation_tensor(per_row, float(r_scale), -128))
    gamma = int8_constant(zoo, (columns,), 0.01, 0)
    beta = int8_constant(zoo, (columns,), 0.02, 0)
    y_scale = float(rng.uniform(0.02, 0.06))
    if onnx_style:
        normal = op("MUL", (d, r), zoo.activation_tensor(shape, 0.03, 0))
        scaled = op("MUL", (normal, gamma), zoo.activation_tensor(shape, 0.02, 0))
        y = op("ADD", (scaled, beta), zoo.activation_tensor(shape, y_scale, 0))
    else:
        s = op("MUL", (r, gamma), zoo.activation_tensor(shape, float(r_scale * 128 * 0.01), 0))
        p = op("MUL", (x, s), zoo.activation_tensor(shape, 0.03, 0))
        q = op("MUL", (m, s), zoo.activation_tensor(shape, 0.03, 0))
        t = op("SUB", (beta, q), zoo.activation_tensor(shape, 0.03, 0))
        y = op("ADD", (p, t), zoo.activation_tensor(shape, y_scale, 0))
    zoo.outputs.append(y)
    return y


def transformer_op_zoo(seed: int) -> bytes:
    """One model with every op of our own kernels, random shapes and quantization."""
    zoo = ZooBuilder(seed)
    rng = zoo.rng
    for opcode in ("TANH", "HARD_SWISH", "RELU", "RELU6", "ELU", "ABS", "RSQRT", "QUANTIZE"):
        add_table_op(zoo, opcode)
    add_table_op(zoo, "LOGISTIC", output_quant=(1.0 / 256, -128))
    add_table_op(zoo, "LEAKY_RELU", "LeakyReluOptions", {"alpha": float(rng.uniform(0.01, 0.5))})
    for opcode in ("ADD", "SUB", "MUL", "SQUARED_DIFFERENCE"):
        add_broadcast_binary(zoo, opcode)
        add_broadcast_binary(zoo, opcode, constant_second=True)
    add_batch_matmul(zoo)
    add_batch_matmul(zoo, constant_rhs=True)
    add_batch_matmul(zoo)
    for rank in (2, 3, 4, 5):  # TFLite Micro's TRANSPOSE stops at 5-D (ours takes 6)
        add_transpose(zoo, rank)
    add_reduce(zoo, "MEAN", [-1], 3, keep_dims=True, same_quant=False)      # LayerNorm's
    add_reduce(zoo, "MEAN", [-1], 3, keep_dims=True, same_quant=True)
    add_reduce(zoo, "MEAN", [1, 2], 4, keep_dims=True, same_quant=False)    # global average pooling
    add_reduce(zoo, "MEAN", [1, 2], 4, keep_dims=False, same_quant=True)
    add_reduce(zoo, "MEAN", [0, 2], 3, keep_dims=False, same_quant=False)
    add_reduce(zoo, "SUM", [-1], 3, keep_dims=True, same_quant=False)
    add_reduce(zoo, "SUM", [1], 2, keep_dims=False, same_quant=True)
    add_concatenation(zoo, with_constant=False)
    add_concatenation(zoo, with_constant=True)
    add_strided_slice(zoo)
    add_strided_slice(zoo)
    add_gather(zoo)
    add_pad(zoo, "PAD")
    add_pad(zoo, "PADV2")
    add_alias_then_tanh(zoo, "SQUEEZE")
    add_alias_then_tanh(zoo, "EXPAND_DIMS")
    add_quantize_edges(zoo)
    add_float_div(zoo)
    add_float_div(zoo)
    add_float_div(zoo, ((1, 2, 8, 8), (1, 2, 8, 1), (1, 2, 8, 8)))  # linear attention's: numerator / k.z
    add_float_unary(zoo, "ELU")
    add_float_unary(zoo, "TANH")
    add_batch_matmul(zoo, wide=True)
    add_batch_matmul(zoo, constant_rhs=True, wide=True)
    add_gelu_chain(zoo)
    add_channel_shift_and_scale(zoo)
    add_two_input_product_then_shift(zoo)
    add_layer_norm(zoo, onnx_style=False)
    add_layer_norm(zoo, onnx_style=True)
    add_constant_operands(zoo)
    return zoo.model()


def add_extremum(zoo: ZooBuilder, opcode: str, constant_second: bool, same_quantization: bool) -> None:
    """MAXIMUM / MINIMUM, broadcasting; a converter gives inputs and output one quantization, but
    TFLite Micro compares the raw values whatever they are, and so must we."""
    a_shape, b_shape, out_shape = broadcastable_pair(zoo.rng, 4)
    a = zoo.graph_input(a_shape)
    quant = zoo.tensors[a].scale[0], zoo.tensors[a].zero_point[0]
    if constant_second:
        b = int8_constant(zoo, b_shape, *quant) if same_quantization else int8_constant(zoo, b_shape)
    else:
        b = zoo.activation_tensor(b_shape, *quant) if same_quantization else zoo.activation_tensor(b_shape)
        zoo.inputs.append(b)
    y = zoo.activation_tensor(out_shape, *quant) if same_quantization else zoo.activation_tensor(out_shape)
    zoo.op(opcode, (a, b), y, "MaximumMinimumOptions")


def add_slice(zoo: ZooBuilder) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 5)), 1, 6)
    x = zoo.graph_input(shape)
    begin = [int(rng.integers(0, d)) for d in shape]
    size = [-1 if rng.random() < 0.3 else int(rng.integers(1, d - b + 1)) for d, b in zip(shape, begin)]
    out = tuple(d - b if s == -1 else s for d, b, s in zip(shape, begin, size))
    quant = zoo.tensors[x].scale[0], zoo.tensors[x].zero_point[0]
    zoo.op("SLICE", (x, int32_constant(zoo, begin), int32_constant(zoo, size)), zoo.activation_tensor(out, *quant),
           "SliceOptions")


def inputs_quantized_alike(zoo: ZooBuilder, shape, count: int) -> tuple[list[int], tuple[float, int]]:
    """`count` graph inputs of one shape and one (random) quantization, and that quantization."""
    first = zoo.graph_input(shape)
    quant = zoo.tensors[first].scale[0], zoo.tensors[first].zero_point[0]
    inputs = [first]
    for _ in range(count - 1):
        inputs.append(zoo.activation_tensor(shape, *quant))
        zoo.inputs.append(inputs[-1])
    return inputs, quant


def add_pack(zoo: ZooBuilder, count: int) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 5)
    inputs, quant = inputs_quantized_alike(zoo, shape, count)
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1))
    at = axis + len(shape) + 1 if axis < 0 else axis
    out = zoo.activation_tensor(tuple(shape[:at]) + (count,) + tuple(shape[at:]), *quant)
    zoo.op("PACK", inputs, out, "PackOptions", {"values_count": count, "axis": axis})


def add_split(zoo: ZooBuilder, opcode: str) -> None:
    """SPLIT, SPLIT_V (one size -1) or UNPACK of one input into several outputs."""
    rng = zoo.rng
    rank = int(rng.integers(1, 5))
    shape = list(random_shape(rng, rank, 1, 5))
    axis = int(rng.integers(0, rank))
    parts = int(rng.integers(2, 4))
    shape[axis] = parts * int(rng.integers(1, 3)) if opcode == "SPLIT" else shape[axis] + parts
    x = zoo.graph_input(shape)
    quant = zoo.tensors[x].scale[0], zoo.tensors[x].zero_point[0]
    signed_axis = axis - rank if rng.random() < 0.5 else axis
    if opcode == "UNPACK":
        shapes = [shape[:axis] + shape[axis + 1:]] * shape[axis]
        inputs, options_type, options = (x,), "UnpackOptions", {"num": shape[axis], "axis": signed_axis}
    elif opcode == "SPLIT":
        shapes = [shape[:axis] + [shape[axis] // parts] + shape[axis + 1:]] * parts
        inputs, options_type, options = (int32_constant(zoo, [signed_axis]), x), "SplitOptions", {"num_splits": parts}
    else:
        cuts = sorted(rng.choice(np.arange(1, shape[axis]), size=parts - 1, replace=False).tolist())
        sizes = [b - a for a, b in zip([0] + cuts, cuts + [shape[axis]])]
        shapes = [shape[:axis] + [size] + shape[axis + 1:] for size in sizes]
        sizes[int(rng.integers(0, parts))] = -1
        inputs = (x, int32_constant(zoo, sizes), int32_constant(zoo, [signed_axis]))
        options_type, options = "SplitVOptions", {"num_splits": parts}
    outputs = tuple(zoo.activation_tensor(s, *quant) for s in shapes)
    zoo.ops.append(OpSpec(opcode, tuple(inputs), outputs, options_type, options))
    zoo.outputs.extend(outputs)


def add_arg_extremum(zoo: ZooBuilder, opcode: str) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 5)), 1, 6)
    x = zoo.graph_input(shape)
    axis = int(rng.integers(-len(shape), len(shape)))
    at = axis + len(shape) if axis < 0 else axis
    y = zoo.tensor(TensorSpec(tuple(shape[:at]) + tuple(shape[at + 1:]), "int32"))
    options_type = "ArgMaxOptions" if opcode == "ARG_MAX" else "ArgMinOptions"
    zoo.op(opcode, (x, int32_constant(zoo, [axis])), y, options_type, {})


def _same_quant_output(zoo: ZooBuilder, x: int, shape) -> int:
    return zoo.activation_tensor(tuple(int(v) for v in shape), zoo.tensors[x].scale[0], zoo.tensors[x].zero_point[0])


def add_depth_space(zoo: ZooBuilder, opcode: str) -> None:
    """DEPTH_TO_SPACE or SPACE_TO_DEPTH, block 2 or 3, NHWC."""
    rng = zoo.rng
    block = int(rng.integers(2, 4))
    n, h, w = random_shape(rng, 3, 1, 4)
    c = int(rng.integers(2, 4))  # more than one channel: a channel stride mixed up shows
    if opcode == "DEPTH_TO_SPACE":
        shape, out = (n, h, w, c * block * block), (n, h * block, w * block, c)
    else:
        shape, out = (n, h * block, w * block, c), (n, h, w, c * block * block)
    x = zoo.graph_input(shape)
    zoo.op(opcode, (x,), _same_quant_output(zoo, x, out), opcode.title().replace("_", "") + "Options",
           {"block_size": block})


def add_space_batch(zoo: ZooBuilder, opcode: str, spatial_axes: int) -> None:
    """SPACE_TO_BATCH_ND (random paddings that the block divides) or BATCH_TO_SPACE_ND (random crops)
    over one or two spatial axes."""
    rng = zoo.rng
    block = [int(b) for b in rng.integers(1, 4, size=spatial_axes)]
    batches, depth = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    spatial = [int(s) for s in rng.integers(1, 5, size=spatial_axes)]
    margins = []
    if opcode == "SPACE_TO_BATCH_ND":
        for size, b in zip(spatial, block):
            before = int(rng.integers(0, 3))
            margins.append([before, (-(size + before)) % b + b * int(rng.integers(0, 2))])
        shape = [batches] + spatial + [depth]
        out = ([batches * int(np.prod(block))] + [(s + sum(m)) // b for s, m, b in zip(spatial, margins, block)]
               + [depth])
        options_type = "SpaceToBatchNDOptions"
    else:
        for size, b in zip(spatial, block):
            before = int(rng.integers(0, min(2, size * b - 1) + 1))
            margins.append([before, int(rng.integers(0, min(2, size * b - before - 1) + 1))])
        shape = [batches * int(np.prod(block))] + spatial + [depth]
        out = [batches] + [s * b - sum(m) for s, m, b in zip(spatial, margins, block)] + [depth]
        options_type = "BatchToSpaceNDOptions"
    x = zoo.graph_input(shape)
    zoo.op(opcode, (x, int32_constant(zoo, block), int32_constant(zoo, margins)), _same_quant_output(zoo, x, out),
           options_type, {})


def add_mirror_pad(zoo: ZooBuilder, mode: str) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 5)), 1, 5)
    most = [size - 1 if mode == "REFLECT" else size for size in shape]
    paddings = [[int(rng.integers(0, m + 1)), int(rng.integers(0, m + 1))] for m in most]
    x = zoo.graph_input(shape)
    out = [size + sum(p) for size, p in zip(shape, paddings)]
    zoo.op("MIRROR_PAD", (x, int32_constant(zoo, paddings)), _same_quant_output(zoo, x, out), "MirrorPadOptions",
           {"mode": mode})


def add_resize(zoo: ZooBuilder, opcode: str, align_corners: bool, half_pixel_centers: bool) -> None:
    rng = zoo.rng
    shape = (int(rng.integers(1, 3)),) + random_shape(rng, 2, 1, 6) + (int(rng.integers(1, 4)),)
    size = [int(v) for v in rng.integers(1, 10, size=2)]
    x = zoo.graph_input(shape)
    out = _same_quant_output(zoo, x, (shape[0], *size, shape[3]))
    options_type = "ResizeBilinearOptions" if opcode == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions"
    zoo.op(opcode, (x, int32_constant(zoo, size)), out, options_type,
           {"align_corners": align_corners, "half_pixel_centers": half_pixel_centers})


def add_embedding_lookup(zoo: ZooBuilder) -> None:
    """Rows of a [rows, ...] table by a constant 1-D lookup (the table computed at run time here, as the
    firmware harness feeds int8 inputs only)."""
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(2, 4)), 1, 6)
    lookup = rng.integers(0, shape[0], size=int(rng.integers(1, 6)))
    table = zoo.graph_input(shape)
    out = _same_quant_output(zoo, table, (len(lookup),) + tuple(shape[1:]))
    zoo.op("EMBEDDING_LOOKUP", (int32_constant(zoo, lookup), table), out)


def add_prelu(zoo: ZooBuilder, alpha: str) -> None:
    """alpha "channel": a constant along the last axis (a table per channel); "spatial": a constant
    along the last two (no table: the kernel); "run_time": a second, broadcast input."""
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(2, 5)), 2, 5)
    x = zoo.graph_input(shape)
    if alpha == "run_time":
        a = zoo.graph_input(shape[-2:])
    else:
        a = int8_constant(zoo, shape[-1:] if alpha == "channel" else shape[-2:])
    zoo.op("PRELU", (x, a), zoo.activation_tensor(shape))


def add_int8_div(zoo: ZooBuilder, broadcast: bool) -> None:
    """int8 DIV with scales where TFLite Micro's integer steps stay defined for every input (its final
    shift within 31 bits: input1_scale / (input2_scale * output_scale) of 64 to 128). The divisor is
    a graph input named nonzero_*: random_cases keeps it off its zero point."""
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 6)
    a_scale, b_scale = float(rng.uniform(0.3, 0.6)), float(rng.uniform(0.02, 0.05))
    a = zoo.graph_input(shape)
    zoo.tensors[a].scale = (a_scale,)
    b = zoo.graph_input(shape[-1:] if broadcast else shape)
    zoo.tensors[b].scale, zoo.tensors[b].name = (b_scale,), f"nonzero_{b}"
    y = zoo.activation_tensor(shape, a_scale / (b_scale * float(rng.uniform(70, 120))))
    zoo.op("DIV", (a, b), y, "DivOptions", {"fused_activation_function": "NONE"})


def add_comparison(zoo: ZooBuilder, opcode: str, tiny_scales: bool) -> None:
    """Two int8 tensors (the second broadcast) compared into bool; tiny scales (and one zero point)
    make the requantized values of nearby inputs collide, so EQUAL is often true."""
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 6)
    scales = rng.uniform(0.0002, 0.0005, size=2) if tiny_scales else rng.uniform(0.01, 0.2, size=2)
    a = zoo.graph_input(shape)
    b = zoo.graph_input(shape[-1:])
    for tensor, scale in ((a, scales[0]), (b, scales[1])):
        zoo.tensors[tensor].scale = (float(scale),)
    if tiny_scales:
        zoo.tensors[b].zero_point = zoo.tensors[a].zero_point
    y = zoo.tensor(TensorSpec(tuple(shape), "bool"))
    zoo.op(opcode, (a, b), y, opcode.title().replace("_", "") + "Options")


def add_select(zoo: ZooBuilder, condition_shape: str) -> None:
    """SELECT_V2 on a condition computed by a LESS in the model (no bool graph inputs): condition_shape
    "same" (all of one shape), "leading" (a condition over the leading axes, x and y full) or
    "broadcast" (a condition along the last axis, y a scalar)."""
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(2, 4)), 1, 5)
    cond_shape = {"same": shape, "leading": shape[:-1] + (1,), "broadcast": shape[-1:]}[condition_shape]
    a, b = zoo.graph_input(cond_shape), zoo.graph_input(cond_shape)
    condition = zoo.tensor(TensorSpec(tuple(cond_shape), "bool"))
    zoo.ops.append(OpSpec("LESS", (a, b), (condition,), "LessOptions", {}))
    x = zoo.graph_input(shape)
    quant = zoo.tensors[x].scale[0], zoo.tensors[x].zero_point[0]
    y = zoo.activation_tensor((1,) if condition_shape == "broadcast" else shape, *quant)
    zoo.inputs.append(y)
    zoo.op("SELECT_V2", (condition, x, y), zoo.activation_tensor(shape, *quant), "SelectV2Options")


def add_l2_normalization(zoo: ZooBuilder) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 8)
    x = zoo.graph_input(shape)
    zoo.op("L2_NORMALIZATION", (x,), zoo.activation_tensor(shape, 1.0 / 128.0, 0), "L2NormOptions",
           {"fused_activation_function": "NONE"})


def add_cumsum(zoo: ZooBuilder, exclusive: bool, reverse: bool) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 6)
    axis = int(rng.integers(-len(shape), len(shape)))
    x = zoo.graph_input(shape)
    y = zoo.activation_tensor(shape, zoo.tensors[x].scale[0] * float(rng.uniform(1.0, shape[axis] + 1.0)))
    zoo.op("CUMSUM", (x, int32_constant(zoo, [axis])), y, "CumsumOptions", {"exclusive": exclusive, "reverse": reverse})


def add_broadcast_to(zoo: ZooBuilder) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 5)
    source = tuple(1 if rng.random() < 0.5 else n for n in shape)[int(rng.integers(0, len(shape))):]
    x = zoo.graph_input(source or (1,))
    zoo.op("BROADCAST_TO", (x, int32_constant(zoo, shape)), _same_quant_output(zoo, x, shape), "BroadcastToOptions")


def add_reverse(zoo: ZooBuilder, axis_count: int) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(axis_count, 5)), 2, 5)
    first = int(rng.integers(0, len(shape) - axis_count + 1))
    axes = list(range(first, first + axis_count))  # TFLite Micro reverses consecutive axes only
    x = zoo.graph_input(shape)
    zoo.op("REVERSE_V2", (x, int32_constant(zoo, axes)), _same_quant_output(zoo, x, shape), "ReverseV2Options")


def add_fill_and_zeros(zoo: ZooBuilder) -> None:
    """FILL of a run-time scalar, and ZEROS_LIKE of an input."""
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 5)
    value = zoo.graph_input(())
    zoo.op("FILL", (int32_constant(zoo, shape), value), _same_quant_output(zoo, value, shape), "FillOptions")
    x = zoo.graph_input(shape)
    zoo.op("ZEROS_LIKE", (x,), _same_quant_output(zoo, x, shape), "ZerosLikeOptions")


def add_cast(zoo: ZooBuilder, dtype: str) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 5)
    x = zoo.graph_input(shape)
    zoo.op("CAST", (x,), zoo.tensor(TensorSpec(tuple(shape), dtype)), "CastOptions")


def add_transpose_conv(zoo: ZooBuilder, padding: str, per_channel: bool, with_bias: bool, activation: str) -> None:
    rng = zoo.rng
    n, in_h, in_w, in_c = (int(rng.integers(1, 3)), *random_shape(rng, 2, 1, 5), int(rng.integers(1, 4)))
    k_h, k_w = random_shape(rng, 2, 3, 5) if padding == "SAME" else random_shape(rng, 2, 1, 4)  # SAME: padded
    stride_h, stride_w = random_shape(rng, 2, 1, 3)
    out_c = int(rng.integers(1, 5))
    if padding == "SAME":
        out_h, out_w = in_h * stride_h, in_w * stride_w
    else:
        out_h, out_w = (in_h - 1) * stride_h + k_h, (in_w - 1) * stride_w + k_w
    x = zoo.graph_input((n, in_h, in_w, in_c))
    w, b = zoo.filter_and_bias(x, (out_c, k_h, k_w, in_c), out_c, per_channel)
    y = zoo.activation_tensor((n, out_h, out_w, out_c), float(rng.uniform(0.05, 0.5)))
    inputs = (int32_constant(zoo, [n, out_h, out_w, out_c]), w, x) + ((b,) if with_bias else ())
    zoo.op("TRANSPOSE_CONV", inputs, y, "TransposeConvOptions",
           {"padding": padding, "stride_w": stride_w, "stride_h": stride_h, "fused_activation_function": activation})


def add_add_n(zoo: ZooBuilder, count: int) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 5)
    inputs, quant = inputs_quantized_alike(zoo, shape, count)
    zoo.op("ADD_N", inputs, zoo.activation_tensor(shape, quant[0] * float(rng.uniform(1.0, count))), "AddNOptions")


def add_gather_nd(zoo: ZooBuilder, tuple_length: int) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(tuple_length, 4)), 2, 5)
    count = random_shape(rng, int(rng.integers(1, 3)), 1, 4)
    indices = np.stack([rng.integers(0, shape[d], size=count) for d in range(tuple_length)], axis=-1)
    x = zoo.graph_input(shape)
    out = tuple(count) + tuple(shape[tuple_length:])
    zoo.op("GATHER_ND", (x, int32_constant(zoo, indices)), _same_quant_output(zoo, x, out), "GatherNdOptions")


def add_logical(zoo: ZooBuilder, opcode: str) -> None:
    """LOGICAL_AND / LOGICAL_OR of two comparisons (the second along the last axis, broadcast), or
    LOGICAL_NOT of one, computed in the model (no bool graph inputs)."""
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 5)
    conditions = []
    for cond_shape, comparison in ((shape, "LESS"), (shape[-1:], "GREATER"))[:1 if opcode == "LOGICAL_NOT" else 2]:
        a, b = zoo.graph_input(cond_shape), zoo.graph_input(cond_shape)
        conditions.append(zoo.tensor(TensorSpec(tuple(cond_shape), "bool")))
        zoo.ops.append(OpSpec(comparison, (a, b), (conditions[-1],), comparison.title() + "Options", {}))
    options_type = "".join(part.title() for part in opcode.split("_")) + "Options"
    zoo.op(opcode, conditions, zoo.tensor(TensorSpec(tuple(shape), "bool")), options_type)


def add_lstm(zoo: ZooBuilder, batches: int, time_major: bool, cell_power: int, clip: bool, sizes=None) -> None:
    """A Keras-style UNIDIRECTIONAL_SEQUENCE_LSTM as the TFLite converter quantizes one: int8 weights
    per tensor, int32 biases, an int8 hidden and an int16 cell state (variable tensors, power-of-two
    scale), scales that put the gates' inputs in their interesting range. `sizes`: (time steps, input
    size, cells), random when not given."""
    rng = zoo.rng
    time_steps, input_size, state_size = sizes or (int(v) for v in rng.integers(2, 6, size=3) * (1, 2, 3))
    x = zoo.graph_input((time_steps, batches, input_size) if time_major else (batches, time_steps, input_size))
    in_scale = zoo.tensors[x].scale[0]
    hidden_scale, hidden_zp = float(rng.uniform(0.006, 0.01)), int(rng.integers(-20, 21))
    inputs = [x] + [-1] * 23

    def weights(position: int, columns: int, scale_of_columns: float) -> None:
        scale = float(rng.uniform(1.0, 4.0)) / (scale_of_columns * 5400.0 * np.sqrt(columns))
        data = rng.integers(-127, 128, size=(state_size, columns)).astype(np.int8)
        inputs[position] = zoo.tensor(TensorSpec((state_size, columns), scale=(scale,), zero_point=(0,), data=data))

    for position in (1, 2, 3, 4):
        weights(position, input_size, in_scale)
    for position in (5, 6, 7, 8):
        weights(position, state_size, hidden_scale)
    for position in (12, 13, 14, 15):
        bias = rng.integers(-2000, 2000, size=state_size).astype(np.int32)
        inputs[position] = zoo.tensor(TensorSpec((state_size,), "int32", scale=(in_scale * 0.01,), zero_point=(0,),
                                                 data=bias))
    inputs[18] = zoo.tensor(TensorSpec((batches, state_size), scale=(hidden_scale,), zero_point=(hidden_zp,),
                                       is_variable=True))
    inputs[19] = zoo.tensor(TensorSpec((batches, state_size), "int16", scale=(2.0 ** cell_power,), zero_point=(0,),
                                       is_variable=True))
    shape = (time_steps, batches, state_size) if time_major else (batches, time_steps, state_size)
    y = zoo.activation_tensor(shape, hidden_scale, hidden_zp)
    zoo.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, y, "UnidirectionalSequenceLSTMOptions",
           {"fused_activation_function": "TANH", "cell_clip": 1.5 if clip else 0.0, "proj_clip": 0.0,
            "time_major": time_major, "asymmetric_quantize_inputs": False})


def add_svdf(zoo: ZooBuilder, batches: int, rank: int, activation: str, sizes=None) -> None:
    """An SVDF as the TFLite converter quantizes one: int8 feature weights, int16 time weights and
    state (symmetric), a bias in the state x time weights scale. `sizes`: (input size, units, memory)."""
    rng = zoo.rng
    input_size, units, memory = sizes or (int(v) for v in rng.integers(2, 7, size=3) * (2, 1, 2))
    filters = units * rank
    x = zoo.graph_input((batches, input_size))
    in_scale = zoo.tensors[x].scale[0]
    feature_scale = float(rng.uniform(0.002, 0.02))
    state_scale = in_scale * feature_scale * 5400.0 * np.sqrt(input_size) * 3.0 / 16384.0
    time_scale = float(rng.uniform(1e-5, 1e-4))
    out_scale = state_scale * time_scale * 8e7 * np.sqrt(rank * memory) / 60.0
    feature = zoo.tensor(TensorSpec((filters, input_size), scale=(feature_scale,), zero_point=(0,),
                                    data=rng.integers(-127, 128, size=(filters, input_size)).astype(np.int8)))
    time = zoo.tensor(TensorSpec((filters, memory), "int16", scale=(time_scale,), zero_point=(0,),
                                 data=rng.integers(-32767, 32768, size=(filters, memory)).astype(np.int16)))
    bias = zoo.tensor(TensorSpec((units,), "int32", scale=(state_scale * time_scale,), zero_point=(0,),
                                 data=rng.integers(-10 ** 7, 10 ** 7, size=units).astype(np.int32)))
    state = zoo.tensor(TensorSpec((batches, memory * filters), "int16", scale=(state_scale,), zero_point=(0,),
                                  is_variable=True))
    zoo.op("SVDF", (x, feature, time, bias, state), zoo.activation_tensor((batches, units), out_scale),
           "SVDFOptions", {"rank": rank, "fused_activation_function": activation})


def int16_tensor(zoo: ZooBuilder, shape, scale: float) -> int:
    """An int16x8 model's activation: symmetric (zero point 0)."""
    return zoo.tensor(TensorSpec(tuple(shape), "int16", scale=(scale,), zero_point=(0,)))


def add_fully_connected_s16(zoo: ZooBuilder, per_channel: bool, with_bias: bool, activation: str) -> None:
    rng = zoo.rng
    rows, depth, units = (int(v) for v in rng.integers(1, 9, size=3) * (1, 3, 2))
    in_scale = float(rng.uniform(1e-4, 1e-3))
    x = int16_tensor(zoo, (rows, depth), in_scale)
    zoo.inputs.append(x)
    scales = rng.uniform(0.002, 0.02, size=units if per_channel else 1)
    w = zoo.tensor(TensorSpec((units, depth), scale=tuple(scales), zero_point=(0,) * len(scales),
                              data=rng.integers(-127, 128, size=(units, depth)).astype(np.int8)))
    inputs = [x, w]
    if with_bias:
        inputs.append(zoo.tensor(TensorSpec((units,), "int64", scale=tuple(in_scale * np.resize(scales, units)),
                                            zero_point=(0,) * units,
                                            data=rng.integers(-10 ** 6, 10 ** 6, size=units).astype(np.int64))))
    out_scale = in_scale * float(np.mean(scales)) * 74.0 * np.sqrt(depth) * 18000.0 / 16000.0
    zoo.op("FULLY_CONNECTED", inputs, int16_tensor(zoo, (rows, units), out_scale / 32.0),
           "FullyConnectedOptions", {"fused_activation_function": activation})


def add_sigmoid_s16(zoo: ZooBuilder, opcode: str, input_scale: float) -> None:
    shape = random_shape(zoo.rng, int(zoo.rng.integers(1, 4)), 1, 6)
    x = int16_tensor(zoo, shape, input_scale)
    zoo.inputs.append(x)
    zoo.op(opcode, (x,), int16_tensor(zoo, shape, 2.0 ** -15))


def add_binary_s16(zoo: ZooBuilder, opcode: str, broadcast: bool, activation: str) -> None:
    rng = zoo.rng
    shape = random_shape(rng, int(rng.integers(1, 4)), 1, 6)
    second = shape[-1:] if broadcast else shape
    scales = rng.uniform(1e-4, 1e-3, size=3)
    a, b = int16_tensor(zoo, shape, float(scales[0])), int16_tensor(zoo, second, float(scales[1]))
    zoo.inputs += [a, b]
    out_scale = {"MUL": float(scales[0] * scales[1] * 32768 / 4),
                 "SQUARED_DIFFERENCE": float(max(scales[:2]) ** 2 * 32768 / 8)}.get(opcode, float(scales[2] * 2))
    options = {"fused_activation_function": activation} if opcode != "SQUARED_DIFFERENCE" else {}
    if opcode in ("ADD", "SUB"):
        options["pot_scale_int16"] = False  # what the converter's 16x8 mode writes
    zoo.op(opcode, (a, b), int16_tensor(zoo, shape, out_scale), opcode.title().replace("_", "") + "Options", options)


def add_data_movement_s16(zoo: ZooBuilder) -> None:
    """int16 TRANSPOSE, STRIDED_SLICE, CONCATENATION, RESHAPE, PAD, SLICE, PACK, SPLIT, SPLIT_V and
    UNPACK (the bytes moved two at a time)."""
    rng = zoo.rng
    scale = float(rng.uniform(1e-4, 1e-3))
    shape = random_shape(rng, 4, 2, 5)
    perm = [int(p) for p in rng.permutation(4)]
    x = int16_tensor(zoo, shape, scale)
    zoo.inputs.append(x)
    zoo.op("TRANSPOSE", (x, int32_constant(zoo, perm)), int16_tensor(zoo, [shape[p] for p in perm], scale),
           "TransposeOptions")
    x = int16_tensor(zoo, (1, 6, 8), scale)
    zoo.inputs.append(x)
    zoo.op("STRIDED_SLICE", (x, int32_constant(zoo, [0, 1, 0]), int32_constant(zoo, [1, 6, 8]),
                             int32_constant(zoo, [1, 2, 3])), int16_tensor(zoo, (1, 3, 3), scale),
           "StridedSliceOptions", {"begin_mask": 0, "end_mask": 0, "shrink_axis_mask": 0})
    parts = [int16_tensor(zoo, (2, width, 3), scale) for width in (1, 4)]
    zoo.inputs += parts
    zoo.op("CONCATENATION", parts, int16_tensor(zoo, (2, 5, 3), scale), "ConcatenationOptions",
           {"axis": 1, "fused_activation_function": "NONE"})
    x = int16_tensor(zoo, (2, 6), scale)
    zoo.inputs.append(x)
    reshaped = int16_tensor(zoo, (3, 4), scale)
    zoo.ops.append(OpSpec("RESHAPE", (x, int32_constant(zoo, [3, 4])), (reshaped,), "ReshapeOptions",
                          {"new_shape": [3, 4]}))
    zoo.op("TANH", (reshaped,), int16_tensor(zoo, (3, 4), 2.0 ** -15))
    x = int16_tensor(zoo, (1, 4, 5, 3), scale)
    zoo.inputs.append(x)
    zoo.op("PAD", (x, int32_constant(zoo, [[0, 0], [1, 2], [0, 1], [1, 0]])), int16_tensor(zoo, (1, 7, 6, 4), scale),
           "PadOptions")
    x = int16_tensor(zoo, (2, 6, 4), scale)
    zoo.inputs.append(x)
    zoo.op("SLICE", (x, int32_constant(zoo, [1, 2, 1]), int32_constant(zoo, [1, -1, 2])),
           int16_tensor(zoo, (1, 4, 2), scale), "SliceOptions")
    parts = [int16_tensor(zoo, (3, 2), scale) for _ in range(3)]
    zoo.inputs += parts
    zoo.op("PACK", parts, int16_tensor(zoo, (3, 3, 2), scale), "PackOptions", {"values_count": 3, "axis": 1})
    x = int16_tensor(zoo, (2, 6), scale)
    zoo.inputs.append(x)
    outputs = [int16_tensor(zoo, (2, 2), scale) for _ in range(3)]
    zoo.ops.append(OpSpec("SPLIT", (int32_constant(zoo, [1]), x), tuple(outputs), "SplitOptions", {"num_splits": 3}))
    zoo.outputs += outputs
    x = int16_tensor(zoo, (3, 5), scale)
    zoo.inputs.append(x)
    outputs = [int16_tensor(zoo, (3, 2), scale), int16_tensor(zoo, (3, 3), scale)]
    zoo.ops.append(OpSpec("SPLIT_V", (x, int32_constant(zoo, [2, -1]), int32_constant(zoo, [1])), tuple(outputs),
                          "SplitVOptions", {"num_splits": 2}))
    zoo.outputs += outputs
    x = int16_tensor(zoo, (2, 3, 4), scale)
    zoo.inputs.append(x)
    outputs = [int16_tensor(zoo, (2, 4), scale) for _ in range(3)]
    zoo.ops.append(OpSpec("UNPACK", (x,), tuple(outputs), "UnpackOptions", {"num": 3, "axis": 1}))
    zoo.outputs += outputs


def add_conv_s16(zoo: ZooBuilder, depthwise: bool, multiplier: int = 1) -> None:
    """CONV_2D or DEPTHWISE_CONV_2D on int16 activations: int8 per-channel filter, int64 bias."""
    rng = zoo.rng
    h, w, c_in = (int(v) for v in (rng.integers(3, 9), rng.integers(3, 9), rng.integers(1, 7)))
    c_out = c_in * multiplier if depthwise else int(rng.integers(1, 9))
    k_h, k_w = (int(v) for v in rng.integers(1, 4, size=2))
    window = zoo.window()
    in_scale = float(rng.uniform(1e-4, 1e-3))
    x = int16_tensor(zoo, (1, h, w, c_in), in_scale)
    zoo.inputs.append(x)
    scales = rng.uniform(0.002, 0.02, size=c_out)
    shape = (1, k_h, k_w, c_out) if depthwise else (c_out, k_h, k_w, c_in)
    f = zoo.tensor(TensorSpec(shape, scale=tuple(scales), zero_point=(0,) * c_out,
                              data=rng.integers(-127, 128, size=shape).astype(np.int8),
                              quantized_dimension=3 if depthwise else 0))
    b = zoo.tensor(TensorSpec((c_out,), "int64", scale=tuple(in_scale * scales), zero_point=(0,) * c_out,
                              data=rng.integers(-10 ** 6, 10 ** 6, size=c_out).astype(np.int64)))
    taps = k_h * k_w * (1 if depthwise else c_in)
    out_scale = in_scale * float(np.mean(scales)) * 18000.0 * 74.0 * np.sqrt(taps) / 16000.0 / 32.0
    out_shape = (1, spatial_out(window["padding"], h, k_h, window["stride_h"]),
                 spatial_out(window["padding"], w, k_w, window["stride_w"]), c_out)
    options = {**window, "fused_activation_function": str(rng.choice(["NONE", "RELU"])), "dilation_w_factor": 1,
               "dilation_h_factor": 1}
    if depthwise:
        options["depth_multiplier"] = multiplier
    zoo.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", (x, f, b), int16_tensor(zoo, out_shape, out_scale),
           "DepthwiseConv2DOptions" if depthwise else "Conv2DOptions", options)


def add_reduce_s16(zoo: ZooBuilder, opcode: str, axes, rank: int, keep_dims: bool, same_quant: bool) -> None:
    rng = zoo.rng
    shape = random_shape(rng, rank, 1, 7)
    scale = float(rng.uniform(1e-4, 1e-3))
    x = int16_tensor(zoo, shape, scale)
    zoo.inputs.append(x)
    resolved = sorted({a % rank for a in axes})
    out_shape = tuple(1 if d in resolved else n for d, n in enumerate(shape)) if keep_dims else \
        tuple(n for d, n in enumerate(shape) if d not in resolved)
    count = int(np.prod([shape[d] for d in resolved]))
    out_scale = scale if same_quant else scale * float(rng.uniform(0.3, 1.0)) * (count if opcode == "SUM" else 1)
    zoo.op(opcode, (x, int32_constant(zoo, list(axes))), int16_tensor(zoo, out_shape, out_scale), "ReducerOptions",
           {"keep_dims": keep_dims})


def add_pool_s16(zoo: ZooBuilder, opcode: str) -> None:
    rng = zoo.rng
    h, w, c = (int(v) for v in (rng.integers(2, 10), rng.integers(2, 10), rng.integers(1, 17)))
    k_h, k_w = int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1))
    window = zoo.window()
    scale = float(rng.uniform(1e-4, 1e-3))
    x = int16_tensor(zoo, (1, h, w, c), scale)
    zoo.inputs.append(x)
    out_shape = (1, spatial_out(window["padding"], h, k_h, window["stride_h"]),
                 spatial_out(window["padding"], w, k_w, window["stride_w"]), c)
    zoo.op(opcode, (x,), int16_tensor(zoo, out_shape, scale), "Pool2DOptions",
           {**window, "filter_height": k_h, "filter_width": k_w, "fused_activation_function": str(rng.choice(["NONE", "RELU"]))})


def more_ops_zoo(seed: int) -> bytes:
    """One model with the ops added for coverage of TFLite Micro's builtins (issue 13)."""
    zoo = ZooBuilder(seed)
    for opcode in ("MAXIMUM", "MINIMUM"):
        for constant_second in (False, True):
            for same_quantization in (True, False):
                add_extremum(zoo, opcode, constant_second, same_quantization)
    for _ in range(3):
        add_slice(zoo)
    for count in (1, 2, 3):
        add_pack(zoo, count)
    for opcode in ("SPLIT", "SPLIT_V", "UNPACK", "SPLIT", "SPLIT_V", "UNPACK"):
        add_split(zoo, opcode)
    for opcode in ("ARG_MAX", "ARG_MIN", "ARG_MAX", "ARG_MIN"):
        add_arg_extremum(zoo, opcode)
    add_reduce(zoo, "REDUCE_MAX", [-1], 3, keep_dims=True, same_quant=True)     # a contiguous run
    add_reduce(zoo, "REDUCE_MAX", [1, 2], 4, keep_dims=False, same_quant=True)  # global max pooling
    add_reduce(zoo, "REDUCE_MAX", [0, 2], 3, keep_dims=False, same_quant=True)
    add_reduce(zoo, "REDUCE_MIN", [-1], 3, keep_dims=True, same_quant=True)
    add_reduce(zoo, "REDUCE_MIN", [1, 2], 4, keep_dims=False, same_quant=True)
    for opcode in ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH"):
        add_depth_space(zoo, opcode)
    for opcode in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
        for spatial_axes in (1, 2, 2):
            add_space_batch(zoo, opcode, spatial_axes)
    for mode in ("REFLECT", "SYMMETRIC", "REFLECT", "SYMMETRIC"):
        add_mirror_pad(zoo, mode)
    for opcode in ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"):
        for align_corners, half_pixel_centers in ((False, False), (True, False), (False, True), (False, False)):
            add_resize(zoo, opcode, align_corners, half_pixel_centers)
    for _ in range(2):
        add_embedding_lookup(zoo)
    for alpha in ("channel", "spatial", "run_time", "channel"):
        add_prelu(zoo, alpha)
    for broadcast in (False, True, False):
        add_int8_div(zoo, broadcast)
    for opcode in ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL"):
        for tiny_scales in (False, True):
            add_comparison(zoo, opcode, tiny_scales)
    for condition_shape in ("same", "leading", "broadcast", "broadcast"):
        add_select(zoo, condition_shape)
    for _ in range(4):
        add_l2_normalization(zoo)
    for exclusive, reverse in ((False, False), (True, False), (False, True), (True, True)):
        add_cumsum(zoo, exclusive, reverse)
    for axis_count in (1, 2, 3):
        add_broadcast_to(zoo)
        add_reverse(zoo, axis_count)
    add_fill_and_zeros(zoo)
    for dtype in ("float32", "int16", "int32"):
        add_cast(zoo, dtype)
    for padding, per_channel, with_bias, activation in (("SAME", True, True, "NONE"), ("VALID", False, True, "RELU6"),
                                                        ("SAME", False, False, "NONE"), ("VALID", True, False, "RELU")):
        add_transpose_conv(zoo, padding, per_channel, with_bias, activation)
    for count in (2, 3, 4):
        add_add_n(zoo, count)
    for tuple_length in (1, 2, 3):
        add_gather_nd(zoo, tuple_length)
    for opcode in ("CEIL", "COS", "EXP", "FLOOR", "LOG", "ROUND", "SIN", "SQRT", "SQUARE"):
        add_float_unary(zoo, opcode)
    for opcode in ("LOG", "SQRT", "EXP"):
        add_float_unary(zoo, opcode, float_output=True)
    shape = random_shape(zoo.rng, 3, 1, 6)
    zoo.op("SHAPE", (zoo.graph_input(shape),), zoo.tensor(TensorSpec((3,), "int32")), "ShapeOptions")
    for opcode in ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT"):
        add_logical(zoo, opcode)
    for first, second in (([2, 1, 4], [3, 1]), ([5], [1, 1, 5]), ([1, 0], [3, 1])):
        zoo.op("BROADCAST_ARGS", (int32_constant(zoo, first), int32_constant(zoo, second)),
               zoo.tensor(TensorSpec((max(len(first), len(second)),), "int32")))
    for batches, time_major, cell_power, clip in ((1, False, -14, False), (2, False, -11, True), (2, True, -15, False),
                                                  (1, False, -12, True)):
        add_lstm(zoo, batches, time_major, cell_power, clip)
    for batches, rank, activation in ((1, 1, "NONE"), (2, 2, "RELU"), (1, 3, "NONE")):
        add_svdf(zoo, batches, rank, activation)
    for per_channel, with_bias, activation in ((False, True, "NONE"), (True, True, "RELU"), (True, False, "NONE"),
                                               (False, False, "RELU6")):
        add_fully_connected_s16(zoo, per_channel, with_bias, activation)
    for opcode in ("LOGISTIC", "TANH"):
        for input_scale in (2.0 ** -12, 2.0 ** -11, 3e-4, 1.7e-3):  # power-of-two scales and others
            add_sigmoid_s16(zoo, opcode, input_scale)
    for opcode in ("MAXIMUM", "MINIMUM"):
        shape = random_shape(zoo.rng, 3, 1, 5)
        scale = float(zoo.rng.uniform(1e-4, 1e-3))
        a, b = int16_tensor(zoo, shape, scale), int16_tensor(zoo, shape[-1:], scale)
        zoo.inputs += [a, b]
        zoo.op(opcode, (a, b), int16_tensor(zoo, shape, scale), "MaximumMinimumOptions")
    for opcode in ("ADD", "SUB", "MUL", "SQUARED_DIFFERENCE"):
        for broadcast, activation in ((False, "NONE"), (True, "RELU")):
            add_binary_s16(zoo, opcode, broadcast, activation if opcode != "SQUARED_DIFFERENCE" else "NONE")
    add_data_movement_s16(zoo)
    for opcode, options_type, options in (("RELU", "NONE", {}), ("LEAKY_RELU", "LeakyReluOptions", {"alpha": 0.2}),
                                          ("RELU", "NONE", {}), ("LEAKY_RELU", "LeakyReluOptions", {"alpha": 0.01})):
        scales = zoo.rng.uniform(1e-4, 1e-3, size=2)
        x = int16_tensor(zoo, (4, 6), float(scales[0]))
        zoo.inputs.append(x)
        zoo.op(opcode, (x,), int16_tensor(zoo, (4, 6), float(scales[1])), options_type, options)
    for scale in (3e-4, 2.0 ** -12):  # QUANTIZE float -> int16 and DEQUANTIZE int16 -> float
        x = zoo.tensor(TensorSpec((2, 5), "float32"))
        zoo.inputs.append(x)
        zoo.op("QUANTIZE", (x,), int16_tensor(zoo, (2, 5), scale))
        q = int16_tensor(zoo, (3, 4), scale)
        zoo.inputs.append(q)
        zoo.op("DEQUANTIZE", (q,), zoo.tensor(TensorSpec((3, 4), "float32")))
    for input_scale, output_scale in ((1e-4, 2e-3), (3e-6, 0.02), (2.0 ** -12, 2.0 ** -8)):
        x = int16_tensor(zoo, (3, 7), input_scale)
        zoo.tensors[x].name = f"positive_{x}"
        zoo.inputs.append(x)
        zoo.op("RSQRT", (x,), int16_tensor(zoo, (3, 7), output_scale))
    for lhs_shape, rhs_shape, adj_x, adj_y in (((2, 3, 4), (2, 4, 5), False, False), ((1, 2, 5, 3), (2, 4, 3), False, True),
                                               ((3, 6), (3, 2), True, False)):
        scales = zoo.rng.uniform(1e-4, 1e-3, size=2)
        a, b = int16_tensor(zoo, lhs_shape, float(scales[0])), int16_tensor(zoo, rhs_shape, float(scales[1]))
        zoo.inputs += [a, b]
        rows = lhs_shape[-1] if adj_x else lhs_shape[-2]
        depth = lhs_shape[-2] if adj_x else lhs_shape[-1]
        cols = rhs_shape[-2] if adj_y else rhs_shape[-1]
        batch = np.broadcast_shapes(lhs_shape[:-2], rhs_shape[:-2])
        out_scale = float(scales[0] * scales[1] * 32768 * np.sqrt(depth) / 2)
        zoo.op("BATCH_MATMUL", (a, b), int16_tensor(zoo, (*batch, rows, cols), out_scale), "BatchMatMulOptions",
               {"adj_x": adj_x, "adj_y": adj_y})
    for row_size, input_scale in ((5, 3e-4), (16, 1e-3), (1, 2e-4), (33, 5e-5)):
        x = int16_tensor(zoo, (2, row_size), input_scale)
        zoo.inputs.append(x)
        zoo.op("SOFTMAX", (x,), int16_tensor(zoo, (2, row_size), 2.0 ** -15), "SoftmaxOptions", {"beta": 1.0})
    for opcode, axes, rank, keep_dims, same_quant in (("MEAN", [-1], 3, True, True), ("MEAN", [1, 2], 4, False, False),
                                                      ("SUM", [0, 2], 3, False, False), ("MEAN", [0, 1, 2], 3, True, False)):
        add_reduce_s16(zoo, opcode, axes, rank, keep_dims, same_quant)
    for depthwise, multiplier in ((False, 1), (False, 1), (True, 1), (True, 2), (True, 1)):
        add_conv_s16(zoo, depthwise, multiplier)
    for opcode in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
        add_pool_s16(zoo, opcode)
    return zoo.model()
