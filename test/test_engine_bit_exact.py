"""The generated engine against TFLite Micro's reference kernels, byte for byte, on the host
(CMSIS-NN plain C), under QEMU on a Cortex-M4 (DSP path) and on a Cortex-M55 (Helium path).

One firmware per (board, model) runs 20 random inputs; each board's project folder is reused so
CMSIS-NN is compiled once per board. Models: the shared ones, random op zoos of the CMSIS-NN ops
(zoo*), of our own kernels (tzoo*) and of the ops added for coverage (mzoo*), a tiny ViT-style transformer and its linear-attention
variant built without TensorFlow, and a Keras MultiHeadAttention + LayerNormalization model
converted by the package's own pipeline (needs TensorFlow)."""

import os
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, shared_model_path
from model_fixtures import conversion_cache, float_models, requires_tensorflow
from op_zoo import more_ops_zoo, op_zoo, transformer_op_zoo
from tiny_transformer import tiny_transformer
from platformio_tinyml.engine_firmware import (inference_main, kernel_path_printed, parse_outputs, random_cases,
                                               reference_outputs, run_firmware, write_engine, write_project)
from platformio_tinyml.engine.codegen import model_samples
from platformio_tinyml.graph import read_model
from platformio_tinyml.model_array import render_model_source

BOARD_PATHS = {"native": "plain C", "nrf52840": "DSP", "corstone300": "MVE"}
SHARED_MODELS = ["hello_world_int8", "kws_ref_model", "micro_speech_quantized", "pretrainedResnet_quant"]
ZOO_SEEDS = [1, 2]
TRANSFORMER_ZOO_SEEDS = [1, 2]
MORE_OPS_ZOO_SEEDS = [1]
CASES = 20
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def board_project(tmp_path_factory):
    cache = tmp_path_factory.mktemp("pio-build-cache")
    projects = {}

    def project(board: str):
        if board not in projects:
            projects[board] = tmp_path_factory.mktemp(f"engine-{board}")
            write_project(projects[board], board, cache)
        return projects[board]

    return project


def _converted(tmp_path_factory, model_file: str, calibration: str, models: Path | None = None, **options) -> bytes:
    """A float model of the conversion tests (or of `models`, a folder) made int8 or int16x8 by
    prepare_int8_model (the build hook's path; cached for the session)."""
    from platformio_tinyml.pipeline import ModelJob, prepare_int8_model
    from platformio_tinyml.options import parse_options

    base = tmp_path_factory.getbasetemp()
    models = models or float_models(base)
    work = tmp_path_factory.mktemp(model_file.split(".")[0])
    saved = os.environ.get("PLATFORMIO_TINYML_CACHE_DIR")
    os.environ["PLATFORMIO_TINYML_CACHE_DIR"] = str(conversion_cache(base))
    try:
        raw = {"custom_tinyml_model": str(models / model_file), "custom_tinyml_calibration": str(models / calibration),
               **{f"custom_tinyml_{key}": value for key, value in options.items()}}
        result = prepare_int8_model(ModelJob(parse_options(raw, work), work, work / "build"), lambda line: None)
    finally:
        if saved is None:
            os.environ.pop("PLATFORMIO_TINYML_CACHE_DIR", None)
        else:
            os.environ["PLATFORMIO_TINYML_CACHE_DIR"] = saved
    return result.data


@pytest.fixture(scope="session")
def keras_transformer(tmp_path_factory) -> bytes:
    """The conversion tests' Keras MultiHeadAttention + LayerNormalization model (batch 1)."""
    # untrained: its int8 ties its float on 31 of 32 samples
    return _converted(tmp_path_factory, "transformer.keras", "transformer_calibration.npy", min_agreement="90")


@pytest.fixture(scope="session")
def keras_int16x8(tmp_path_factory) -> bytes:
    """Dense, tanh and sigmoid layers converted with custom_tinyml_quantization = int16x8."""
    return _converted(tmp_path_factory, "dense_tanh.keras", "dense_tanh_calibration.npy", quantization="int16x8")


@pytest.fixture(scope="session")
def digits_int16x8(tmp_path_factory) -> bytes:
    """The digits transformer example (ONNX) converted with custom_tinyml_quantization = int16x8."""
    return _converted(tmp_path_factory, "digits_transformer_p2.onnx", "calibration.npz",
                      EXAMPLES / "digits_transformer" / "model", quantization="int16x8")


@pytest.fixture(scope="session")
def sensor_int16x8(tmp_path_factory) -> bytes:
    """The sensor model example (1-D CNN and a transformer layer, ONNX) converted with int16x8."""
    return _converted(tmp_path_factory, "sensor_anomaly.onnx", "calibration.npz",
                      EXAMPLES / "sensor_anomaly" / "model", quantization="int16x8")


