"""Does the converted float model still compute what the source model computes?

The source model runs in its own framework (onnxruntime for ONNX, Keras / TensorFlow otherwise)
and the float TFLite (the converter's output before quantization) in TensorFlow Lite's
interpreter, on the same samples: per output, the largest absolute difference and the cosine
similarity over all samples. Converters fail silently (onnx2tf's layout rewriting has given
logits off by 16.9 with no error), so every conversion is checked before it is quantized.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .float_model import batches_of_one



@dataclass(frozen=True)
class CheckedSamples:
    """What a conversion is checked on: the validation samples, else the calibration ones."""
    arrays: list[np.ndarray]   # one per model input, (count, *input_shape[1:])
    origin: str                # "validation" or "calibration"

    @property
    def count(self) -> int:
        return int(self.arrays[0].shape[0])


@dataclass(frozen=True)
class Reference:
    """The source model's outputs on the checked samples, which the float TFLite and the int8
    model are compared with."""
    samples: CheckedSamples
    outputs: list[np.ndarray]  # per output, stacked over the samples (batch axis dropped)


@dataclass(frozen=True)
class FloatCheck:
    """A float TFLite against the source model on `reference`."""
    reference: Reference
    float_tflite: bytes
    details: dict              # compare_float's figures, and first_divergence when it failed
    passed: bool
    summary: str               # cosine and max abs error, and where the graphs first differ


def run_float_tflite(data: bytes, samples: list[np.ndarray]) -> list[np.ndarray]:
    """The float TFLite on every sample, outputs stacked (batch axis dropped)."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_content=data)
    interpreter.allocate_tensors()
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    results = [[] for _ in outputs]
    for batch in batches_of_one(samples):
        interpreter.reset_all_variables()  # each sample a sequence of its own (an LSTM's state starts again)
        for detail, array in zip(inputs, batch):
            interpreter.set_tensor(detail["index"], array.astype(np.float32).reshape(detail["shape"]))
        interpreter.invoke()
        for index, detail in enumerate(outputs):
            got = interpreter.get_tensor(detail["index"])
            results[index].append(got.reshape(got.shape[1:]))
    return [np.stack(values) for values in results]


def run_per_sample(run, samples: list[np.ndarray], output_count: int | None = None) -> list[np.ndarray]:
    per_sample = [run(batch) for batch in batches_of_one(samples)]
    count = output_count if output_count is not None else len(per_sample[0])
    return [np.stack([np.asarray(outputs[i]).reshape(np.asarray(outputs[i]).shape[1:]) for outputs in per_sample])
            for i in range(count)]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0:
        return 1.0 if not a.any() and not b.any() else 0.0
    return float(np.dot(a, b) / norms)


def compare_float(names: list[str], source: list[np.ndarray], converted: list[np.ndarray]) -> dict:
    outputs = []
    for name, ref, got in zip(names, source, converted):
        if ref.size != got.size:
            outputs.append({"name": name, "cosine": 0.0, "max_abs_error": float("inf"),
                            "shapes": [list(ref.shape), list(got.shape)]})
            continue
        got = got.reshape(ref.shape)
        outputs.append({"name": name, "cosine": cosine(ref, got),
                        "max_abs_error": float(np.max(np.abs(ref.astype(np.float64) - got)))})
    worst = min(outputs, key=lambda o: o["cosine"])
    return {"samples": int(source[0].shape[0]), "cosine": worst["cosine"],
            "max_abs_error": max(o["max_abs_error"] for o in outputs), "worst_output": worst["name"],
            "outputs": outputs}


def float_summary(check: dict) -> str:
    return f"cosine {check['cosine']:.6f}, max abs error {check['max_abs_error']:.3g}"
