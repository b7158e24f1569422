"""The host side of a build: `custom_tinyml_*` options -> int8 model -> op check -> engine schedule,
memory budget, golden data: the C sources the build hook hands to SCons.

The hook (build_hook.py, in PlatformIO's own interpreter) runs this module as a subprocess of a
Python that has NumPy and TFLite Micro's reference (see provision.py):

    python -m platformio_tinyml.pipeline request.json   # writes the result next to the request

Stages print one line each with their duration. Conversion runs in a further subprocess and only
when its cache key changes.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .budget import BudgetError, MemoryNeeds, check_budget
from .convert import cache, launcher
from .convert.accuracy import float_line, summary_line
from .convert.divergence import divergence_text
from .convert.errors import ConversionError
from .convert.progress import stage
from .convert.samples import LABEL_ARRAYS, load_samples
from .convert.source_format import TFLITE, detect_format
from .engine import EngineReport, UnknownCoreError, UnsupportedModelError, generate_engine
from .engine.lifetimes import tensor_bytes
from .generated_files import GENERATED_FOLDER, RESULT_FILE, TRACE_FILE
from .golden import (
    GoldenModel,
    golden_inputs,
    quantize_samples,
    random_samples,
    reference_check,
    reference_outputs,
    reference_trace,
    render_embedded_samples,
    render_golden_data,
)
from .graph import Model, ModelFormatError, op_census, read_model, verify_model
from .isolated_reference import ReferenceError
from .model_array import model_hash, write_model_sources
from .model_names import DEFAULT_PREFIX
from .several_models import SHARED_ARENA, write_several_models
from .op_check import UnsupportedOpsError, check_ops
from .options import (DEFAULT_MIN_AGREEMENT, DEFAULT_MIN_FLOAT_COSINE, DEFAULT_MIN_SNR, MODEL_SECTION, PREFIX,
                      OptionError, Options, parse_options)

# The folder holding the platformio_tinyml package: the conversion worker runs from it.
LIBRARY_ROOT = Path(__file__).resolve().parents[1]
REPORT_FILE = "conversion_report.json"
ENGINE_REPORT_FILE = "engine_report.json"
GOLDEN_DATA_FILE = "tinyml_golden_data.h"
MODEL_COPY = "model.tflite"
REPORT_FILES = (MODEL_COPY, REPORT_FILE, ENGINE_REPORT_FILE)  # in work_dir, replaced as a set
REPORTS_STAGING = ".reports"  # inside the staging folder
# Flash left for the golden test firmware's code (runtime, kernels, Unity, printf) when golden samples
# are fitted to the board: measured 33 KiB (ResNet, M55) and 38 KiB (KWS, nRF52840) beside model and data.
GOLDEN_CODE_RESERVE = 64 * 1024


@dataclass(frozen=True)
class ModelJob:
    """One model's build: its options and where it happens (the hook, the CLI and the tests make one)."""
    options: Options
    project_dir: Path          # relative option paths are taken from here
    work_dir: Path             # $BUILD_DIR/tinyml: reports and the int8 model's copy
    python: str = sys.executable  # the Python the conversion worker runs in
    verbose: bool = False


@dataclass(frozen=True)
class Int8Model:
    data: bytes
    model: Model
    how: str              # 'used as is' | 'converted from keras' ...
    report: dict | None   # the conversion report; None for a model used as is
    report_file: Path | None = None  # where the conversion cache keeps that report


class ModelError(ValueError):
    """One of several models stopped the build; the message names its section first."""


@dataclass(frozen=True)
class ModelBuild:
    """What one model of a build made, for the totals and the golden suite."""
    prefix: str
    int8: Int8Model
    engine: EngineReport
    sample_bytes: int            # flash of its embedded samples and golden data
    golden: GoldenModel | None


