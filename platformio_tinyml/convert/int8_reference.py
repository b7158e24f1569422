"""Runs an int8 .tflite with TFLite Micro's reference kernels (the `tflite-micro` host interpreter):
the bit-exact reference for what the firmware computes."""

from __future__ import annotations

import numpy as np

from ..golden import reference_interpreter
from ..graph import read_model
from .float_model import batches_of_one


def run_int8(data: bytes, samples: list[np.ndarray]) -> list[np.ndarray]:
    """Float samples in, dequantized outputs out, stacked over samples (batch axis dropped)."""
    interpreter = reference_interpreter(data)
    inputs = [interpreter.get_input_details(i) for i in range(len(samples))]
    output_count = len(read_model(data).subgraphs[0].outputs)
    outputs = [interpreter.get_output_details(i) for i in range(output_count)]
    results = [[] for _ in outputs]
    for batch in batches_of_one(samples):
        interpreter.reset()  # each sample a sequence of its own (an LSTM's state starts again)
        for index, (detail, array) in enumerate(zip(inputs, batch)):
            interpreter.set_input(quantize(array, detail), index)
        interpreter.invoke()
        for index, detail in enumerate(outputs):
            got = dequantize(interpreter.get_output(index), detail)
            results[index].append(got.reshape(got.shape[1:]))
    return [np.stack(values) for values in results]


def quantize(array: np.ndarray, detail: dict) -> np.ndarray:
    scale, zero_point = _scale_zero_point(detail)
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(array / scale) + zero_point, info.min, info.max).astype(detail["dtype"])


def dequantize(array: np.ndarray, detail: dict) -> np.ndarray:
    scale, zero_point = _scale_zero_point(detail)
    return (array.astype(np.float32) - zero_point) * scale


def _scale_zero_point(detail: dict) -> tuple[float, int]:
    quant = detail["quantization_parameters"]
    return float(quant["scales"][0]), int(quant["zero_points"][0])

