"""The firmware `pio test` runs: what the build hook adds to a test build, and the record that tells
the test runner which program to run where.

On the platformio-tinyml platform's own boards the platform builds emulator images itself. On a
Cortex-M board of another platform (`ststm32`, `nordicnrf52`, ...) the test build becomes an image
for the emulated machine with the same core (emulated_machines.py): the library's start-up code,
a linker script for that machine's memory map with the board's sizes, semihosting stdio and the
machine's clock for the instruction counter. Only test builds change; `pio run` firmware does not.
"""

from __future__ import annotations

import json
from pathlib import Path

from .boards import Board, QemuMachine, board_from_record, board_to_record
from .emulated_machines import OPTION, NoEmulatedMachine, image_memory, machine_for_board
from .generated_files import TEST_IMAGE_FILE
from .linker_script import render_linker_script

PACKAGE_DIR = Path(__file__).resolve().parent
STARTUP_DIR = PACKAGE_DIR / "platform" / "support"
RUNTIME_INCLUDE = PACKAGE_DIR / "runtime" / "include"
OWN_PLATFORM = "tinyml"
# The `pio test` suite (a folder of test/) that runs the golden test. Its one source file holds
# `#include "tinyml_golden_test.c"`; the samples and expected outputs are generated.
GOLDEN_SUITE = "test_tinyml_golden"


class TestImageError(ValueError):
    """The board cannot be tested under emulation; the message says why and what to do."""


def emulated_board(board_id: str, name: str, mcu: str, core: str, ram: int, flash: int, stack_reserve: int,
                   requested_machine: str | None) -> Board:
    """The board as the emulator runs it: the machine's core, memory map and clock."""
    try:
        machine = machine_for_board(board_id, mcu, core, requested_machine)
    except NoEmulatedMachine as exc:
        raise TestImageError(str(exc)) from None
    flash_region, ram_region = image_memory(machine, flash, ram)
    return Board(id=board_id, name=f"{name}, emulated as QEMU {machine.name}", cpu=core, fpu=None, float_abi=None,
                 cpu_clock_hz=machine.systick_hz, flash=flash_region, ram=ram_region, stack_size=stack_reserve,
                 qemu=QemuMachine("arm", machine.name), renode=None, toolchain_prefix="arm-none-eabi-")


def configure_test_image(env, default_env, profile, options, work_dir: Path) -> None:
    """Turns this test build into an image for the emulated machine (Cortex-M boards of other
    platforms); nothing to do on the host or on the library's own platform."""
    if env.PioPlatform().name == OWN_PLATFORM or profile.core == "host":
        return
    config = env.BoardConfig()
    board = emulated_board(config.id, config.get("name", config.id), config.get("build.mcu", ""), profile.core,
                           profile.ram, profile.flash, profile.stack_reserve,
                           env.GetProjectOption(OPTION, "") or None)
    frameworks = default_env.get("PIOFRAMEWORK") or []
    if frameworks:
        raise TestImageError(
            f"board '{config.id}': `pio test` under emulation builds a bare test image with the library's own "
            f"start-up code, and framework {', '.join(frameworks)} brings its own. Run the tests in an "
            f"environment without `framework =` for the same board (the model code does not need one), or "
            f"on the hardware.")
    script = work_dir / "test_image.ld"
    _write_if_changed(script, render_linker_script(board))
    default_env.Replace(LDSCRIPT_PATH=str(script))
    # Semihosting stdio (rdimon), with newlib-nano. A bare builder's own specs would name nano twice.
    # The C library must be the multilib of the float ABI the code is compiled for (build_flags may
    # set one; PlatformIO passes such flags to the compiler only).
    float_abi = [str(flag) for flag in default_env.get("CCFLAGS", []) if str(flag).startswith(("-mfpu=", "-mfloat-abi="))]
    default_env.Replace(
        LINKFLAGS=[flag for flag in default_env.get("LINKFLAGS", []) if not str(flag).startswith("--specs=")]
        + float_abi + ["-nostartfiles", "--specs=nano.specs", "--specs=rdimon.specs"])
    # Builders that link the stubs of libnosys (nordicnrf52) keep doing so, whatever is removed here:
    # PlatformIO adds their LIBS back. A library's LIBS go first, so rdimon's system calls are
    # found before the stubs, which would otherwise swallow the output or clash with rdimon.
    env.Append(LIBS=["rdimon_nano"])
    # Seen by the library's sources and, through the library, by the tests that include its headers.
    env.Append(CPPDEFINES=[("TINYML_HAS_INSTRUCTION_COUNTER", 1)])
    startup = env.Clone()
    startup.Append(CPPDEFINES=[("TINYML_CPU_CLOCK_HZ", f"{board.cpu_clock_hz}u")], CPPPATH=[str(RUNTIME_INCLUDE)])
    startup.BuildSources(str(work_dir / "test_image"), str(STARTUP_DIR), src_filter="-<*> +<startup_cortexm.c>")
    default_env["TINYML_TEST_BOARD"] = board


def write_test_image_record(env, default_env, profile, work_dir: Path) -> None:
    """Where the test program is and what runs it, for the runner (pio_test.py)."""
    if env.PioPlatform().name == OWN_PLATFORM:
        return  # the platform's builder writes it
    program = Path(default_env.subst("$BUILD_DIR")) / default_env.subst("${PROGNAME}${PROGSUFFIX}")
    board = default_env.get("TINYML_TEST_BOARD")
    if board is None:  # the host
        name = env.BoardConfig().get("name") if "BOARD" in env else "the host"
        board = Board(id=profile.board_id or "native", name=name, cpu="host", fpu=None, float_abi=None,
                      cpu_clock_hz=0, flash=None, ram=None, stack_size=0, qemu=None, renode=None, toolchain_prefix="")
    write_record(work_dir, program, board)


def write_record(work_dir: Path, program: Path, board: Board) -> None:
    _write_if_changed(work_dir / TEST_IMAGE_FILE, json.dumps({"program": str(program), "board": board_to_record(board)},
                                                             indent=2) + "\n")


def read_record(work_dir: Path) -> tuple[Path, Board] | None:
    try:
        record = json.loads((work_dir / TEST_IMAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Path(record["program"]), board_from_record(record["board"])


def _write_if_changed(path: Path, text: str) -> None:
    # Rewriting an unchanged file would make SCons relink every time.
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