def run(request: dict, emit: Callable[[str], None]) -> dict:
    """Everything the build needs from its model (or models) for one environment, written into
    request['work_dir']; returns the result the hook wires into SCons. Outputs are staged and
    swapped in only when every stage succeeded, so a failure leaves the last good ones as they were.

    request['models'], when present, names several models ([{"name", "options"}], the firmware's
    custom_tinyml_models); else request['options'] is the one model's."""
    start = time.perf_counter()
    project_dir = Path(request["project_dir"])
    work_dir = Path(request["work_dir"])
    board = request["board"]
    named = "models" in request
    configs = request["models"] if named else [{"name": DEFAULT_PREFIX, "options": request["options"]}]
    shared = named and bool(request.get("shared_arena"))
    staging = Path(tempfile.mkdtemp(prefix=".generated-", dir=_made(work_dir)))
    try:
        builds = []
        for config in configs:
            options = parse_options(config["options"], project_dir)
            model_work = work_dir / config["name"] if named else work_dir
            job = ModelJob(options, project_dir, model_work, verbose=request.get("verbose", False))
            try:
                builds.append(build_model(job, config["name"], board, bool(request.get("golden")), staging,
                                          SHARED_ARENA if shared else None,
                                          _model_lines(config["name"], emit) if named else emit))
            except USER_ERRORS as exc:
                if not named:
                    raise
                raise ModelError(f"[{MODEL_SECTION}{config['name']}]: {exc}") from None
        arena = (max if shared else sum)(build.engine.arena_bytes for build in builds)
        if request.get("golden"):
            wide = parse_options(configs[0]["options"], project_dir)  # profile and trace are the build's
            (staging / GOLDEN_DATA_FILE).write_text(
                render_golden_data([build.golden for build in builds], wide.profile, wide.trace, arena),
                encoding="utf-8")
        if named:
            check_budget(
                board["board_id"], board["ram"], board["flash"],
                MemoryNeeds(arena, (max if shared else sum)(build.engine.arena_lower_bound for build in builds),
                            board["stack_reserve"], sum(len(build.int8.data) for build in builds),
                            sum(build.engine.constant_table_bytes for build in builds),
                            sum(build.sample_bytes for build in builds),
                            sum(build.engine.state_bytes for build in builds)),
                None, stack_reserve_source=board["stack_reserve_source"], flash_what=board["flash_what"],
                models=tuple(config["name"] for config in configs), shared_arena=shared)
            write_several_models(staging, [build.prefix for build in builds], arena if shared else None)
        for build, config in zip(builds, configs):
            reports = staging / REPORTS_STAGING / config["name"]
            write_reports(reports, build.int8, build.engine, board["core"])
        for build, config in zip(builds, configs):
            reports = staging / REPORTS_STAGING / config["name"]
            replace_changed_files(reports, work_dir / config["name"] if named else work_dir, owned=REPORT_FILES)
        shutil.rmtree(staging / REPORTS_STAGING)
        replace_changed_files(staging, work_dir / GENERATED_FOLDER)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    how = "; ".join(f"{build.prefix}: {build.int8.how}" for build in builds) if named else builds[0].int8.how
    result = {"status": "ok", "how": how, "kernel_path": builds[0].engine.kernel_path.value,
              "python": sys.executable, "library_root": str(LIBRARY_ROOT),
              "seconds": round(time.perf_counter() - start, 1)}
    if named:
        result["arena"] = {"bytes": arena, "shared": shared,
                           "models": {build.prefix: build.engine.arena_bytes for build in builds}}
    return result


def _model_lines(name: str, emit: Callable[[str], None]) -> Callable[[str], None]:
    """`emit` with the model's name after the `tinyml:` of each line, for a build of several models."""
    return lambda line: emit(line.replace("tinyml: ", f"tinyml: {name}: ", 1))


