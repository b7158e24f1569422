"""TensorFlow SavedModel folders -> FloatModel, through their `serving_default` signature."""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from ..options import Options
from .errors import ConversionError
from .float_model import FloatModel
from .static_shapes import DimensionFixes
from .tensorflow_function import float_model_from_function

SIGNATURE = "serving_default"


def load(path: Path, options: Options, what: str, fixes: DimensionFixes | None = None) -> FloatModel:
    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as exc:  # TensorFlow raises many types for unreadable folders
        raise ConversionError(f"{what}: TensorFlow cannot load the SavedModel: {type(exc).__name__}: {exc}") from None
    if SIGNATURE not in loaded.signatures:
        raise ConversionError(f"{what}: the SavedModel has no '{SIGNATURE}' signature "
                              f"(it has: {', '.join(loaded.signatures) or 'none'}); export it with one.")
    signature = loaded.signatures[SIGNATURE]
    specs = signature.structured_input_signature[1]
    declared = [(name, tuple(spec.shape)) for name, spec in specs.items()]

    def call(*inputs):
        return signature(**dict(zip(specs, inputs)))

    return float_model_from_function(call, declared, options, what, fixes)
