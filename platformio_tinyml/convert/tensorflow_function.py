"""A TensorFlow callable with static batch-1 inputs -> FloatModel, quantized by the TFLite converter.

Keras files, SavedModels and onnx2tf's output all end up here.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import tensorflow as tf
# Public in all but name: the TFLite converter itself freezes graphs with it.
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from ..options import Options
from .errors import ConversionError
from .float_model import FloatModel, batches_of_one
from .static_shapes import DimensionFixes, static_input_shapes


def float_model_from_function(call: Callable, declared: list[tuple[str, tuple]], options: Options,
                              what: str, fixes: DimensionFixes | None = None,
                              source_run: Callable | None = None, source_framework: str = "TensorFlow",
                              export: Callable | None = None) -> FloatModel:
    """`call(*inputs)` returns a tensor, a list or a dict of tensors; `declared` gives each input's
    name and shape (None for dynamic dimensions) in order; `fixes`: how dynamic ones are fixed.
    `source_run`: the source model in `source_framework` (FloatModel.source_run); by default the
    traced function itself, in TensorFlow. `export(function, signature, folder)`, if given, writes a
    SavedModel of the function that the converter reads instead of the frozen function (keras_lstm)."""
    names = [name for name, _ in declared]
    shapes = static_input_shapes(declared, options.input_shapes, fixes)
    signature = [tf.TensorSpec(shape, tf.float32, name=_tensor_name(name)) for name, shape in zip(names, shapes)]
    traced = tf.function(lambda *inputs: _as_list(call(*inputs)), input_signature=signature)
    # Frozen: weights as constants. Left as variables, Keras 3 models keep READ_VARIABLE ops that
    # the calibration step cannot run.
    concrete = convert_variables_to_constants_v2(traced.get_concrete_function())
    output_count = len(concrete.structured_outputs)

    def run(inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(out) for out in concrete(*[tf.constant(x, tf.float32) for x in inputs])]

    saved_model: list[tempfile.TemporaryDirectory] = []  # written once by `export`, read by both conversions

    def converter() -> tf.lite.TFLiteConverter:
        if export is None:
            return tf.lite.TFLiteConverter.from_concrete_functions([concrete])
        if not saved_model:
            saved_model.append(tempfile.TemporaryDirectory(prefix="tinyml-saved-model-"))
            export(lambda *inputs: _as_list(call(*inputs)), signature, Path(saved_model[0].name))
        return tf.lite.TFLiteConverter.from_saved_model(saved_model[0].name)

    def to_int8(samples: list[np.ndarray]) -> bytes:
        """Quantized as options.quantization says: int8, or int16x8 (TensorFlow's 16x8 mode)."""
        sixteen = options.quantization == "int16x8"
        quantizing = converter()
        quantizing.optimizations = [tf.lite.Optimize.DEFAULT]
        quantizing.representative_dataset = lambda: batches_of_one(samples)
        quantizing.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 if sixteen
            else tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        quantizing.inference_input_type = quantizing.inference_output_type = tf.int16 if sixteen else tf.int8
        try:
            return quantizing.convert()
        except Exception as exc:  # the converter raises several types, all with MLIR text
            raise ConversionError(f"{what}: the TFLite converter cannot make it {options.quantization}: "
                                  f"{converter_error_summary(str(exc))}") from None

    def to_float() -> bytes:
        try:
            return converter().convert()
        except Exception as exc:
            raise ConversionError(f"{what}: the TFLite converter cannot convert it (float): "
                                  f"{converter_error_summary(str(exc))}") from None

    return FloatModel(names, shapes, [f"output_{i}" for i in range(output_count)], to_int8, to_float,
                      source_run or run, source_framework)


def converter_error_summary(text: str) -> str:
    """The converter's distinct `error:` lines (it repeats each with locations), at most five."""
    found = []
    for line in text.splitlines():
        match = re.search(r"error: (.*)", line)
        if match and match.group(1) not in found:
            found.append(match.group(1).strip())
    lines = found[:5] or [text.strip().splitlines()[-1] if text.strip() else "no message"]
    return "; ".join(lines)


def _as_list(outputs) -> list:
    if isinstance(outputs, dict):
        return [outputs[key] for key in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def _tensor_name(name: str) -> str:
    # TensorSpec names become TFLite tensor names; keep them to what TensorFlow accepts.
    return re.sub(r"[^A-Za-z0-9_.\-/]", "_", name) or "input"