def build_model(job: ModelJob, prefix: str, board: dict, golden: bool, staging: Path, shared_arena: str | None,
                emit: Callable[[str], None]) -> ModelBuild:
    """One model's sources into `staging`, all named with `prefix` (model_names.py). Its own budget
    is checked here for a firmware's one model; several models are checked together by run()."""
    options, project_dir = job.options, job.project_dir
    int8 = prepare_int8_model(job, emit)
    check_runtime_support(int8.model, options, emit)
    check_reference_runs(int8, options, emit)
    check_labels(int8.model, options)
    with stage(f"{prefix}_model.c/.h", emit):
        write_model_sources(staging, int8.data, int8.model, provenance(options, int8), options.labels,
                            source_names(int8), prefix)
    engine = generate_schedule(int8, board["core"], staging, emit, prefix, shared_arena)
    sample_bytes = 0
    if options.embed_samples:
        with stage(f"{options.embed_samples} samples embedded as {prefix}_samples.h", emit):
            sample_bytes += write_embedded_samples(int8, options, project_dir, staging, prefix)
    golden_model = None
    if golden:
        count = golden_samples_that_fit(int8, engine, options, board, sample_bytes, emit)
        with stage("golden samples and TFLite Micro's reference outputs", emit):
            golden_model = golden_data(int8, options, project_dir, staging, prefix, count)
            sample_bytes += sum(array.nbytes for sample in golden_model.samples
                                for array in (*sample.inputs, *sample.expected))
    single = prefix == DEFAULT_PREFIX
    check_budget(
        board["board_id"], board["ram"] if single else 0, board["flash"] if single else 0,
        MemoryNeeds(engine.arena_bytes, engine.arena_lower_bound, board["stack_reserve"],
                    len(int8.data), engine.constant_table_bytes, sample_bytes, engine.state_bytes),
        options.arena_size, stack_reserve_source=board["stack_reserve_source"], flash_what=board["flash_what"],
    )
    return ModelBuild(prefix, int8, engine, sample_bytes, golden_model)


def replace_changed_files(staging: Path, generated: Path, owned: tuple[str, ...] | None = None) -> None:
    """Moves every staged file into `generated`, leaving unchanged ones (and their timestamps, so
    SCons recompiles nothing) alone and removing files this build no longer makes: any file of
    `generated`, or only those named in `owned` when the folder holds other things too."""
    generated.mkdir(parents=True, exist_ok=True)
    staged = {path.name for path in staging.iterdir()}
    for path in generated.iterdir():
        if path.is_file() and path.name not in staged and (owned is None or path.name in owned):
            path.unlink()
    for name in sorted(staged):
        target = generated / name
        if target.is_file() and target.read_bytes() == (staging / name).read_bytes():
            continue
        os.replace(staging / name, target)


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def model_inputs_as_int8(int8: Int8Model, options: Options, project_dir: Path, count: int):
    """Up to `count` samples per input, quantized like the device's inputs, and where they came from:
    validation samples, else calibration samples, else random int8 numbers."""
    graph = int8.model.subgraphs[0]
    inputs = [graph.tensors[i] for i in graph.inputs]
    source, option = (options.validation, "validation") if options.validation else (options.calibration, "calibration")
    if source is None or source.kind == "random":
        where = f"random int8 inputs (seed 0); set {PREFIX}validation for real samples"
        return random_samples(inputs, count), None, where
    # A converted model's samples are named after the source model's inputs, as for its conversion.
    names = (source_names(int8) or {}).get("inputs") or [t.name for t in inputs]
    floats = load_samples(source.kind, source.text, source.path, PREFIX + option, names,
                          [t.shape for t in inputs], project_dir)
    labels = None
    if source.kind == "files" and source.path.suffix.lower() == ".npz":
        with np.load(source.path) as archive:
            labels = next((archive[key] for key in LABEL_ARRAYS if key in archive), None)
    return quantize_samples(floats, inputs), labels, f"{PREFIX}{option} = {source.text}"


