"""The ahead-of-time int8 inference engine: TFLite graph -> a C schedule of CMSIS-NN calls.

Everything TFLite Micro computes in its kernels' Prepare step is computed here, at build time:

    report = generate_engine(model, model_bytes, "gen/", core="cortex-m4")
    # gen/tinyml_engine.c, gen/tinyml_engine.h; compile them with tinyml_model.c, the runtime
    # (runtime/src, runtime/include) and CMSIS-NN.
"""

from .cores import KernelPath, kernel_path
from .errors import UnknownCoreError, UnsupportedModelError
from .generate import EngineReport, engine_files, generate_engine
from .lowering import LOWERINGS
from .lowering.lut import FLOAT_ISLAND_OPS

# Ops the engine generates code for; tensors must be int8 (bias int32) throughout.
SUPPORTED_OPS = frozenset(LOWERINGS)


def supported_ops(model=None) -> frozenset[str]:
    """Names of the TFLite builtin ops (int8) this engine can lower to C; for a model, without the
    float-only ops (EXP, LOG, ...) it uses on other types than float32 (a converter's int8 EXP, which
    TFLite Micro has no kernel for either)."""
    if model is None:
        return SUPPORTED_OPS
    graph = model.subgraphs[0]
    off_float = {op.opcode for op in graph.operators if op.opcode in FLOAT_ISLAND_OPS and op.inputs
                 and (op.inputs[0] < 0 or graph.tensors[op.inputs[0]].dtype != "float32")}
    return SUPPORTED_OPS - off_float


__all__ = ["engine_files", "EngineReport", "KernelPath", "SUPPORTED_OPS", "UnknownCoreError", "UnsupportedModelError",
           "generate_engine", "kernel_path", "supported_ops"]
