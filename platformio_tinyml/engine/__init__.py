"""The ahead-of-time int8 inference engine: TFLite graph -> a C schedule of CMSIS-NN calls.

Everything TFLite Micro computes in its kernels' Prepare step is computed here, at build time.
"""

# Ops the engine generates code for; tensors must be int8 (bias int32) throughout.
SUPPORTED_OPS = frozenset({
    "ADD", "AVERAGE_POOL_2D", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
    "MAX_POOL_2D", "MUL", "RESHAPE", "SOFTMAX",
})


def supported_ops() -> frozenset[str]:
    """Names of the TFLite builtin ops (int8) this engine can lower to C."""
    return SUPPORTED_OPS


__all__ = ["SUPPORTED_OPS", "supported_ops"]
