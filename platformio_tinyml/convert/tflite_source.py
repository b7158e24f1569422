"""Float .tflite models -> FloatModel: run by TensorFlow's interpreter, quantized by the TFLite
calibrator (the converter only takes TensorFlow graphs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow.lite.python.optimize import calibrator

from ..graph import read_model
from ..options import Options
from .errors import ConversionError
from .float_model import FloatModel, batches_of_one
from .static_shapes import static_input_shapes


def load(path: Path, options: Options, what: str) -> FloatModel:
    data = path.read_bytes()
    graph = read_model(data, source=path.name).subgraphs[0]
    inputs = [graph.tensors[i] for i in graph.inputs]
    declared = [(t.name, tuple(None if d < 0 else d for d in (t.shape_signature or t.shape))) for t in inputs]
    shapes = static_input_shapes(declared, options.input_shapes)
    interpreter = tf.lite.Interpreter(model_content=data)
    for detail, shape in zip(interpreter.get_input_details(), shapes):
        interpreter.resize_tensor_input(detail["index"], shape, strict=False)
    interpreter.allocate_tensors()

    def run(batch: list[np.ndarray]) -> list[np.ndarray]:
        interpreter.reset_all_variables()  # each sample a sequence of its own (an LSTM's state starts again)
        for detail, array in zip(interpreter.get_input_details(), batch):
            interpreter.set_tensor(detail["index"], array.astype(np.float32))
        interpreter.invoke()
        return [interpreter.get_tensor(detail["index"]).copy() for detail in interpreter.get_output_details()]

    def to_int8(samples: list[np.ndarray]) -> bytes:
        """Quantized as options.quantization says: int8, or int16x8 (int16 activations, int64 biases)."""
        sixteen = options.quantization == "int16x8"
        activations, biases = (tf.int16, tf.int64) if sixteen else (tf.int8, tf.int32)
        try:
            return calibrator.Calibrator(data).calibrate_and_quantize(
                lambda: batches_of_one(samples), activations, activations, allow_float=False,
                activations_type=activations, bias_type=biases)
        except Exception as exc:  # the calibrator raises RuntimeError/ValueError with TFLite text
            raise ConversionError(f"{what}: the TFLite calibrator cannot make it {options.quantization}: "
                                  f"{exc}") from None

    outputs = [graph.tensors[i].name for i in graph.outputs]
    return FloatModel([t.name for t in inputs], shapes, outputs, to_int8, to_float=lambda: data,
                      source_run=run, source_framework="TensorFlow Lite")

