"""`pio test` golden suites for real: every shared model and a tiny transformer, on the M4, M7 and
M55 boards under QEMU and on the host, each output byte against TFLite Micro's reference."""

import json
import re

import numpy as np
import pytest

from conftest import MODELS_DIR, REPO, run_pio
from platformio_tinyml.engine.codegen import model_samples
from platformio_tinyml.graph import read_model
from platformio_tinyml.model_array import render_model_source
from tiny_transformer import tiny_transformer

BOARDS = {"m4": "nrf52840", "m7": "stm32f746", "m55": "corstone300", "native": "native"}
SHARED_MODELS = ("kws_ref_model", "pretrainedResnet_quant", "hello_world_int8", "micro_speech_quantized")
GOLDEN_MAIN = '#include "tinyml_golden_test.c"\n'
RUNNER = "from platformio_tinyml.pio_test import CustomTestRunner  # noqa: F401\n"


def golden_project(root, models: dict, boards: dict, extra: str = ""):
    """One PlatformIO project, an environment per (model, board), all sharing one build cache."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "test" / "test_tinyml_golden").mkdir(parents=True, exist_ok=True)
    (root / "test" / "test_tinyml_golden" / "test_main.c").write_text(GOLDEN_MAIN)
    (root / "test" / "test_custom_runner.py").write_text(RUNNER)
    envs = "".join(
        f"\n[env:{model}_{env}]\nboard = {board}\ncustom_tinyml_model = {path}\n"
        for model, path in models.items() for env, board in boards.items()
    )
    (root / "platformio.ini").write_text(
        f"[platformio]\nplatforms_dir = .pio/platforms\nbuild_cache_dir = {root.parent / 'build-cache'}\n\n"
        f"[env]\nplatform = symlink://{REPO / 'platformio_tinyml' / 'platform'}\nlib_deps = symlink://{REPO}\n"
        f"test_framework = custom\n{extra}\n{envs}"
    )
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    (folder / "tiny_transformer.tflite").write_bytes(tiny_transformer(seed=3))
    found = {"tiny_transformer": folder / "tiny_transformer.tflite"}
    if MODELS_DIR.is_dir():
        found.update({name: MODELS_DIR / f"{name}.tflite" for name in SHARED_MODELS})
    return found


def suite_outcomes(output: str) -> dict[str, str]:
    return dict(re.findall(r"^(\w+)\s+test_tinyml_golden\s+(PASSED|FAILED|ERRORED)", output, re.M))


def test_golden_suites_pass_bit_exact_on_every_board(models, tmp_path):
    if len(models) == 1:
        pytest.skip("../shared/models not present (only on the project's machines); tiny transformer only below")
    project = golden_project(tmp_path / "all", models, BOARDS)
    done = run_pio(project, "test", timeout=1500)
    outcomes = suite_outcomes(done.stdout)
    assert outcomes == {f"{m}_{b}": "PASSED" for m in models for b in BOARDS}, done.stdout[-4000:]
    # 8 samples and the stack check per suite; the host has no stack measurement.
    suites, native = len(outcomes), sum(1 for name in outcomes if name.endswith("_native"))
    assert f"{9 * suites} test cases: {native} skipped, {9 * suites - native} succeeded" in done.stdout
    report = json.loads((project / ".pio" / "build" / "kws_ref_model_m55" / "tinyml" / "device_report.json")
                        .read_text())
    assert len(report["instructions_per_sample"]) == 8
    assert report["arena"] > 0 and 0 < report["stack_used"] < report["stack_size"]


def test_tiny_transformer_golden_suite_on_the_m55(models, tmp_path):
    project = golden_project(tmp_path / "tiny", {"tiny_transformer": models["tiny_transformer"]}, {"m55": "corstone300"})
    done = run_pio(project, "test", timeout=600)
    assert suite_outcomes(done.stdout) == {"tiny_transformer_m55": "PASSED"}, done.stdout[-3000:]


def test_a_corrupted_weight_byte_fails_with_a_mismatch_report(tmp_path):
    path = MODELS_DIR / "kws_ref_model.tflite"
    if not path.is_file():
        pytest.skip("../shared/models not present (only on the project's machines)")
    project = golden_project(tmp_path / "corrupt", {"kws": path}, {"m4": "nrf52840"}, "custom_tinyml_trace = yes")
    clean = run_pio(project, "test")
    assert clean.returncode == 0, clean.stdout[-3000:]
    data = path.read_bytes()
    model = read_model(data, "kws")
    graph = model.subgraphs[0]
    # The firmware hashed the output of every op that runs a kernel (the RESHAPE aliases its input),
    # for every sample, and each matched TFLite Micro's tensor.
    clean_report = json.loads((project / ".pio" / "build" / "kws_m4" / "tinyml" / "device_report.json").read_text())
    kernel_ops = [op for op in graph.operators if op.opcode not in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")]
    assert len(kernel_ops) == 12 and clean_report["traced_op_outputs"] == 8 * len(kernel_ops)
    assert clean_report["first_differing_ops"] == [] and "output differs" not in clean.stdout
    conv = next(op for op in graph.operators if op.opcode == "CONV_2D")
    sampled = {offset for offset, _ in model_samples(data)}
    offset = next(o for o in range(model.buffer_offsets[graph.tensors[conv.inputs[1]].buffer_index] + 5, len(data))
                  if o not in sampled)
    corrupted = bytearray(data)
    corrupted[offset] ^= 0x40
    # The hook rewrites the array only when the model changes, so this edit reaches the firmware.
    array = project / ".pio" / "build" / "kws_m4" / "tinyml" / "generated" / "tinyml_model.c"
    array.write_text(render_model_source(bytes(corrupted), "one weight byte corrupted by a test"))
    done = run_pio(project, "test")
    assert done.returncode != 0
    assert re.search(r"golden_sample_\d+: sample \d+, output 0 \(Identity\), element \d+: expected -?\d+, "
                     r"got -?\d+; \d+ of 12 elements differ", done.stdout), done.stdout[-3000:]
    # The corrupted byte is in the first convolution's weights: tracing names that op.
    assert re.search(r"tinyml: sample \d+: the first op whose output differs from TFLite Micro's is op 0 \(CONV_2D\)",
                     done.stdout), done.stdout[-3000:]


def test_profile_is_identical_across_runs(tmp_path):
    path = MODELS_DIR / "kws_ref_model.tflite"
    if not path.is_file():
        pytest.skip("../shared/models not present (only on the project's machines)")
    boards = {"m4": "nrf52840", "m55": "corstone300"}
    project = golden_project(tmp_path / "profile", {"kws": path}, boards, "custom_tinyml_profile = yes")
    reports = []
    for run in range(2):
        done = run_pio(project, "test", *(["--without-building"] if run else []))
        assert done.returncode == 0, done.stdout[-3000:]
        assert re.search(r"^\s+0\s+CONV_2D\s+\[1,49,10,1\] -> \[1,25,5,64\]\s+[\d,]+\s+\d+\.\d%$", done.stdout, re.M)
        reports.append({env: json.loads((project / ".pio" / "build" / f"kws_{env}" / "tinyml" / "device_report.json")
                                        .read_text())["ops"] for env in boards})
    assert reports[0] == reports[1]
    assert [op["type"] for op in reports[0]["m4"]][:2] == ["CONV_2D", "DEPTHWISE_CONV_2D"]


def test_samples_of_the_wrong_shape_stop_the_build(tmp_path):
    path = MODELS_DIR / "kws_ref_model.tflite"
    if not path.is_file():
        pytest.skip("../shared/models not present (only on the project's machines)")
    samples = tmp_path / "wrong.npy"
    np.save(samples, np.zeros((4, 10, 49, 1), dtype=np.float32))
    project = golden_project(tmp_path / "wrong", {"kws": path}, {"native": "native"},
                             f"custom_tinyml_validation = {samples}")
    done = run_pio(project, "test")
    assert done.returncode != 0
    assert f"custom_tinyml_validation = {samples}: samples for input" in done.stderr + done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_outputs_of_every_type_pass_on_the_m55(tmp_path):
    """bool (a comparison, LOGICAL_NOT), int32 (ARG_MAX), int16 and float32 (CAST) outputs beside an
    int8 one, through the user's path: the build's model checks (a CAST's int16 output is no int16x8
    model), the golden data it writes and the device's comparison."""
    from op_zoo import ZooBuilder, add_arg_extremum, add_cast, add_comparison, add_logical, add_table_op

    zoo = ZooBuilder(5)
    add_table_op(zoo, "RELU")
    add_comparison(zoo, "GREATER", tiny_scales=False)
    add_logical(zoo, "LOGICAL_NOT")
    add_arg_extremum(zoo, "ARG_MAX")
    for dtype in ("int16", "float32"):
        add_cast(zoo, dtype)
    model = tmp_path / "typed_outputs.tflite"
    model.write_bytes(zoo.model())
    project = golden_project(tmp_path / "typed", {"typed_outputs": model}, {"m55": "corstone300"})
    done = run_pio(project, "test", timeout=600)
    assert suite_outcomes(done.stdout) == {"typed_outputs_m55": "PASSED"}, done.stdout[-3000:] + done.stderr[-3000:]


def test_an_int16x8_model_passes_on_the_m55(tmp_path):
    """An int16x8 .tflite (int16 inputs and outputs) through the user's path: used as it is, its
    golden data int16, compared on the device."""
    from op_zoo import ZooBuilder, add_fully_connected_s16, add_sigmoid_s16

    zoo = ZooBuilder(6)
    add_fully_connected_s16(zoo, per_channel=True, with_bias=True, activation="RELU")
    add_sigmoid_s16(zoo, "TANH", 3e-4)
    add_sigmoid_s16(zoo, "LOGISTIC", 2.0 ** -12)
    model = tmp_path / "int16x8.tflite"
    model.write_bytes(zoo.model())
    project = golden_project(tmp_path / "int16x8", {"int16x8": model}, {"m55": "corstone300"})
    done = run_pio(project, "test", timeout=600)
    assert suite_outcomes(done.stdout) == {"int16x8_m55": "PASSED"}, done.stdout[-3000:] + done.stderr[-3000:]
