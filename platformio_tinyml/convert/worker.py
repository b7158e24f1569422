"""The conversion subprocess: `python -m platformio_tinyml.convert.worker REQUEST.json`.

TensorFlow is imported here only, never in the build hook. Unless verbose, everything TensorFlow
and onnx2tf print goes to the log file and only the stage lines reach the build output. The result
(model.tflite, report.json) or the error (error.txt, one message for the user) is written into the
request's output folder; the exit status is 0 only with a result.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ..engine import supported_ops
from ..graph import ModelFormatError, read_model
from ..op_check import UnsupportedOpsError, check_ops
from ..options import OptionError, Options, SampleSource, parse_options
from .accuracy import compare_outputs, float_line, summary_line
from .cache import MODEL_FILE, REPORT_FILE, converter_versions
from .errors import ConversionError
from .float_model import FloatModel, first_sample
from .progress import stage
from .samples import RANDOM_WARNING, load_samples, sample_array_shapes
from ..options import DEFAULT_MIN_FLOAT_COSINE
from .source_check import (CheckedSamples, FloatCheck, Reference, compare_float,
                           float_summary, run_float_tflite, run_per_sample)
from .source_format import KERAS, ONNX, SAVED_MODEL, TFLITE
from .source_mapping import locate_divergence, refused_op_layers
from .static_shapes import DimensionFixes

ERROR_FILE = "error.txt"
SOURCE_MODULES = {ONNX: "onnx_source", KERAS: "keras_source", SAVED_MODEL: "saved_model_source",
                  TFLITE: "tflite_source"}
STAGE_NAMES = {ONNX: "onnx2tf: ONNX -> TensorFlow", KERAS: "Keras model loaded",
               SAVED_MODEL: "SavedModel loaded", TFLITE: "float TFLite model loaded"}
CALIBRATION, VALIDATION = "custom_tinyml_calibration", "custom_tinyml_validation"


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    output = Path(request["output"])
    log = Path(request["log"])
    emit = _progress_channel(request["verbose"], log)
    try:
        convert(request, output, emit)
        return 0
    except (ConversionError, ModelFormatError, OptionError, UnsupportedOpsError) as exc:
        message = str(exc)
    except Exception as exc:  # a bug or an unforeseen converter failure: keep the trace in the log
        traceback.print_exc()
        message = (f"converting {request['options'].get('custom_tinyml_model')} failed: "
                   f"{type(exc).__name__}: {exc}. The details are in {log}.")
    (output / ERROR_FILE).write_text(message, encoding="utf-8")
    return 1


@dataclass(frozen=True)
class Job:
    """What the request asks for: the options, the project they are relative to, the model's format."""
    options: Options
    project_dir: Path
    source_format: str

    @property
    def what(self) -> str:
        return f"custom_tinyml_model = {self.options.model_text}"

    @property
    def min_cosine(self) -> float:
        given = self.options.min_float_cosine
        return given if given is not None else DEFAULT_MIN_FLOAT_COSINE


