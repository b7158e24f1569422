"""A float model ready to be quantized: what every source format (Keras, SavedModel, ONNX, float
.tflite) turns into, so that quantization and the accuracy report are written once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


@dataclass
class FloatModel:
    input_names: list[str]
    input_shapes: list[tuple[int, ...]]   # static, batch 1
    output_names: list[str]
    # One sample per input, each with its batch-1 axis -> one array per output.
    run: Callable[[list[np.ndarray]], list[np.ndarray]]
    # Calibration samples per input, (count, *shape[1:]) -> the int8 .tflite bytes.
    to_int8: Callable[[list[np.ndarray]], bytes]
    # The float .tflite (the converter's output before quantization).
    to_float: Optional[Callable[[], bytes]] = None
    # The source model in its own framework, called like `run`, and that framework's name.
    source_run: Optional[Callable[[list[np.ndarray]], list[np.ndarray]]] = None
    source_framework: str = "TensorFlow"
    # How the source was converted (onnx2tf's options and attempts), for the report.
    conversion: Optional[dict] = None


def batches_of_one(samples: list[np.ndarray]):
    """Sample i of every input, each with a batch axis of 1."""
    for index in range(samples[0].shape[0]):
        yield [array[index:index + 1] for array in samples]


def first_sample(samples: list[np.ndarray]) -> list[np.ndarray]:
    return next(batches_of_one(samples))


def run_all(model: FloatModel, samples: list[np.ndarray]) -> list[np.ndarray]:
    """Runs the model on every sample; outputs stacked along a new first axis (batch dropped)."""
    per_sample = [model.run(batch) for batch in batches_of_one(samples)]
    return [np.stack([outputs[index].reshape(outputs[index].shape[1:]) for outputs in per_sample])
            for index in range(len(model.output_names))]
