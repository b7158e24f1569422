"""A tiny ViT-style int8 transformer block built op by op with the flatbuffer writer (no TensorFlow).

Tokens [1, 8, 16] -> LayerNorm (MEAN, SUB, SQUARED_DIFFERENCE, MEAN, ADD eps, RSQRT, MUL, MUL gamma,
ADD beta) -> q, k, v (FULLY_CONNECTED) -> heads (RESHAPE, TRANSPOSE) -> scores (BATCH_MATMUL adj_y)
-> SOFTMAX -> context (BATCH_MATMUL) -> merge heads -> projection + residual -> MLP with tanh-GELU
(MUL, ADD, TANH) + residual -> MEAN over tokens -> classifier -> SOFTMAX; plus a linear-attention
variant of the scores (LOGISTIC feature map, no softmax).

Every tensor's quantization comes from a float forward pass on calibration tokens (min/max), so
the int8 activations use their range and the outputs vary with the input."""

from __future__ import annotations

import numpy as np

from platformio_tinyml.engine.tflite_writer import OpSpec, TensorSpec, write_model

TOKENS, DIM, HEADS = 8, 16, 2
HEAD_DIM = DIM // HEADS


class Builder:
    def __init__(self, seed: int, samples: int = 64):
        self.rng = np.random.default_rng(seed)
        self.tensors: list[TensorSpec] = []
        self.ops: list[OpSpec] = []
        self.values: dict[int, np.ndarray] = {}  # float values over the calibration batch (axis 0)

    def _quant(self, values: np.ndarray) -> tuple[float, int]:
        low, high = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
        scale = max(high - low, 1e-6) / 255.0
        return scale, int(np.clip(round(-128 - low / scale), -128, 127))

    def tensor(self, shape, values: np.ndarray, quant=None, name="") -> int:
        scale, zero_point = quant or self._quant(values)
        self.tensors.append(TensorSpec(tuple(shape), scale=(scale,), zero_point=(zero_point,),
                                       name=name or f"t{len(self.tensors)}"))
        self.values[len(self.tensors) - 1] = values
        return len(self.tensors) - 1

    def const_int32(self, values) -> int:
        data = np.asarray(values, dtype=np.int32)
        self.tensors.append(TensorSpec(data.shape, "int32", data=data, name=f"c{len(self.tensors)}"))
        return len(self.tensors) - 1

    def const_int8(self, values: np.ndarray) -> int:
        scale, zero_point = self._quant(values)
        data = np.clip(np.round(values / scale) + zero_point, -128, 127).astype(np.int8)
        self.tensors.append(TensorSpec(values.shape, scale=(scale,), zero_point=(zero_point,), data=data,
                                       name=f"c{len(self.tensors)}"))
        return len(self.tensors) - 1

    def op(self, opcode, inputs, shape, values, options_type="NONE", options=None, quant=None) -> int:
        y = self.tensor(shape, values, quant)
        self.ops.append(OpSpec(opcode, tuple(inputs), (y,), options_type, options or {}))
        return y

    def v(self, index: int) -> np.ndarray:
        return self.values[index]

    # ---- layers --------------------------------------------------------------------------------

    def binary(self, opcode, a, b, shape, values):
        options_type = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}.get(opcode, "NONE")
        options = {"fused_activation_function": "NONE"} if options_type != "NONE" else {}
        return self.op(opcode, (a, b), shape, values, options_type, options)

    def mean_last(self, x, shape):
        values = self.v(x).mean(axis=-1, keepdims=True)
        return self.op("MEAN", (x, self.const_int32([-1])), tuple(shape[:-1]) + (1,), values, "ReducerOptions",
                       {"keep_dims": True})

    def layer_norm(self, x, shape):
        mean = self.mean_last(x, shape)
        centered = self.binary("SUB", x, mean, shape, self.v(x) - self.v(mean))
        squared = self.binary("SQUARED_DIFFERENCE", x, mean, shape, (self.v(x) - self.v(mean)) ** 2)
        variance = self.mean_last(squared, shape)
        eps = self.const_int8(np.array([1e-3], dtype=np.float32))
        shifted = self.binary("ADD", variance, eps, self.tensors[variance].shape, self.v(variance) + 1e-3)
        inverse = self.op("RSQRT", (shifted,), self.tensors[shifted].shape, 1 / np.sqrt(self.v(shifted)))
        normed = self.binary("MUL", centered, inverse, shape, self.v(centered) * self.v(inverse))
        gamma_values = self.rng.uniform(0.5, 1.5, size=shape[-1]).astype(np.float32)
        beta_values = self.rng.uniform(-0.3, 0.3, size=shape[-1]).astype(np.float32)
        gamma, beta = self.const_int8(gamma_values), self.const_int8(beta_values)
        scaled = self.binary("MUL", normed, gamma, shape, self.v(normed) * gamma_values)
        return self.binary("ADD", scaled, beta, shape, self.v(scaled) + beta_values)

    def dense(self, x, units: int, activation="NONE"):
        """FULLY_CONNECTED on [rows, depth] (per-tensor weights, int32 bias)."""
        rows, depth = self.tensors[x].shape
        w = self.rng.normal(0, 1 / np.sqrt(depth), size=(units, depth)).astype(np.float32)
        b = self.rng.normal(0, 0.1, size=units).astype(np.float32)
        w_scale = float(np.abs(w).max()) / 127
        w_q = np.clip(np.round(w / w_scale), -127, 127).astype(np.int8)
        self.tensors.append(TensorSpec((units, depth), scale=(w_scale,), zero_point=(0,), data=w_q,
                                       name=f"w{len(self.tensors)}"))
        w_index = len(self.tensors) - 1
        b_scale = self.tensors[x].scale[0] * w_scale
        self.tensors.append(TensorSpec((units,), "int32", scale=(b_scale,), zero_point=(0,),
                                       data=np.round(b / b_scale).astype(np.int32), name=f"b{len(self.tensors)}"))
        b_index = len(self.tensors) - 1
        values = self.v(x) @ (w_q.astype(np.float32) * w_scale).T + b
        if activation == "RELU":
            values = np.maximum(values, 0)
        return self.op("FULLY_CONNECTED", (x, w_index, b_index), (rows, units), values, "FullyConnectedOptions",
                       {"fused_activation_function": activation})

    def reshape(self, x, shape, values):
        quant = (self.tensors[x].scale[0], self.tensors[x].zero_point[0])
        return self.op("RESHAPE", (x, self.const_int32(list(shape))), shape, values, "ReshapeOptions",
                       {"new_shape": list(shape)}, quant=quant)

    def transpose(self, x, perm, shape, values):
        quant = (self.tensors[x].scale[0], self.tensors[x].zero_point[0])
        return self.op("TRANSPOSE", (x, self.const_int32(perm)), shape, values, "TransposeOptions", quant=quant)

    def heads(self, x):
        """[T, D] -> [1, H, T, Dh]."""
        values = self.v(x).reshape(-1, TOKENS, HEADS, HEAD_DIM)
        split = self.reshape(x, (1, TOKENS, HEADS, HEAD_DIM), values)
        return self.transpose(split, [0, 2, 1, 3], (1, HEADS, TOKENS, HEAD_DIM), values.transpose(0, 2, 1, 3))

    def softmax(self, x, shape):
        values = np.exp(self.v(x) - self.v(x).max(axis=-1, keepdims=True))
        values /= values.sum(axis=-1, keepdims=True)
        return self.op("SOFTMAX", (x,), shape, values, "SoftmaxOptions", {"beta": 1.0}, quant=(1 / 256, -128))

    def gelu_tanh(self, x, shape):
        """0.5 x (1 + tanh(0.79788456 (x + 0.044715 x^3))) as int8 MUL, ADD and TANH ops."""
        xv = self.v(x)
        square = self.binary("MUL", x, x, shape, xv * xv)
        cube = self.binary("MUL", square, x, shape, xv ** 3)
        c = self.const_int8(np.array([0.044715], dtype=np.float32))
        cube_c = self.binary("MUL", cube, c, shape, 0.044715 * xv ** 3)
        inner = self.binary("ADD", x, cube_c, shape, xv + 0.044715 * xv ** 3)
        k = self.const_int8(np.array([0.7978846], dtype=np.float32))
        scaled = self.binary("MUL", inner, k, shape, 0.7978846 * (xv + 0.044715 * xv ** 3))
        t = self.op("TANH", (scaled,), shape, np.tanh(self.v(scaled)))
        one = self.const_int8(np.array([1.0], dtype=np.float32))
        t1 = self.binary("ADD", t, one, shape, self.v(t) + 1)
        half_x = self.binary("MUL", x, self.const_int8(np.array([0.5], dtype=np.float32)), shape, 0.5 * xv)
        return self.binary("MUL", half_x, t1, shape, self.v(half_x) * self.v(t1))