def convert(request: dict, output: Path, emit) -> None:
    """Load, check the float TFLite, quantize, check the int8 ops and accuracy; writes the int8
    model and the report into `output`."""
    job = job_of(request)
    timings: dict[str, float] = {}  # stage -> seconds, filled by stage()
    fixes = dimension_fixes(job, emit)
    with stage(STAGE_NAMES[job.source_format], emit, timings):
        model = load_source(job, fixes, emit)
    calibration = calibration_samples(job, model)
    warnings = [RANDOM_WARNING] if job.options.calibration.kind == "random" else []
    # An ONNX model comes checked: its check chose among onnx2tf's option sets.
    samples = model.float_check.reference.samples if model.float_check else checked_samples(job, model)
    with stage(f"float TFLite vs {model.source_framework} on {samples.count} {samples.origin} samples",
               emit, timings) as line:
        checked = model.float_check or check_float_tflite(job, source_reference(model, samples),
                                                          model.output_names, model.to_float())
        line.text = float_line(float_check_record(job, model, checked))
    with stage(f"int8 quantization with {calibration[0].shape[0]} calibration samples", emit, timings):
        data = model.to_int8(calibration)
    check_runtime_ops(job, data, checked)
    with stage(f"accuracy: {model.source_framework} vs int8 on the TFLite Micro reference", emit, timings) as line:
        accuracy = int8_accuracy(model, checked.reference, data)
        line.text = summary_line(accuracy, accuracy["sample_source"])
    (output / MODEL_FILE).write_bytes(data)
    report = conversion_report(job, model, checked, accuracy, fixes.fixed, warnings, timings)
    (output / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")


def job_of(request: dict) -> Job:
    project_dir = Path(request["project_dir"])
    return Job(parse_options(request["options"], project_dir), project_dir, request["format"])


def dimension_fixes(job: Job, emit) -> DimensionFixes:
    """Dynamic dimensions are fixed from the calibration samples' shapes (read only when needed)."""
    return DimensionFixes(lambda names: sample_array_shapes(job.options.calibration, CALIBRATION, names,
                                                            job.project_dir), emit)


def load_source(job: Job, fixes: DimensionFixes, emit) -> FloatModel:
    source = importlib.import_module(f".{SOURCE_MODULES[job.source_format]}", __package__)
    if job.source_format == ONNX:
        return source.load(job.options.model, job.options, job.what, check=partial(check_candidate, job),
                           emit=emit, fixes=fixes)
    if job.source_format == TFLITE:  # fixes only a dynamic batch, without consulting the samples
        return source.load(job.options.model, job.options, job.what)
    if job.source_format == KERAS:  # the project's own layer classes may be named by an option
        return source.load(job.options.model, job.options, job.what, fixes=fixes, project_dir=job.project_dir)
    return source.load(job.options.model, job.options, job.what, fixes=fixes)


def samples_for(job: Job, option: str, sample_source: SampleSource, model: FloatModel) -> list[np.ndarray]:
    return load_samples(sample_source.kind, sample_source.text, sample_source.path, option,
                        model.input_names, model.input_shapes, job.project_dir)


def calibration_samples(job: Job, model: FloatModel) -> list[np.ndarray]:
    return samples_for(job, CALIBRATION, job.options.calibration, model)


def checked_samples(job: Job, model: FloatModel) -> CheckedSamples:
    """The validation samples, else the calibration ones (loaded again: they are checked, not
    calibrated with)."""
    if job.options.validation:
        return CheckedSamples(samples_for(job, VALIDATION, job.options.validation, model), "validation")
    return CheckedSamples(calibration_samples(job, model), "calibration")


def source_reference(model: FloatModel, samples: CheckedSamples) -> Reference:
    """The source model run in its own framework on the checked samples."""
    return Reference(samples, run_per_sample(model.source_run, samples.arrays))


def check_float_tflite(job: Job, reference: Reference, output_names: list[str], float_tflite: bytes) -> FloatCheck:
    """The float TFLite against the source model's outputs; when it fails, where the graphs first differ."""
    details = compare_float(output_names, reference.outputs, run_float_tflite(float_tflite, reference.samples.arrays))
    passed = details["cosine"] >= job.min_cosine
    if not passed:
        details = {**details, "first_divergence": locate_divergence(
            job.source_format, job.options.model, float_tflite, first_sample(reference.samples.arrays))}
    divergence = details.get("first_divergence") or {}
    where = f"; first differs at {divergence['layer']}" if "layer" in divergence else ""
    return FloatCheck(reference, float_tflite, details, passed, float_summary(details) + where)


def check_candidate(job: Job, candidate: FloatModel, previous: FloatCheck | None) -> FloatCheck:
    """An onnx2tf attempt's check: the samples and the source's outputs are those of the attempt
    before, made for the first."""
    reference = previous.reference if previous else source_reference(candidate, checked_samples(job, candidate))
    return check_float_tflite(job, reference, candidate.output_names, candidate.to_float())


def check_runtime_ops(job: Job, data: bytes, checked: FloatCheck) -> None:
    """Before TFLite Micro's reference runs the int8 model (it cannot run some of the ops our
    runtime lacks, such as int8 EXP): a refused op is named with the source layer it came from."""
    model = read_model(data)
    supported = supported_ops(model)
    check_ops(model, supported, job.options.runtime, job.options.model_text,
              refused_op_layers(job.source_format, job.options.model, checked.float_tflite, data, supported,
                                first_sample(checked.reference.samples.arrays)))


def int8_accuracy(model: FloatModel, reference: Reference, data: bytes) -> dict:
    """The int8 model on TFLite Micro's reference against the source model, on the checked samples."""
    from .int8_reference import run_int8  # imports tflite-micro

    return {**compare_outputs(model.output_names, reference.outputs, run_int8(data, reference.samples.arrays)),
            "sample_source": reference.samples.origin, "reference": model.source_framework}


def conversion_report(job: Job, model: FloatModel, checked: FloatCheck, accuracy: dict, fixed_dimensions: list,
                      warnings: list[str], timings: dict) -> dict:
    options = job.options
    float_check = float_check_record(job, model, checked)
    return {
        "model": options.model_text, "format": job.source_format, "quantization": options.quantization,
        "input_shapes": [list(shape) for shape in model.input_shapes],
        # The source model's names, in the int8 model's input and output order.
        "source_names": {"inputs": list(model.input_names), "outputs": list(model.output_names)},
        "settings": options.conversion_settings(), "accuracy": accuracy, "float_check": float_check,
        "conversion": _conversion_record(model, float_check), "fixed_dimensions": fixed_dimensions,
        "warnings": warnings, "stage_seconds": timings, "versions": converter_versions(),
    }


def float_check_record(job: Job, model: FloatModel, checked: FloatCheck) -> dict:
    return {**checked.details, "source_framework": model.source_framework,
            "sample_source": checked.reference.samples.origin, "min_cosine": job.min_cosine}


def _conversion_record(model: FloatModel, float_check: dict) -> dict | None:
    """model.conversion; the attempt kept (the last) shows the report's float_check, as it always has."""
    if model.float_check is None:
        return model.conversion
    *tried, kept = model.conversion["attempts"]
    return {**model.conversion, "attempts": [*tried, {**kept, "float_check": float_check}]}


def _progress_channel(verbose: bool, log: Path):
    """Where stage lines go: the build output. Unless verbose, the rest goes to `log`."""
    if verbose:
        return lambda line: print(line, flush=True)
    progress = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as stream:
        os.dup2(stream.fileno(), 1)
        os.dup2(stream.fileno(), 2)
    return lambda line: print(line, file=progress, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
