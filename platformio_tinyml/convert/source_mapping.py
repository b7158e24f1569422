"""Ties a converted model back to its source: the first tensor where a wrong float conversion
departs from the source graph, and the source layer each refused int8 op came from.

Both run the source and the float TFLite once on the first checked sample and match their
intermediate tensors by value (`divergence`). They only explain a failure, so a failure of their
own is recorded in the report instead of hiding the failure they explain.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import numpy as np

from ..graph import read_model
from .divergence import divergence_report, first_divergence, match, source_layers
from .intermediates import source_intermediates, tflite_intermediates


def locate_divergence(source_format: str, path: Path, float_tflite: bytes, sample: list[np.ndarray]) -> dict | None:
    """{"tensor", "layer", "shape", "agreeing_inputs"}, {"unavailable": why} or None (no tensor found)."""
    try:
        source = source_intermediates(source_format, path, sample)
        if source is None:
            return {"unavailable": "layer-by-layer comparison needs an ONNX or Keras source model"}
        return divergence_report(first_divergence(source, match(source, tflite_intermediates(float_tflite, sample))),
                                 source)
    except Exception as exc:
        traceback.print_exc()  # into the conversion log
        return {"unavailable": f"the layer-by-layer comparison failed: {type(exc).__name__}: {exc}"}


def refused_op_layers(source_format: str, path: Path, float_tflite: bytes, int8_tflite: bytes,
                      supported: frozenset[str], sample: list[np.ndarray]) -> dict[str, str]:
    """Output tensor name of each int8 op the runtime lacks -> the source layer it came from.
    The int8 and float TFLite come from the same traced function, so tensor names carry over."""
    graph = read_model(int8_tflite).subgraphs[0]
    refused = [graph.tensors[op.outputs[0]].name for op in graph.operators
               if op.opcode not in supported and op.outputs and op.outputs[0] >= 0]
    if not refused:
        return {}
    try:
        source = source_intermediates(source_format, path, sample)
        if source is None:
            return {}
        layers = source_layers(source, match(source, tflite_intermediates(float_tflite, sample)))
    except Exception:
        traceback.print_exc()
        return {}
    return {name: layers[name] for name in refused if name in layers}