def tiny_transformer(seed: int = 0, linear_attention: bool = False) -> bytes:
    """The block described above; linear_attention replaces softmax(q k^T) v by
    phi(q) (phi(k)^T v) with phi = LOGISTIC, a kernelized attention without softmax."""
    net = Builder(seed)
    calibration = net.rng.normal(0, 1, size=(64, TOKENS, DIM)).astype(np.float32)
    tokens = net.tensor((1, TOKENS, DIM), calibration, name="tokens")
    shape = (1, TOKENS, DIM)
    normed = net.layer_norm(tokens, shape)
    flat = net.reshape(normed, (TOKENS, DIM), net.v(normed))
    q, k, v = (net.heads(net.dense(flat, DIM)) for _ in range(3))
    head_shape = (1, HEADS, TOKENS, HEAD_DIM)
    scores_shape = (1, HEADS, TOKENS, TOKENS)
    if linear_attention:
        q_map = net.op("LOGISTIC", (q,), head_shape, 1 / (1 + np.exp(-net.v(q))), quant=(1 / 256, -128))
        k_map = net.op("LOGISTIC", (k,), head_shape, 1 / (1 + np.exp(-net.v(k))), quant=(1 / 256, -128))
        kv_values = np.swapaxes(net.v(k_map), -1, -2) @ net.v(v)
        kv = net.op("BATCH_MATMUL", (k_map, v), (1, HEADS, HEAD_DIM, HEAD_DIM), kv_values, "BatchMatMulOptions",
                    {"adj_x": True, "adj_y": False})
        context = net.op("BATCH_MATMUL", (q_map, kv), head_shape, net.v(q_map) @ net.v(kv), "BatchMatMulOptions",
                         {"adj_x": False, "adj_y": False})
    else:
        scores_values = net.v(q) @ np.swapaxes(net.v(k), -1, -2)
        scores = net.op("BATCH_MATMUL", (q, k), scores_shape, scores_values, "BatchMatMulOptions",
                        {"adj_x": False, "adj_y": True})
        weights = net.softmax(scores, scores_shape)
        context = net.op("BATCH_MATMUL", (weights, v), head_shape, net.v(weights) @ net.v(v), "BatchMatMulOptions",
                         {"adj_x": False, "adj_y": False})
    merged_values = net.v(context).transpose(0, 2, 1, 3)
    merged = net.transpose(context, [0, 2, 1, 3], (1, TOKENS, HEADS, HEAD_DIM), merged_values)
    merged_flat = net.reshape(merged, (TOKENS, DIM), merged_values.reshape(-1, TOKENS, DIM))
    projected = net.dense(merged_flat, DIM)
    projected_3d = net.reshape(projected, shape, net.v(projected))
    residual = net.binary("ADD", projected_3d, tokens, shape, net.v(projected_3d) + net.v(tokens))
    normed2 = net.layer_norm(residual, shape)
    hidden = net.dense(net.reshape(normed2, (TOKENS, DIM), net.v(normed2)), 2 * DIM)
    activated = net.gelu_tanh(hidden, (TOKENS, 2 * DIM))
    down = net.dense(activated, DIM)
    down_3d = net.reshape(down, shape, net.v(down))
    out = net.binary("ADD", down_3d, residual, shape, net.v(down_3d) + net.v(residual))
    pooled = net.op("MEAN", (out, net.const_int32([1])), (1, DIM), net.v(out).mean(axis=1), "ReducerOptions",
                    {"keep_dims": False})
    logits = net.dense(pooled, 10)
    probabilities = net.softmax(logits, (1, 10))
    return write_model(net.tensors, net.ops, (tokens,), (probabilities,))
