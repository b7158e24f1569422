"""Board manifests and the linker scripts generated from them."""

import pytest

from platformio_tinyml.boards import BoardError, all_board_ids, board_from_manifest, load_board
from platformio_tinyml.linker_script import render_linker_script

CORTEX_M_BOARDS = ["stm32f405", "nrf52840", "stm32f746", "corstone300"]


def test_every_board_named_by_the_product_is_present():
    assert set(all_board_ids()) == set(CORTEX_M_BOARDS) | {"esp32s3", "native"}


@pytest.mark.parametrize(
    "board_id, machine, flash, ram",
    [
        ("stm32f405", "netduinoplus2", 1024 * 1024, 192 * 1024),
        ("nrf52840", "mps2-an386", 1024 * 1024, 256 * 1024),
        ("stm32f746", "mps2-an500", 1024 * 1024, 320 * 1024),
        ("corstone300", "mps3-an547", 512 * 1024, 512 * 1024),
    ],
)
def test_cortex_m_boards_have_their_budget_and_emulator(board_id, machine, flash, ram):
    board = load_board(board_id)
    assert board.qemu.machine == machine
    assert (board.flash.size, board.ram.size) == (flash, ram)


def test_nrf52840_names_its_renode_machine():
    assert load_board("nrf52840").renode.platform == "platforms/cpus/nrf52840.repl"


def test_cpu_flags_select_fpu_and_helium():
    assert load_board("nrf52840").compiler_cpu_flags() == [
        "-mthumb", "-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard",
    ]
    assert "-mcpu=cortex-m55" in load_board("corstone300").compiler_cpu_flags()
    assert load_board("native").compiler_cpu_flags() == []


def test_linker_script_enforces_the_board_budget_not_the_emulators():
    script = render_linker_script(load_board("nrf52840"))
    # mps2-an386 has 4 MiB of RAM; the nRF52840 budget is 256 KiB and the link must respect that.
    assert "RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 262144" in script
    assert "FLASH (rx)  : ORIGIN = 0x00000000, LENGTH = 1048576" in script
    assert "__stack_size__ = 8192;" in script


def test_stm32_flash_is_at_its_real_address():
    assert "ORIGIN = 0x08000000" in render_linker_script(load_board("stm32f405"))


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(BoardError, match="unknown board 'nrf9160'.*corstone300"):
        load_board("nrf9160")


def test_manifest_without_memory_map_is_refused(tmp_path):
    manifest = {"build": {"cpu": "cortex-m4", "f_cpu": "1L"}}
    with pytest.raises(BoardError, match="needs tinyml.memory.flash and tinyml.memory.ram"):
        board_from_manifest("custom", manifest, tmp_path / "custom.json")
