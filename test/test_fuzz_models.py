"""The seeded model fuzzer (test/model_fuzzer.py) in the test suite: a few hundred mutants of the
shared models and of int8 models the tests make, through the build's host path; the accepted ones
under AddressSanitizer and UBSan and bit-exact with TFLite Micro. `scripts/fuzz_models` runs 10,000.

It has found, and the suite keeps: a golden-data traceback for an input whose batch is not 1, and
FULLY_CONNECTED and SOFTMAX outputs of shapes TFLite Micro reads differently from the engine."""

import os
from pathlib import Path

import pytest

from conftest import MODELS_DIR
from model_fuzzer import base_models, build_sanitized_libraries, fuzz, mutate, sanitized_run
from op_zoo import op_zoo
from platformio_tinyml.engine import generate_engine
from platformio_tinyml.graph import read_model
from platformio_tinyml.model_array import write_model_sources


def test_mutants_are_seeded_and_of_both_kinds():
    models = base_models(None)
    name = "op_zoo_1.tflite"
    first = [mutate(name, models[name], seed) for seed in range(40)]
    assert first == [mutate(name, models[name], seed) for seed in range(40)]
    kinds = {what.split()[0] for _, what in first}
    assert "bytes" in kinds and {"tensor", "operator"} <= kinds
    assert len({data for data, _ in first}) > 30


def test_mutated_models_get_one_message_or_firmware_bit_exact_with_tflite_micro(request, figure):
    count = request.config.getoption("--fuzz-mutants")
    keep = request.config.getoption("--fuzz-keep")
    shared = MODELS_DIR if MODELS_DIR.is_dir() else None
    report = fuzz(count, shared, jobs=max(2, min(4, os.cpu_count() or 2)), keep=Path(keep).resolve() if keep else None)
    figure(report.summary() + ("" if shared else " (../shared/models absent: the tests' own models only)"))
    assert not report.findings, "\n".join(finding[:2000] for finding in report.findings[:20])
    kinds = {outcome.kind for outcome in report.outcomes}
    assert {"clean", "accepted"} <= kinds and report.checks["bit-exact"] > 0  # both sides were reached


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory):
    return build_sanitized_libraries(tmp_path_factory.mktemp("sanitized"), jobs=2)


def _host_sources(data: bytes, folder: Path) -> Path:
    model = read_model(data, "model.tflite")
    generate_engine(model, data, folder, "host")
    write_model_sources(folder, data, model, "test")
    return folder


def test_the_sanitized_build_is_bit_exact_on_a_good_model(sanitized, tmp_path):
    data = op_zoo(1)
    assert sanitized_run(sanitized, _host_sources(data, tmp_path), data) == ("bit-exact", "3 cases")


def test_the_sanitized_build_reports_undefined_behaviour_in_the_engine(sanitized, tmp_path):
    """The checks are really on for the generated code: a signed overflow added to it is reported."""
    data = op_zoo(1)
    sources = _host_sources(data, tmp_path)
    with (sources / "tinyml_engine.c").open("a") as engine:
        engine.write("\n__attribute__((constructor)) static void overflow(void) "
                     "{ volatile int32_t big = INT32_MAX; big = big + 1; }\n")
    verdict, detail = sanitized_run(sanitized, sources, data)
    assert verdict == "sanitizer" and "signed integer overflow" in detail and "tinyml_engine.c" in detail


def test_the_sanitized_build_reports_outputs_unlike_tflite_micros(sanitized, tmp_path):
    """Firmware of one model compared with the reference of another (one weight changed) differs."""
    data = op_zoo(1)
    sources = _host_sources(data, tmp_path)
    other = bytearray(data)
    model = read_model(data, "model.tflite")
    weights = next(t for t in model.subgraphs[0].tensors if t.data is not None and t.dtype == "int8")
    offset = model.buffer_offsets[weights.buffer_index]
    other[offset] = (other[offset] + 100) % 256
    verdict, detail = sanitized_run(sanitized, sources, bytes(other))
    assert verdict == "mismatch", detail


def test_quantizing_floats_far_out_of_range_is_defined_and_like_tflite_micro(sanitized, tmp_path):
    """The fuzzer's digits_linear_p2.tflite#8230: QUANTIZE of a float island whose quotient x / scale
    left int32's range was undefined behaviour in our kernel (and in TFLite Micro's, whose host build
    gives INT32_MIN and wraps the zero point's addition: the engine now does that, defined)."""
    from tflite_writer import OpSpec, TensorSpec, write_model

    tensors = [TensorSpec((1, 16), "int8", name="x", scale=(1.0,), zero_point=(5,)),
               TensorSpec((1, 16), "float32", name="real"),
               TensorSpec((1, 16), "int8", name="y", scale=(1e-12,), zero_point=(-20,))]
    data = write_model(tensors, [OpSpec("DEQUANTIZE", (0,), (1,)), OpSpec("QUANTIZE", (1,), (2,))], [0], [2])
    assert sanitized_run(sanitized, _host_sources(data, tmp_path), data) == ("bit-exact", "3 cases")
