"""A float model ready to be quantized: what every source format (Keras, SavedModel, ONNX, float
.tflite) turns into, so that quantization and the accuracy report are written once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

import numpy as np

if TYPE_CHECKING:
    from .source_check import FloatCheck


@dataclass(frozen=True)
class FloatModel:
    input_names: list[str]
    input_shapes: list[tuple[int, ...]]   # static, batch 1
    output_names: list[str]
    # Calibration samples per input, (count, *shape[1:]) -> the int8 .tflite bytes.
    to_int8: Callable[[list[np.ndarray]], bytes]
    # The float .tflite (the converter's output before quantization).
    to_float: Callable[[], bytes]
    # The source model in its own framework: one sample per input, each with its batch-1 axis ->
    # one array per output; and that framework's name.
    source_run: Callable[[list[np.ndarray]], list[np.ndarray]]
    source_framework: str = "TensorFlow"
    # How the source was converted (onnx2tf's options and attempts), for the report.
    conversion: Optional[dict] = None
    # The float TFLite checked against the source, when the conversion was chosen by that check
    # (onnx2tf's option sets); otherwise the worker checks it.
    float_check: Optional[FloatCheck] = None


def batches_of_one(samples: list[np.ndarray]):
    """Sample i of every input, each with a batch axis of 1."""
    for index in range(samples[0].shape[0]):
        yield [array[index:index + 1] for array in samples]


def first_sample(samples: list[np.ndarray]) -> list[np.ndarray]:
    return next(batches_of_one(samples))
