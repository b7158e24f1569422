"""Keras models (.keras, .h5) -> FloatModel."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from ..options import Options
from .errors import ConversionError
from .float_model import FloatModel
from .static_shapes import DimensionFixes
from .tensorflow_function import float_model_from_function


def load(path: Path, options: Options, what: str, fixes: DimensionFixes | None = None) -> FloatModel:
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many types for unreadable files
        raise ConversionError(f"{what}: Keras cannot load {path.name}: {type(exc).__name__}: {exc}") from None
    declared = [(tensor.name, tuple(tensor.shape)) for tensor in model.inputs]

    def call(*inputs):
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    def source_run(batch):
        outputs = model(batch if len(batch) > 1 else batch[0], training=False)
        outputs = [outputs[k] for k in sorted(outputs)] if isinstance(outputs, dict) else outputs
        return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]

    return float_model_from_function(call, declared, options, what, fixes, source_run=source_run,
                                     source_framework="Keras")