def write_embedded_samples(int8: Int8Model, options: Options, project_dir: Path, generated: Path,
                           prefix: str = DEFAULT_PREFIX) -> int:
    """<prefix>_samples.h; returns the bytes of flash its arrays take."""
    per_input, labels, where = model_inputs_as_int8(int8, options, project_dir, options.embed_samples)
    if len(per_input) != 1:
        raise ConversionError(f"{PREFIX}embed_samples: the model has {len(per_input)} inputs; embedding "
                              f"samples works for single-input models only.")
    inputs = per_input[0][: options.embed_samples]
    labels = None if labels is None else labels[: len(inputs)]
    text = render_embedded_samples(inputs, labels, f"{len(inputs)} samples: {where}", prefix)
    (generated / f"{prefix}_samples.h").write_text(text, encoding="utf-8")
    return inputs.nbytes + (0 if labels is None else 4 * len(labels))  # labels are int32_t


def golden_samples_that_fit(int8: Int8Model, engine: EngineReport, options: Options, board: dict, other_samples: int,
                            emit: Callable[[str], None]) -> int:
    """How many of the golden samples asked for fit the board's flash beside the model, its tables,
    the embedded samples and a reserve for the firmware's code (GOLDEN_CODE_RESERVE, or half the
    flash left where that is less): all of them, else as many as fit and at least one (the budget
    check then stops a build where even one does not)."""
    graph = int8.model.subgraphs[0]
    per_sample = sum(tensor_bytes(graph, i) for i in (*graph.inputs, *graph.outputs))
    wanted = options.test_samples
    if not board["flash"] or not per_sample:
        return wanted
    left = board["flash"] - len(int8.data) - engine.constant_table_bytes - other_samples
    reserve = min(GOLDEN_CODE_RESERVE, max(left, 0) // 2)  # small boards run small firmware
    fitting = max(1, min(wanted, (left - reserve) // per_sample))
    if fitting < wanted:
        emit(f"tinyml: the golden suite takes {fitting} of the {wanted} samples asked for ({PREFIX}test_samples): "
             f"each needs {per_sample:,} B of flash for its inputs and expected outputs, and board "
             f"'{board['board_id']}' has room for {fitting} beside the model and {reserve:,} B kept for code")
    return fitting


def golden_data(int8: Int8Model, options: Options, project_dir: Path, generated: Path, prefix: str,
                count: int) -> GoldenModel:
    """The model's golden samples and the reference's outputs for them (and, when tracing, the
    reference's hash of every op's output, in the trace file)."""
    graph = int8.model.subgraphs[0]
    inputs = [graph.tensors[i] for i in graph.inputs]
    per_input, _, where = model_inputs_as_int8(int8, options, project_dir, count)
    samples = reference_outputs(int8.data, golden_inputs(per_input, inputs, count),
                                len(graph.outputs), options.model_text)
    if options.trace:
        trace = {"ops": {op.index: op.opcode for op in graph.operators},
                 "expected": reference_trace(int8.data, graph, [sample.inputs for sample in samples], options.model_text)}
        (generated / TRACE_FILE).write_text(json.dumps(trace) + "\n", encoding="utf-8")
    return GoldenModel(prefix, samples, options.tolerance, f"{len(samples)} samples: {where}")


def generate_schedule(int8: Int8Model, core: str, generated: Path, emit, prefix: str = DEFAULT_PREFIX,
                      shared_arena: str | None = None) -> EngineReport:
    """The engine's C schedule for this core."""
    with stage(f"schedule for {core}", emit) as line:
        try:
            engine = generate_engine(int8.model, int8.data, generated, core, prefix, shared_arena)
        except UnknownCoreError as exc:  # the board's problem; everything else names the model's op
            raise UnsupportedModelError(int8.model.source, [f"board build.cpu: {exc}"]) from None
        line.text = (f"schedule for {core}, CMSIS-NN {engine.kernel_path.value} path: arena {engine.arena_bytes:,} B "
                     f"(lower bound {engine.arena_lower_bound:,} B), model {len(int8.data):,} B, "
                     f"{len(engine.kernels)} kernel calls")
    return engine


def write_reports(folder: Path, int8: Int8Model, engine: EngineReport, core: str) -> None:
    """What a build leaves beside its sources for people: the int8 model, its conversion report (for
    a converted model) and a JSON record of what the schedule costs."""
    folder.mkdir(parents=True)
    (folder / MODEL_COPY).write_bytes(int8.data)
    if int8.report_file is not None:
        shutil.copyfile(int8.report_file, folder / REPORT_FILE)
    record = {
        "core": core, "kernel_path": engine.kernel_path.value, "arena_bytes": engine.arena_bytes,
        "arena_lower_bound": engine.arena_lower_bound, "constant_table_bytes": engine.constant_table_bytes,
        "model_bytes": len(int8.data), "kernels": list(engine.kernels),
    }
    (folder / ENGINE_REPORT_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def emit(line: str) -> None:
    print(line, flush=True)


def prepare_int8_model(job: ModelJob, emit: Callable[[str], None]) -> Int8Model:
    """The int8 .tflite for the job's options: the file itself when it is int8, else a (cached) conversion."""
    options, project_dir, work_dir = job.options, job.project_dir, job.work_dir
    what = f"{PREFIX}model = {options.model_text}"
    source_format = detect_format(options.model, options.model_text)
    if source_format == TFLITE:
        data = options.model.read_bytes()
        model = read_model(data, source=options.model_text)
        verify_model(model)
        refuse_what_conversion_cannot_change(model, options)
        kind = quantized_kind(model)
        if kind is not None:
            return Int8Model(data, model, f"{kind} .tflite used as is", None)
    if options.calibration is None:
        raise ConversionError(
            f"{what} is a float model: making it int8 needs calibration samples. Set "
            f"{PREFIX}calibration to a .npz/.npy file or a folder of them, or to a Python "
            f"module:function returning samples (or to random, to try a build without real data)."
        )
    key = cache.conversion_key(options.model, _sample_files(options, project_dir),
                               {"format": source_format, **options.conversion_settings()})
    entry = cache.lookup(key)
    if entry is None:
        launcher.require_converters(source_format, job.python, what)
        request = {"options": options.written, "project_dir": str(project_dir), "format": source_format}
        with stage(f"converted {options.model_text} to int8", emit,
                   announce=f"converting {options.model_text} to int8") as line:
            entry = launcher.convert_in_subprocess(job.python, LIBRARY_ROOT, key, request, work_dir,
                                                   job.verbose, emit)
            report = _conversion_report(entry)
            line.text += f"{_onnx2tf_clause(report)}; details in {work_dir / REPORT_FILE}"
    else:
        report = _conversion_report(entry)
        emit(f"tinyml: conversion of {options.model_text} cached ({key[:12]}){_onnx2tf_clause(report)}")
        # The figures the conversion printed when it ran, from its report.
        if report.get("float_check"):
            emit(f"tinyml: {float_line(report['float_check'])}")
        emit(f"tinyml: {summary_line(report['accuracy'], report['accuracy']['sample_source'])} "
             f"(details: {work_dir / REPORT_FILE})")
    data = (entry / cache.MODEL_FILE).read_bytes()
    model = read_model(data, source=f"the {options.quantization} conversion of {options.model_text}")
    verify_model(model)
    for warning in report["warnings"]:
        emit(f"tinyml: warning: {warning}")
    try:
        check_float(report.get("float_check"), options)
        check_agreement(report["accuracy"], options)
    except ConversionError as exc:  # the build keeps its last good reports; this one's is in the cache
        raise ConversionError(f"{exc} The conversion's report: {entry / cache.REPORT_FILE}",
                              report_file=entry / cache.REPORT_FILE) from None
    return Int8Model(data, model, f"converted from {source_format}", report, entry / cache.REPORT_FILE)


def _conversion_report(entry: Path) -> dict:
    return json.loads((entry / cache.REPORT_FILE).read_text(encoding="utf-8"))


def _onnx2tf_clause(report: dict) -> str:
    conversion = report.get("conversion") or {}
    if not conversion.get("onnx2tf_options"):
        return ""
    attempts = len(conversion["attempts"])
    return f", onnx2tf with {conversion['onnx2tf_options']}" + (f" (attempt {attempts})" if attempts > 1 else "")


def refuse_what_conversion_cannot_change(model: Model, options: Options) -> None:
    """A .tflite that is not quantized goes to the converter; one with custom ops would only fail
    there, with the converter's words."""
    graph = model.subgraphs[0]
    if any(op.startswith("CUSTOM:") for op in op_census(graph)):
        from .engine import supported_ops  # the engine's tables, only when needed

        check_ops(model, supported_ops(model), options.runtime, options.model_text)


def quantized_kind(model: Model) -> str | None:
    """'int8' or 'int16x8' for a model already quantized, None for a float one: its graph inputs are
    int8 (int16 with quantization: int16x8) and some output is of that type, or its outputs are of the
    types quantized ops end in (ARG_MAX's int32, a comparison's bool) with no float32 anywhere."""
    graph = model.subgraphs[0]
    inputs = [graph.tensors[i] for i in graph.inputs]
    outputs = [graph.tensors[i].dtype for i in graph.outputs]
    if all(t.dtype == "int8" for t in inputs):
        kind = "int8"
    elif all(t.dtype in ("int8", "int16") and t.quantization for t in inputs):
        kind = "int16x8"
    else:
        return None
    quantized_outputs = {"int8"} if kind == "int8" else {"int8", "int16"}
    if quantized_outputs & set(outputs) or not any(t.dtype == "float32" for t in graph.tensors):
        return kind
    return None




def check_float(check: dict | None, options: Options) -> None:
    """The float TFLite must compute what the source model computes."""
    if not check:
        return
    threshold = options.min_float_cosine if options.min_float_cosine is not None else DEFAULT_MIN_FLOAT_COSINE
    if check["cosine"] >= threshold:
        return
    worst = min(check["outputs"], key=lambda o: o["cosine"])
    raise ConversionError(
        f"{PREFIX}min_float_cosine = {threshold:g}: the converted float model does not compute what "
        f"{options.model_text} computes in {check['source_framework']}: output '{worst['name']}' has cosine "
        f"similarity {worst['cosine']:.6f} and max abs error {worst['max_abs_error']:.3g} over "
        f"{check['samples']} {check['sample_source']} samples{_divergence_clause(check.get('first_divergence'))}. "
        f"The converter got it wrong; no C was generated."
    )


def _divergence_clause(divergence: dict | None) -> str:
    if not divergence:
        return ""
    if "unavailable" in divergence:
        return f" ({divergence['unavailable']})"
    return f"; {divergence_text(divergence)}"


def check_agreement(accuracy: dict, options: Options) -> None:
    """int8 vs the source: top-1 agreement for outputs with several classes, SNR for the others."""
    reference = f"source model ({accuracy['reference']})" if accuracy.get("reference") else "float one"
    minimum = options.min_agreement if options.min_agreement is not None else DEFAULT_MIN_AGREEMENT
    if accuracy["top1_agreement"] is not None:
        agreement = accuracy["top1_agreement"] * 100
        if agreement < minimum:
            worst = min((o for o in accuracy.get("outputs", []) if o.get("top1_agreement") is not None),
                        key=lambda o: o["top1_agreement"], default=None)
            where = f" (worst output '{worst['name']}')" if worst and len(accuracy["outputs"]) > 1 else ""
            raise ConversionError(
                f"{PREFIX}min_agreement = {minimum:g}: the int8 model agrees with the {reference} on only "
                f"{agreement:.1f}% of {accuracy['samples']} {accuracy['sample_source']} "
                f"samples (SNR {accuracy['snr_db']:.1f} dB){where}. Give more representative calibration "
                f"samples, or lower the threshold."
            )
    min_snr = options.min_snr if options.min_snr is not None else DEFAULT_MIN_SNR
    for output in accuracy.get("outputs", []):
        if output.get("top1_agreement") is None and output["snr_db"] < min_snr:
            raise ConversionError(
                f"{PREFIX}min_snr = {min_snr:g}: the int8 model's output '{output['name']}' is only "
                f"{output['snr_db']:.1f} dB from the {reference}'s (max abs error {output['max_abs_error']:.3g}) "
                f"on {accuracy['samples']} {accuracy['sample_source']} samples. Give more representative "
                f"calibration samples, or lower the threshold."
            )


def check_runtime_support(model: Model, options: Options, emit: Callable[[str], None]) -> None:
    from .engine import supported_ops

    with stage(f"ops checked against runtime '{options.runtime}'", emit):
        check_ops(model, supported_ops(model), options.runtime, options.model_text)


def check_reference_runs(int8: Int8Model, options: Options, emit: Callable[[str], None]) -> None:
    """TFLite Micro's reference must run the model: it makes the golden data and is what the
    engine is bit-exact with, so a model it refuses or crashes on is refused here."""
    graph = int8.model.subgraphs[0]
    zeros = tuple(np.zeros(graph.tensors[i].shape, graph.tensors[i].dtype) for i in graph.inputs)
    with stage("TFLite Micro's reference runs the model", emit):
        reference_check(int8.data, zeros, options.model_text)


def source_names(int8: Int8Model) -> dict | None:
    """The source model's input and output names, in the int8 model's order, for a converted model
    whose report has them."""
    names = (int8.report or {}).get("source_names")
    graph = int8.model.subgraphs[0]
    if not names or len(names["inputs"]) != len(graph.inputs) or len(names["outputs"]) != len(graph.outputs):
        return None
    return names


def check_labels(model: Model, options: Options) -> None:
    """custom_tinyml_labels names output 0's classes: one label per element of its last dimension."""
    if not options.labels:
        return
    graph = model.subgraphs[0]
    output = graph.tensors[graph.outputs[0]]
    classes = output.shape[-1] if output.shape else 1
    if len(options.labels) != classes:
        raise OptionError(
            f"{PREFIX}labels: {len(options.labels)} labels ({', '.join(options.labels[:4])}"
            f"{', ...' if len(options.labels) > 4 else ''}), but output 0 '{output.name}' of {options.model_text} "
            f"has {classes} classes (its shape is {list(output.shape)}). Give one label per class, in class order.")


def provenance(options: Options, int8: Int8Model) -> str:
    lines = [f"Model: {options.model_text} ({int8.how}), SHA-256 of the int8 model {model_hash(int8.data)[:16]}...",
             f"Options: {options.summary()}"]
    # The text lands inside a C comment.
    return "\n * ".join(line.replace("*/", "* /") for line in lines)


def _sample_files(options: Options, project_dir: Path) -> list[Path]:
    """What the conversion's content hash is taken over besides the model: the samples (a function's
    by its module's source) and the module of the model's own Keras classes."""
    files = []
    for source in (options.calibration, options.validation):
        if source is None or source.kind == "random":
            continue
        files.append(source.path if source.kind == "files" else cache.module_source(source.text, project_dir))
    if options.keras_custom_objects:
        files.append(cache.module_source(options.keras_custom_objects, project_dir))
    return files


# What stops a build with a message of its own (anything else is a defect, reported as one).
USER_ERRORS = (OptionError, ConversionError, ModelFormatError, UnsupportedOpsError, UnsupportedModelError,
               BudgetError, ReferenceError, ModelError)


def main(argv: list[str]) -> int:
    request_file = Path(argv[0])
    request = json.loads(request_file.read_text(encoding="utf-8"))
    try:
        result = run(request, emit)
    except launcher.ConvertersMissing as exc:
        result = {"status": "needs", "package_set": "convert", "message": str(exc)}
    except USER_ERRORS as exc:
        result = {"status": "error", "message": str(exc)}
    except Exception:  # noqa: BLE001 - a defect of ours: say so, keep the traceback in a file
        log = Path(request["work_dir"]) / "pipeline_error.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        result = {"status": "error", "message": f"platformio-tinyml failed unexpectedly on "
                  f"{request['options'].get(PREFIX + 'model')}; this is a defect of the library, please "
                  f"report it with {log}: {traceback.format_exc().strip().splitlines()[-1]}"}
    result_file = request_file.with_name(RESULT_FILE)
    result_file.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
