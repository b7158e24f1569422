"""Small models the tests write without TensorFlow."""

import numpy as np

from tflite_writer import OpSpec, TensorSpec, write_model


def classifier(seed: int = 0, dtype: str = "int8", input_scale: float = 0.05, extra_op: str | None = None) -> bytes:
    """x[1,8] -> FULLY_CONNECTED -> logits[1,4] -> SOFTMAX -> probabilities (-> extra_op)."""
    rng = np.random.default_rng(seed)
    quant = (lambda scale, zero: {"scale": (scale,), "zero_point": (zero,)}) if dtype == "int8" else \
        (lambda scale, zero: {})
    weights = rng.integers(-127, 128, (4, 8)).astype(np.int8) if dtype == "int8" else \
        rng.normal(0, 0.3, (4, 8)).astype(np.float32)
    bias = rng.integers(-500, 500, 4).astype(np.int32) if dtype == "int8" else np.zeros(4, np.float32)
    tensors = [
        TensorSpec((1, 8), dtype, name="x", **quant(input_scale, 3)),
        TensorSpec((4, 8), dtype, name="weights", data=weights, **quant(0.02, 0)),
        TensorSpec((4,), "int32" if dtype == "int8" else dtype, name="bias", data=bias,
                   **quant(input_scale * 0.02, 0)),
        TensorSpec((1, 4), dtype, name="logits", **quant(0.1, -10)),
        TensorSpec((1, 4), dtype, name="probabilities", **quant(1 / 256, -128)),
    ]
    ops = [OpSpec("FULLY_CONNECTED", (0, 1, 2), (3,), "FullyConnectedOptions", {"fused_activation_function": "NONE"}),
           OpSpec("SOFTMAX", (3,), (4,), "SoftmaxOptions", {"beta": 1.0})]
    if extra_op:
        tensors.append(TensorSpec((1, 4), dtype, name="extra", **quant(1 / 256, -128)))
        ops.append(OpSpec(extra_op, (4,), (5,)))
    return write_model(tensors, ops, [0], [len(tensors) - 1])
