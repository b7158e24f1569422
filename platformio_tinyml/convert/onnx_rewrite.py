"""ONNX graph rewrites made before onnx2tf, for ops TFLite Micro-class runtimes cannot run.

Imports onnx and NumPy only (not onnx2tf or TensorFlow).
"""

from __future__ import annotations

import numpy as np


def rewrite_erf_to_tanh(model):
    """Every Erf(z) -> tanh(1.1283792 z + 0.1009109 z^3). Exact GELU is x/2 (1 + erf(x/sqrt 2)); with
    z = x/sqrt 2 this is exactly GELU's tanh form, whose int8 TANH the runtime runs (Erf is a TF
    select op TFLite Micro cannot run). Returns (model, how many Erf nodes were rewritten)."""
    from onnx import helper, numpy_helper

    graph = model.graph
    nodes, count = [], 0
    for node in graph.node:
        if node.op_type != "Erf" or node.domain not in ("", "ai.onnx"):
            nodes.append(node)
            continue
        count += 1
        z, out, tag = node.input[0], node.output[0], f"tinyml_erf{count}"
        a = numpy_helper.from_array(np.array(1.1283791670955126, np.float32), f"{tag}_a")
        b = numpy_helper.from_array(np.array(0.1009109, np.float32), f"{tag}_b")
        graph.initializer.extend([a, b])
        nodes += [helper.make_node("Mul", [z, z], [f"{tag}_z2"], name=f"{tag}_z2"),
                  helper.make_node("Mul", [f"{tag}_z2", b.name], [f"{tag}_bz2"], name=f"{tag}_bz2"),
                  helper.make_node("Add", [f"{tag}_bz2", a.name], [f"{tag}_poly"], name=f"{tag}_poly"),
                  helper.make_node("Mul", [f"{tag}_poly", z], [f"{tag}_arg"], name=f"{tag}_arg"),
                  helper.make_node("Tanh", [f"{tag}_arg"], [out], name=f"{tag}_tanh")]
    if count:
        del graph.node[:]
        graph.node.extend(nodes)
    return model, count
