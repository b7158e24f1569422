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
from pathlib import Path

from ..engine import supported_ops
from ..graph import ModelFormatError, read_model
from ..op_check import UnsupportedOpsError, check_ops
from ..options import OptionError, parse_options
from .accuracy import compare_outputs
from .cache import MODEL_FILE, REPORT_FILE, converter_versions
from .errors import ConversionError
from .float_model import first_sample
from .progress import stage
from .samples import RANDOM_WARNING, load_samples, sample_array_shapes
from .source_check import (DEFAULT_MIN_FLOAT_COSINE, apply_test_hook, compare_float, float_summary,
                           run_float_tflite, run_per_sample)
from .source_format import KERAS, ONNX, SAVED_MODEL, TFLITE
from .source_mapping import locate_divergence, refused_op_layers
from .static_shapes import DimensionFixes

ERROR_FILE = "error.txt"
SOURCE_MODULES = {ONNX: "onnx_source", KERAS: "keras_source", SAVED_MODEL: "saved_model_source",
                  TFLITE: "tflite_source"}
STAGE_NAMES = {ONNX: "onnx2tf: ONNX -> TensorFlow", KERAS: "Keras model loaded",
               SAVED_MODEL: "SavedModel loaded", TFLITE: "float TFLite model loaded"}


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


def convert(request: dict, output: Path, emit) -> None:
    project_dir = Path(request["project_dir"])
    options = parse_options(request["options"], project_dir)
    source_format = request["format"]
    what = f"custom_tinyml_model = {options.model_text}"
    timings: dict[str, float] = {}
    warnings = []

    min_cosine = options.min_float_cosine if options.min_float_cosine is not None else DEFAULT_MIN_FLOAT_COSINE
    state: dict = {}

    def samples_of(option: str, sample_source, names, shapes):
        return load_samples(sample_source.kind, sample_source.text, sample_source.path, option,
                            names, shapes, project_dir)

    def checked_samples(candidate):
        if "checked" not in state:
            if options.validation:
                state["checked"] = samples_of("custom_tinyml_validation", options.validation,
                                              candidate.input_names, candidate.input_shapes), "validation"
            else:
                state["checked"] = samples_of("custom_tinyml_calibration", options.calibration,
                                              candidate.input_names, candidate.input_shapes), "calibration"
        return state["checked"]

    def check(candidate, attempt: str = "") -> tuple[bool, str, dict]:
        """The float TFLite against the source model in its framework, on the checked samples."""
        samples, _ = checked_samples(candidate)
        if "source" not in state:
            state["source"] = run_per_sample(candidate.source_run, samples)
        float_tflite = apply_test_hook(candidate.to_float(), attempt)
        details = compare_float(candidate.output_names, state["source"], run_float_tflite(float_tflite, samples))
        passed = details["cosine"] >= min_cosine
        if not passed:
            details["first_divergence"] = locate_divergence(source_format, options.model, float_tflite,
                                                            first_sample(samples))
        state["float_tflite"] = float_tflite
        divergence = details.get("first_divergence") or {}
        where = f"; first differs at {divergence['layer']}" if "layer" in divergence else ""
        return passed, float_summary(details) + where, details

    fixes = DimensionFixes(lambda names: sample_array_shapes(options.calibration, "custom_tinyml_calibration",
                                                             names, project_dir), emit)
    with stage(STAGE_NAMES[source_format], emit, timings):
        source = importlib.import_module(f".{SOURCE_MODULES[source_format]}", __package__)
        if source_format == ONNX:
            model = source.load(options.model, options, what, check=check, emit=emit, fixes=fixes)
        elif source_format == TFLITE:  # fixes only a dynamic batch, without consulting the samples
            model = source.load(options.model, options, what)
        else:
            model = source.load(options.model, options, what, fixes=fixes)

    calibration = samples_of("custom_tinyml_calibration", options.calibration, model.input_names,
                             model.input_shapes)
    if options.calibration.kind == "random":
        warnings.append(RANDOM_WARNING)
    checked, checked_from = checked_samples(model)
    with stage(f"float TFLite vs {model.source_framework} on {checked[0].shape[0]} {checked_from} samples",
               emit, timings):
        float_check = (model.conversion or {}).get("attempts", [{}])[-1].get("float_check")
        if float_check is None:
            float_check = check(model, "only")[2]
    float_check["source_framework"] = model.source_framework
    float_check["sample_source"] = checked_from
    float_check["min_cosine"] = min_cosine
    with stage(f"int8 quantization with {calibration[0].shape[0]} calibration samples", emit, timings):
        data = model.to_int8(calibration)

    # Before TFLite Micro's reference runs it (it cannot run some of the ops our runtime lacks, such
    # as int8 EXP): a refused op is named with the source layer it came from.
    supported = supported_ops()
    check_ops(read_model(data), supported, options.runtime, options.model_text,
              refused_op_layers(source_format, options.model, state["float_tflite"], data, supported,
                                first_sample(checked)))
    with stage(f"accuracy: {model.source_framework} vs int8 on the TFLite Micro reference", emit, timings):
        from .int8_reference import run_int8  # imports tflite-micro
        accuracy = compare_outputs(model.output_names, state["source"], run_int8(data, checked))
    accuracy["sample_source"] = checked_from
    accuracy["reference"] = model.source_framework

    (output / MODEL_FILE).write_bytes(data)
    report = {
        "model": options.model_text, "format": source_format, "quantization": options.quantization,
        "input_shapes": [list(shape) for shape in model.input_shapes],
        "settings": options.conversion_settings(), "accuracy": accuracy, "float_check": float_check,
        "conversion": model.conversion, "fixed_dimensions": fixes.fixed, "warnings": warnings,
        "stage_seconds": timings, "versions": converter_versions(),
    }
    (output / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")


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
