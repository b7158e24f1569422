"""The pure parts of scripts/bench: parsing the firmware's and PlatformIO's lines, the tables and the
linear-attention crossover."""

import importlib.machinery
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench"
loader = importlib.machinery.SourceFileLoader("bench", str(SCRIPT))
spec = importlib.util.spec_from_loader("bench", loader)
bench = importlib.util.module_from_spec(spec)
loader.exec_module(bench)

RUN_OUTPUT = """predicted/label:
  0/0 1/1 7/9*
int8 accuracy: 198 of 200 = 99.0% (* marks the misses)
instructions per inference: 3437881
arena: 3584 bytes; model: 58904 bytes
"""

BUILD_OUTPUT = """RAM:   [          ]   3.1% (used 16040 bytes from 524288 bytes)
Flash: [==        ]  17.4% (used 91424 bytes from 524288 bytes)
"""


def test_parse_run_reads_the_firmware_lines():
    assert bench.parse_run(RUN_OUTPUT) == {
        "int8_correct": 198, "samples": 200, "int8_accuracy": 0.99, "instructions": 3437881,
        "arena_bytes_printed": 3584, "model_bytes_printed": 58904}


def test_parse_run_without_labels_has_no_accuracy():
    figures = bench.parse_run("predicted:\n 3 4\ninstructions per inference: 12\narena: 1 bytes; model: 2 bytes\n")
    assert "int8_accuracy" not in figures and figures["instructions"] == 12


def test_parse_sizes_reads_ram_and_flash():
    assert bench.parse_sizes(BUILD_OUTPUT) == {"ram_bytes": 16040, "ram_budget": 524288,
                                               "flash_bytes": 91424, "flash_budget": 524288}


def test_first_error_skips_the_summary():
    output = ("Building in release mode\ntinyml: model/x.onnx: runtime 'tinyml' does not implement 1 op(s)\n"
              "*** [.pio/build/m4/x] Error 1\n========= [FAILED] =========\n")
    assert bench.first_error(output).startswith("tinyml: model/x.onnx: runtime 'tinyml' does not implement")


def result(name, board, instructions, arena):
    return {"model": name, "board": board, "status": "ok", "instructions": instructions, "arena_bytes": arena}


def attention_results(linear_instructions):
    softmax = {1: 900, 2: 300, 4: 100}
    rows = []
    for board in bench.ATTENTION_BOARDS:
        for patch in (1, 2, 4):
            rows.append(result(f"digits_transformer_p{patch}", board, softmax[patch], 1000))
            rows.append(result(f"digits_linear_p{patch}", board, linear_instructions[patch], 500))
            rows.append(result(f"digits_windowed_p{patch}", board, 200, 800))
    return rows


def test_crossover_is_the_shortest_length_from_which_linear_stays_cheaper():
    results = attention_results({1: 500, 2: 250, 4: 150})
    assert bench.crossover(results, "M55", "instructions") == 16
    assert bench.crossover(results, "M55", "arena_bytes") == 4


def test_crossover_never():
    results = attention_results({1: 1000, 2: 400, 4: 150})
    assert bench.crossover(results, "M4", "instructions") is None
    assert "never fewer instructions" in bench.crossover_sentence(results)


def test_crossover_unmeasured_when_linear_did_not_build():
    results = attention_results({1: 1, 2: 1, 4: 1})
    results[1] = {"model": "digits_linear_p1", "board": "M55", "status": "not built: DIV"}
    assert bench.crossover(results, "M55", "instructions") == "unmeasured"
    assert "could not be measured" in bench.crossover_sentence(results)


def test_attention_table_has_a_row_per_board_and_attention():
    table = bench.attention_table(attention_results({1: 500, 2: 250, 4: 150})).splitlines()
    assert len(table) == 2 + 2 * 3
    assert table[0].startswith("| board | attention | 64 tokens (p1) | 16 tokens (p2) | 4 tokens (p4)")
    assert "| M55 | linear | 500 / 500 | 250 / 500 | 150 / 500 |" in table


def test_first_error_joins_a_message_that_goes_on_below():
    output = "tinyml: Error: the engine cannot run this model:\n  DIV: used once (operator 3)\n"
    assert bench.first_error(output) == "tinyml: Error: the engine cannot run this model: DIV: used once (operator 3)"


ENGINE_SCRIPT = SCRIPT.with_name("bench_engine")
engine_loader = importlib.machinery.SourceFileLoader("bench_engine", str(ENGINE_SCRIPT))
bench_engine = importlib.util.module_from_spec(importlib.util.spec_from_loader("bench_engine", engine_loader))
engine_loader.exec_module(bench_engine)

BASELINE_EXCERPT = """Instructions per inference:

| model (MACs) | reference kernels, M4F | CMSIS-NN, M4F (`mps2-an386`) | CMSIS-NN MVE, M55 (`mps3-an547`) |
|---|---|---|---|
| MLPerf IC ResNet-8 (12.5 M) | 824.1 M (65.9) | 29.86 M (2.39) | 4.91 M (0.39) |
| MLPerf KWS (2.66 M) | 198.6 M (74.8) | 7.70 M (2.90) | 1.82 M (0.68) |

Re-measured:

| model | M4F (`mps2-an386`) | M55 (`mps3-an547`) | arena M4F / M55 |
|---|---|---|---|
| MLPerf KWS | 7,696,960 | 1,812,688 | 22,820 / 27,348 |
"""


def test_baseline_instructions_prefers_exact_figures_and_skips_the_reference_kernels():
    assert bench_engine.baseline_instructions(BASELINE_EXCERPT) == {
        "MLPerf IC ResNet-8": {"M4F": 29_860_000, "M55": 4_910_000},
        "MLPerf KWS": {"M4F": 7_696_960, "M55": 1_812_688}}


def test_comparison_rows_give_the_ratio_per_core_and_leave_out_models_the_note_lacks():
    results = {(stem, board): {"instructions": n} for stem in ("kws_ref_model", "mine")
               for board, n in zip(bench_engine.BOARDS, (3_848_480, 9, 906_344))}
    rows = bench_engine.comparison_rows(results, ["kws_ref_model", "mine"],
                                        bench_engine.baseline_instructions(BASELINE_EXCERPT))
    assert rows == ["| kws_ref_model | 3,848,480 | 7,696,960 | 0.50 | 906,344 | 1,812,688 | 0.50 |"]
