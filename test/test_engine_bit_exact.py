"""The generated engine against TFLite Micro's reference kernels, byte for byte, on the host
(CMSIS-NN plain C), under QEMU on a Cortex-M4 (DSP path) and on a Cortex-M55 (Helium path).

One firmware per (board, model) runs 20 random inputs; each board's project folder is reused so
CMSIS-NN is compiled once per board."""

import numpy as np
import pytest

from conftest import shared_model_path
from engine_firmware import (inference_main, kernel_path_printed, parse_outputs, random_cases,
                             reference_outputs, run_firmware, write_engine, write_project)
from op_zoo import op_zoo
from platformio_tinyml.engine.codegen import model_samples
from platformio_tinyml.graph import read_model
from platformio_tinyml.model_array import render_model_source

BOARD_PATHS = {"native": "plain C", "nrf52840": "DSP", "corstone300": "MVE"}
SHARED_MODELS = ["hello_world_int8", "kws_ref_model", "micro_speech_quantized", "pretrainedResnet_quant"]
ZOO_SEEDS = [1, 2]
CASES = 20


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


def model_bytes(name: str) -> bytes:
    if name.startswith("zoo"):
        return op_zoo(int(name[3:]))
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


@pytest.mark.parametrize("board", list(BOARD_PATHS))
@pytest.mark.parametrize("name", SHARED_MODELS + [f"zoo{seed}" for seed in ZOO_SEEDS])
def test_every_output_byte_matches_tflite_micro(board_project, board, name):
    data = model_bytes(name)
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