@pytest.fixture(scope="session")
def keras_lstm(tmp_path_factory) -> bytes:
    """Two stacked Keras 3 LSTM layers, converted at build time into UNIDIRECTIONAL_SEQUENCE_LSTM ops."""
    return _converted(tmp_path_factory, "lstm.keras", "lstm_calibration.npy")


def model_bytes(name: str, request=None) -> bytes:
    if name.startswith("zoo"):
        return op_zoo(int(name[3:]))
    if name.startswith("tzoo"):
        return transformer_op_zoo(int(name[4:]))
    if name.startswith("mzoo"):
        return more_ops_zoo(int(name[4:]))
    if name == "tiny_transformer":
        return tiny_transformer(0)
    if name == "linear_attention":
        return tiny_transformer(0, linear_attention=True)
    if name in CONVERTED:
        return request.getfixturevalue(name)
    return shared_model_path(f"{name}.tflite").read_bytes()


def mismatches(model, expected, printed) -> list[str]:
    graph = model.subgraphs[0]
    found = []
    for case, outputs in enumerate(expected):
        for number, reference in enumerate(outputs):
            got = printed.get((case, number))
            if got is None or not np.array_equal(got, reference):
                producer = next(op for op in graph.operators if graph.outputs[number] in op.outputs)
                found.append(f"case {case} output {number} ({producer.opcode} op {producer.index}): "
                             f"got {None if got is None else got[:8].tolist()}, TFLM {reference[:8].tolist()}")
    return found


CONVERTED = ("keras_transformer", "keras_lstm", "keras_int16x8", "digits_int16x8", "sensor_int16x8")
KERAS = [pytest.param(name, marks=requires_tensorflow) for name in CONVERTED]
MODELS = (SHARED_MODELS + [f"zoo{seed}" for seed in ZOO_SEEDS] + [f"tzoo{seed}" for seed in TRANSFORMER_ZOO_SEEDS]
          + [f"mzoo{seed}" for seed in MORE_OPS_ZOO_SEEDS]
          + ["tiny_transformer", "linear_attention", *KERAS])


@pytest.mark.parametrize("board", list(BOARD_PATHS))
@pytest.mark.parametrize("name", MODELS)
def test_every_output_byte_matches_tflite_micro(board_project, board, name, request):
    data = model_bytes(name, request)
    model = read_model(data, name)
    cases = random_cases(model, CASES, seed=7)
    project = board_project(board)
    write_engine(project, board, data, inference_main(cases), source=name)
    stdout = run_firmware(project, board)
    assert kernel_path_printed(stdout) == BOARD_PATHS[board]
    expected = reference_outputs(data, cases)
    problems = mismatches(model, expected, parse_outputs(stdout))
    assert not problems, f"{len(problems)} outputs differ on {board}:\n" + "\n".join(problems[:10])
    # The comparison means something: the outputs are not one constant pattern.
    assert len({expected_case[0].tobytes() for expected_case in expected}) > 1


def test_lstm_and_svdf_state_is_kept_between_inferences_until_reset(board_project):
    """As in TFLite Micro, an LSTM's hidden and cell state and an SVDF's memory carry over to the next
    inference: five cases in a row on the state each leaves match TFLite Micro run the same way (and
    differ from runs from a reset state), then tinyml_reset_state() starts again."""
    data = more_ops_zoo(MORE_OPS_ZOO_SEEDS[0])
    model = read_model(data)
    graph = model.subgraphs[0]
    stateful = [graph.outputs.index(op.outputs[0]) for op in graph.operators
                if op.opcode in ("UNIDIRECTIONAL_SEQUENCE_LSTM", "SVDF")]
    cases = random_cases(model, 5, seed=3)
    project = board_project("native")
    write_engine(project, "native", data, inference_main(cases + cases[:1], keep_state_before=(1, 2, 3, 4)))
    printed = parse_outputs(run_firmware(project, "native"))
    in_a_row = reference_outputs(data, cases, keep_state=True)
    each_reset = reference_outputs(data, cases)
    assert len(stateful) == 7
    for output in stateful:
        for case in range(5):
            assert np.array_equal(printed[(case, output)], in_a_row[case][output]), (case, output)
        assert any(not np.array_equal(in_a_row[case][output], each_reset[case][output]) for case in range(1, 5))
        assert np.array_equal(printed[(5, output)], each_reset[0][output])


