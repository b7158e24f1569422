"""The memory budget check: pure, then for real in a PlatformIO build that does not fit."""

import json
import re

import pytest

from conftest import REPO, run_pio
from platformio_tinyml.budget import BudgetError, MemoryNeeds, check_budget
from platformio_tinyml.engine.tflite_writer import OpSpec, TensorSpec, write_model

NEEDS = MemoryNeeds(arena=300_000, arena_lower_bound=290_000, stack_reserve=8192, model=40_000, tables=512)


def test_fitting_model_passes():
    check_budget("nrf52840", 262144, 1048576, NEEDS.__class__(16_000, 16_000, 8192, 53_936, 4608), None)


def test_ram_overflow_is_a_table():
    with pytest.raises(BudgetError) as caught:
        check_budget("nrf52840", 262144, 1048576, NEEDS, None)
    text = str(caught.value)
    assert "RAM of board 'nrf52840': 262,144 B" in text
    assert "tensor arena" in text and "300,000 B" in text
    assert "total (over by 46,048 B)" in text
    assert "flash of board" not in text
    assert "290,000 B at best" in text


def test_a_models_state_counts_in_ram():
    """An LSTM's or SVDF's state lives outside the arena, in RAM all the time: it has its own row."""
    needs = MemoryNeeds(arena=250_000, arena_lower_bound=250_000, stack_reserve=8192, model=40_000, tables=0,
                        state=6_000)
    with pytest.raises(BudgetError) as caught:
        check_budget("nrf52840", 262144, 1048576, needs, None)
    assert "model state (LSTM, SVDF)" in str(caught.value) and "total (over by 2,048 B)" in str(caught.value)
    check_budget("nrf52840", 262144, 1048576, needs.__class__(250_000, 250_000, 8192, 40_000, 0, state=3_000), None)


def test_unknown_sizes_are_not_checked():
    check_budget("custom", 0, 0, NEEDS, None)


def test_arena_limit_option():
    with pytest.raises(BudgetError, match=r"custom_tinyml_arena_size = 200,000 B, but the schedule needs a 300,000 B"):
        check_budget("corstone300", 0, 0, NEEDS, 200_000)
    check_budget("corstone300", 0, 0, NEEDS, 300_000)


def big_add_model() -> bytes:
    """ADD of two 100,000-byte inputs: an arena of about 300 kB, more than the nRF52840's 256 KiB."""
    shape = (1, 100_000)
    quant = {"scale": (0.05,), "zero_point": (0,)}
    tensors = [TensorSpec(shape, **quant, name="a"), TensorSpec(shape, **quant, name="b"),
               TensorSpec(shape, **quant, name="sum")]
    ops = [OpSpec("ADD", (0, 1), (2,), "AddOptions", {"fused_activation_function": "NONE"})]
    return write_model(tensors, ops, inputs=(0, 1), outputs=(2,))


def test_a_model_too_big_for_the_board_stops_the_build(make_project, tmp_path):
    model = tmp_path / "big.tflite"
    model.write_bytes(big_add_model())
    project = make_project(
        {"src/main.c": "int main(void) { return 0; }\n"},
        {"m4": "nrf52840"},
        f"lib_deps = symlink://{REPO}\ncustom_tinyml_model = {model}",
    )
    done = run_pio(project, "run")
    assert done.returncode != 0
    assert "the model does not fit the board" in done.stderr
    assert "RAM of board 'nrf52840': 262,144 B" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (project / ".pio" / "build" / "m4" / "firmware.elf").exists()


def test_the_golden_suite_takes_the_samples_that_fit(tmp_path):
    """Issue 13's visual wake words model: its golden samples did not fit beside it in the M55's
    flash and the link failed. The suite now takes as many samples as fit beside the model and a
    reserve for code (at least one), says so, and the budget counts them; when not even one fits,
    the budget check stops the build with its table."""
    from platformio_tinyml import pipeline
    from small_models import classifier

    (tmp_path / "m.tflite").write_bytes(classifier())
    model_bytes = len(classifier())  # 4 samples of 8 input and 4 output bytes

    def build(flash: int, golden: bool, test_samples: int) -> list[str]:
        board = {"board_id": "corstone300", "core": "cortex-m55", "ram": 1 << 20, "flash": flash,
                 "flash_what": "flash", "stack_reserve": 8192, "stack_reserve_source": "the board"}
        lines = []
        pipeline.run({"options": {"custom_tinyml_model": "m.tflite", "custom_tinyml_test_samples": str(test_samples)},
                      "project_dir": str(tmp_path), "work_dir": str(tmp_path / "tinyml"), "board": board,
                      "golden": golden}, lines.append)
        return lines

    def golden_samples() -> int:
        text = (tmp_path / "tinyml" / "generated" / "tinyml_golden_data.h").read_text()
        return int(re.search(r"&tinyml_default_model, (\d+), ", text)[1])

    build(1 << 20, golden=False, test_samples=8)
    tables = json.loads((tmp_path / "tinyml" / "engine_report.json").read_text())["constant_table_bytes"]
    # The reserve for code is GOLDEN_CODE_RESERVE, or half the flash the model leaves on a small board.
    assert not any("golden suite takes" in line for line in build(1 << 20, golden=True, test_samples=50))
    assert golden_samples() == 50
    small = model_bytes + tables + 400
    assert not any("golden suite takes" in line for line in build(small, golden=True, test_samples=16))
    assert golden_samples() == 16
    lines = build(small, golden=True, test_samples=50)
    assert golden_samples() == 16  # 200 B of room, 12 B a sample
    assert ("tinyml: the golden suite takes 16 of the 50 samples asked for (custom_tinyml_test_samples): each "
            "needs 12 B of flash for its inputs and expected outputs, and board 'corstone300' has room for 16 "
            "beside the model and 200 B kept for code") in lines
    build(model_bytes + tables + 4, golden=False, test_samples=50)  # `pio run`: no golden data
    with pytest.raises(BudgetError) as caught:
        build(model_bytes + tables + 4, golden=True, test_samples=50)
    text = str(caught.value)
    assert "samples and golden data" in text and "12 B" in text
    assert "custom_tinyml_test_samples" in text
