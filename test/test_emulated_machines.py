"""Which QEMU machine runs a board's test image, from its manifest alone (pure)."""

import json
from pathlib import Path

import pytest

from platformio_tinyml.boards import MemoryRegion, board_from_record, board_to_record, load_board
from platformio_tinyml.emulated_machines import MACHINES, NoEmulatedMachine, image_memory, machine_for_board
from platformio_tinyml.linker_script import render_linker_script
from platformio_tinyml.test_image import emulated_board, read_record, write_record


@pytest.mark.parametrize("mcu, core, machine", [
    ("stm32f401ret6", "cortex-m4", "netduinoplus2"),   # the STM32F4 machine: the real memory map
    ("stm32f407vet6", "cortex-m4", "netduinoplus2"),
    ("nrf52840", "cortex-m4", "mps2-an386"),
    ("stm32l476rgt6", "cortex-m4", "mps2-an386"),
    ("stm32f746zgt6", "cortex-m7", "mps2-an500"),
    ("stm32l552zet6", "cortex-m33", "mps2-an505"),
    ("stm32f030r8t6", "cortex-m0", "mps2-an385"),      # Armv6-M code runs unchanged on the M3
    ("stm32g071rbt6", "cortex-m0plus", "mps2-an385"),
    ("stm32f103c8t6", "cortex-m3", "mps2-an385"),
    ("sse300", "cortex-m55", "mps3-an547"),
])
def test_machine_from_mcu_and_core(mcu, core, machine):
    assert machine_for_board("b", mcu, core).name == machine


def test_an_unknown_core_names_the_board_its_mcu_and_the_option():
    with pytest.raises(NoEmulatedMachine) as refused:
        machine_for_board("acme85", "acme85", "cortex-m85")
    message = str(refused.value)
    assert message.startswith("board 'acme85' (MCU acme85, core cortex-m85) has no emulator known")
    assert "custom_tinyml_qemu_machine" in message and "cortex-m55" in message


def test_the_option_picks_a_machine_of_the_same_core_only():
    assert machine_for_board("nucleo_f401re", "stm32f401ret6", "cortex-m4", "mps2-an386").name == "mps2-an386"
    assert machine_for_board("nucleo_f030r8", "stm32f030r8t6", "cortex-m0", "mps2-an385").name == "mps2-an385"
    with pytest.raises(NoEmulatedMachine, match="that machine is a cortex-m4, but board 'x' is a cortex-m7"):
        machine_for_board("x", "stm32f746", "cortex-m7", "mps2-an386")
    with pytest.raises(NoEmulatedMachine, match="not a machine platformio-tinyml runs; write one of mps2-an385"):
        machine_for_board("x", "stm32f746", "cortex-m7", "lm3s6965evb")


def test_the_image_has_the_machines_addresses_and_the_boards_sizes():
    netduino = MACHINES["netduinoplus2"]
    assert image_memory(netduino, 512 * 1024, 96 * 1024) == (MemoryRegion(0x08000000, 512 * 1024),
                                                             MemoryRegion(0x20000000, 96 * 1024))
    # A board larger than the machine: the machine's memory is all there is.
    assert image_memory(netduino, 2 << 20, 256 * 1024) == (MemoryRegion(0x08000000, 1 << 20),
                                                           MemoryRegion(0x20000000, 192 * 1024))
    # STM32F7 flash is at 0x08000000, but mps2-an500's memory starts at 0: the image is linked there.
    board = emulated_board("nucleo_f746zg", "ST Nucleo F746ZG", "stm32f746zgt6", "cortex-m7", 320 * 1024, 1 << 20,
                           8192, None)
    script = render_linker_script(board)
    assert "FLASH (rx)  : ORIGIN = 0x00000000, LENGTH = 1048576" in script
    assert "RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 327680" in script
    assert board.cpu_clock_hz == 25_000_000 and board.qemu.machine == "mps2-an500"


def test_the_record_gives_the_runner_the_same_board(tmp_path):
    for board in (load_board("corstone300"), load_board("native"),
                  emulated_board("nrf52840_dk", "Nordic nRF52840-DK", "nrf52840", "cortex-m4", 256 * 1024, 1 << 20,
                                 8192, None)):
        assert board_from_record(json.loads(json.dumps(board_to_record(board)))) == board
        write_record(tmp_path, Path("/p/firmware.elf"), board)
        assert read_record(tmp_path) == (Path("/p/firmware.elf"), board)
    assert read_record(tmp_path / "nothing") is None