def test_int8_div_rounds_where_tflite_micro_shifts_past_31_bits(board_project):
    """With everyday scales TFLite Micro's int8 DIV shifts a small numerator's quotient right by more
    than 31 bits (undefined in C; its host build answers 127 for 1 / 127). The engine gives the
    quotient rounded: 0.1 * 1 / (0.1 * 127) = 0.008, 0 at scale 0.2."""
    from tflite_writer import OpSpec, TensorSpec, write_model

    tenth = dict(scale=(0.1,), zero_point=(0,))
    tensors = [TensorSpec((4,), **tenth, name="a"), TensorSpec((4,), **tenth, name="nonzero_b"),
               TensorSpec((4,), scale=(0.2,), zero_point=(0,), name="y")]
    data = write_model(tensors, [OpSpec("DIV", (0, 1), (2,), "DivOptions", {"fused_activation_function": "NONE"})],
                       (0, 1), (2,))
    numerators, divisors = np.array([1, 2, -3, 100], np.int8), np.array([127, 127, 120, 120], np.int8)
    project = board_project("native")
    write_engine(project, "native", data, inference_main([[numerators, divisors]]), source="div")
    printed = parse_outputs(run_firmware(project, "native"))
    exact = numerators * 0.1 / (divisors * 0.1) / 0.2
    assert printed[(0, 0)].tolist() == np.round(exact).astype(int).tolist() == [0, 0, 0, 4]


def first_conv_weight_offset(model) -> int:
    graph = model.subgraphs[0]
    conv = next(op for op in graph.operators if op.opcode == "CONV_2D")
    weights = graph.tensors[conv.inputs[1]]
    return model.buffer_offsets[weights.buffer_index] + 5


def test_a_flipped_weight_byte_is_seen_as_a_mismatch(board_project):
    """The comparison above can fail: one changed weight byte, not among the bytes tinyml_init()
    samples, changes the outputs."""
    data = model_bytes("kws_ref_model")
    model = read_model(data, "kws")
    cases = random_cases(model, CASES, seed=7)
    project = board_project("native")
    write_engine(project, "native", data, inference_main(cases), source="kws")
    offset = first_conv_weight_offset(model)
    flipped = bytearray(data)
    flipped[offset] ^= 0x40
    (project / "src" / "tinyml_model.c").write_text(render_model_source(bytes(flipped), "flipped weight"))
    stdout = run_firmware(project, "native")
    assert mismatches(model, reference_outputs(data, cases), parse_outputs(stdout))


def test_another_model_array_is_refused_at_init(board_project):
    data = model_bytes("hello_world_int8")
    model = read_model(data, "hello")
    project = board_project("native")
    write_engine(project, "native", data, inference_main(random_cases(model, 1, seed=1)), source="hello")
    changed = bytearray(data)
    sampled_offset, _ = model_samples(data)[3]
    changed[sampled_offset] ^= 0xFF
    (project / "src" / "tinyml_model.c").write_text(render_model_source(bytes(changed), "changed"))
    with pytest.raises(RuntimeError, match="INIT FAILED 3"):
        run_firmware(project, "native")


API_BEFORE_INIT = """#include <stdio.h>
#include "tinyml.h"
#include "tinyml_engine.h"
int main(void)
{
    printf("before %d %d\\n", (int)tinyml_invoke(), tinyml_input(0) == NULL);
    printf("init %d\\n", (int)tinyml_init());
    printf("after %d %d %d %d\\n", (int)tinyml_invoke(), tinyml_input(0) != NULL, tinyml_input(1) == NULL,
           tinyml_output_info(1) == NULL);
    printf("arena %d %d\\n", (int)tinyml_arena_size(), (int)TINYML_ARENA_SIZE);
    return 0;
}
"""


def test_invoke_before_init_is_refused_and_the_api_reports_the_model(board_project):
    data = model_bytes("hello_world_int8")
    project = board_project("native")
    _, report = write_engine(project, "native", data, API_BEFORE_INIT, source="hello")
    stdout = run_firmware(project, "native")
    assert "before 1 1" in stdout
    assert "init 0" in stdout
    assert "after 0 1 1 1" in stdout
    assert f"arena {report.arena_bytes} {report.arena_bytes}" in stdout


PROFILE_MAIN = """#include <stdio.h>
#include <string.h>
#include "tinyml.h"
#include "tinyml_board.h"

/* newlib-nano printf has no %llu: counts are printed as unsigned long (they stay below 2**32) */
static const int8_t input0[] = {@INPUT@};
static uint32_t checksums[2][64];
static int traced[2];
static int run_number;
static uint64_t in_hook[2]; /* instructions spent in the hook itself, not the ops' */

/* FNV-1a over each op's output, per run */
void tinyml_trace_op(int op, const void *output, size_t bytes)
{
    uint64_t entered = tinyml_instructions();
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < bytes; i++) {
        hash = (hash ^ ((const uint8_t *)output)[i]) * 16777619u;
    }
    if (op < 64) {
        checksums[run_number][op] = hash;
    }
    traced[run_number]++;
    in_hook[run_number] += tinyml_instructions() - entered;
}

int main(void)
{
    if (tinyml_init() != TINYML_OK) {
        return 1;
    }
    for (run_number = 0; run_number < 2; run_number++) {
        memcpy(tinyml_input(0), input0, sizeof input0); /* the arena reuses the input's bytes */
        uint64_t start = tinyml_instructions();
        if (tinyml_invoke() != TINYML_OK) {
            return 2;
        }
        uint64_t total = tinyml_instructions() - start - in_hook[run_number];
        uint64_t sum = 0;
        for (int op = 0; op < tinyml_op_count(); op++) {
            printf("RUN %d OP %d %d %s %s %lu %08lx\\n", run_number, op, tinyml_op_model_index(op),
                   tinyml_op_name(op), tinyml_op_shapes(op), (unsigned long)tinyml_op_instructions(op),
                   (unsigned long)checksums[run_number][op]);
            sum += tinyml_op_instructions(op);
        }
        printf("RUN %d TOTAL %lu SUM %lu TRACED %d\\n", run_number, (unsigned long)total,
               (unsigned long)sum, traced[run_number]);
    }
    const int8_t *out = tinyml_output(0);
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < tinyml_output_info(0)->bytes; i++) {
        hash = (hash ^ (uint8_t)out[i]) * 16777619u;
    }
    printf("OUTPUT %08lx\\n", (unsigned long)hash);
    printf("BAD %p %s\\n", (void *)tinyml_op_name(tinyml_op_count()), tinyml_op_name(-1) == NULL ? "null" : "?");
    return 0;
}
"""


@pytest.mark.parametrize("board", ["nrf52840", "native"])
def test_profile_and_trace_hooks(tmp_path_factory, board):
    """-DTINYML_PROFILE: per-op instructions that add up to the invoke (less the trace hook's own
    instructions; the counter ticks every 40) and repeat exactly; -DTINYML_TRACE: each op's output
    handed to the hook, in order, the last one being the model's output."""
    import re

    data = model_bytes("kws_ref_model")
    model = read_model(data, "kws")
    (case,) = random_cases(model, 1, seed=3)
    project = tmp_path_factory.mktemp(f"profile-{board}")
    write_project(project, board, tmp_path_factory.getbasetemp() / "profile-build-cache",
                  src_flags="-DTINYML_PROFILE -DTINYML_TRACE")
    main_c = PROFILE_MAIN.replace("@INPUT@", ", ".join(str(int(v)) for v in case[0].reshape(-1)))
    _, report = write_engine(project, board, data, main_c, source="kws")
    stdout = run_firmware(project, board)
    ops = {run: re.findall(rf"^RUN {run} OP (\d+) (\d+) (\S+) (.+) (\d+) ([0-9a-f]{{8}})$", stdout, re.MULTILINE)
           for run in (0, 1)}
    calls = len(report.kernels)
    assert [int(op[0]) for op in ops[1]] == list(range(calls))
    assert ops[1][0][2:4] == ("CONV_2D", "[1,49,10,1] -> [1,25,5,64]")
    assert ops[1][-1][2] == "SOFTMAX"
    # Within one execution the op outputs repeat exactly; instructions within one counter tick (40),
    # since the counter's phase at each op's start differs between the two invokes.
    assert [op[:4] + op[5:] for op in ops[0]] == [op[:4] + op[5:] for op in ops[1]]
    assert all(abs(int(a[4]) - int(b[4])) <= 40 for a, b in zip(ops[0], ops[1]))
    # A second execution of the same firmware: identical numbers.
    def printed(text):
        return re.findall(r"^(?:RUN|OUTPUT) .*$", text, re.MULTILINE)

    assert printed(run_firmware(project, board)) == printed(stdout)
    totals = {int(m[1]): (int(m[2]), int(m[3]), int(m[4]))
              for m in re.finditer(r"^RUN (\d) TOTAL (\d+) SUM (\d+) TRACED (\d+)$", stdout, re.MULTILINE)}
    total, summed, traced = totals[1]
    assert traced == calls
    assert ops[1][-1][5] == re.search(r"^OUTPUT ([0-9a-f]{8})$", stdout, re.MULTILINE)[1]  # last op wrote the output
    assert "BAD (nil) null" in stdout or "BAD 0 null" in stdout or "BAD 0x0 null" in stdout
    if board == "native":
        assert total == summed == 0
    else:
        print(f"\nFIGURE profile {board}: invoke {total} instructions, ops sum {summed}")
        assert 0 < summed <= total + 80 * calls and total <= summed * 1.005 + 80 * calls
