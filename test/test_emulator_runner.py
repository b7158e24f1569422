"""The emulator runner's pure parts: fault reports, backend choice, the QEMU and Renode commands."""

import pytest

from platformio_tinyml.boards import load_board
from platformio_tinyml.emulate import EmulatorUnavailable, choose_backend, parse_fault
from platformio_tinyml.emulate.faults import decode_cfsr
from platformio_tinyml.emulate.qemu import qemu_command
from platformio_tinyml.emulate.renode import renode_script

FIRMWARE_FAULT = (
    "some output\n[tinyml] fault: UsageFault vector=0x00000006 pc=0x000001f4 lr=0x00000219 "
    "cfsr=0x02000000 hfsr=0x00000000 mmfar=0xe000edf8 bfar=0xe000edf8 frame=stacked return=0x00000000 "
    "guard=0x00000000\n"
)


def test_firmware_fault_line_is_named_and_explained():
    fault = parse_fault(FIRMWARE_FAULT)
    assert fault.name == "UsageFault" and fault.pc == 0x1F4
    assert fault.describe() == "UsageFault at pc=0x000001f4: DIVBYZERO: integer division by zero"


def test_bus_fault_reports_the_address_only_when_valid():
    valid = FIRMWARE_FAULT.replace("UsageFault", "BusFault").replace("cfsr=0x02000000", "cfsr=0x00008200")
    assert parse_fault(valid).address == 0xE000EDF8
    invalid = valid.replace("cfsr=0x00008200", "cfsr=0x00000400")
    assert parse_fault(invalid).address is None
    assert parse_fault(invalid).reasons == ("IMPRECISERR: imprecise bus error on a data access",)


def test_symbolizer_names_the_function():
    text = parse_fault(FIRMWARE_FAULT).describe(lambda pc: "divide, main.c:12" if pc == 0x1F4 else None)
    assert "at pc=0x000001f4 (divide, main.c:12)" in text


def test_a_lost_frame_is_named_by_the_deepest_call():
    line = ("[tinyml] fault: MemManage vector=0x00000004 pc=0x00000000 lr=0x00000000 cfsr=0x00000092 "
            "hfsr=0x00000000 mmfar=0x2003f7c8 bfar=0x00000000 frame=lost return=0x000004b9 guard=0x2003f700\n")
    fault = parse_fault(line)
    assert fault.pc is None and fault.caller == 0x4B9
    assert fault.describe(lambda address: "recurse, main.c:9" if address == 0x4B9 else None) == (
        "MemManage in a call from 0x000004b9 (recurse, main.c:9): stack overflow: the stack guard at 0x2003f700 "
        "was hit; DACCVIOL: data access to a protected address; MSTKERR: fault while stacking on exception entry "
        "(stack overflow?); fault address 0x2003f7c8; the stack had no room for the exception frame, so the "
        "faulting pc is not known")
    nothing_found = parse_fault(line.replace("return=0x000004b9", "return=0x00000000"))
    assert nothing_found.describe().startswith("MemManage: stack overflow")


def test_qemu_lockup_is_a_fault():
    fault = parse_fault("qemu: fatal: Lockup: can't escalate 3 to HardFault (current priority -1)\nR15=f802f000 ")
    assert fault.name == "Lockup" and fault.pc == 0xF802F000


def test_plain_output_has_no_fault():
    assert parse_fault("hello\n3 Tests 0 Failures 0 Ignored\n") is None


def test_cfsr_bits_in_order():
    assert [r.split(":")[0] for r in decode_cfsr((1 << 16) | (1 << 1))] == ["DACCVIOL", "UNDEFINSTR"]


def test_qemu_command_counts_instructions_and_uses_semihosting():
    command = qemu_command(load_board("corstone300"), "fw.elf")
    assert command[:3] == ["qemu-system-arm", "-machine", "mps3-an547"]
    assert command[command.index("-icount") + 1] == "shift=0,align=off,sleep=off"
    assert "enable=on,target=native" in command
    assert command[-2:] == ["-kernel", "fw.elf"]


def test_renode_missing_is_said_and_qemu_used(monkeypatch):
    monkeypatch.setattr("platformio_tinyml.emulate.renode.renode_available", lambda: False)
    backend, note = choose_backend(load_board("nrf52840"))
    assert backend == "qemu"
    assert note == "Renode is not installed (no `renode` on PATH); running on QEMU mps2-an386 instead"
    with pytest.raises(EmulatorUnavailable, match="Renode was asked for but is not installed"):
        choose_backend(load_board("nrf52840"), "renode")


def test_renode_used_when_installed(monkeypatch):
    monkeypatch.setattr("platformio_tinyml.emulate.renode.renode_available", lambda: True)
    assert choose_backend(load_board("nrf52840")) == ("renode", None)
    # Boards with no Renode machine stay on QEMU without a note.
    assert choose_backend(load_board("corstone300")) == ("qemu", None)


def test_boards_without_emulator_are_refused():
    with pytest.raises(EmulatorUnavailable, match="has no emulator"):
        choose_backend(load_board("esp32s3"))
    assert choose_backend(load_board("native")) == ("host", None)


def test_renode_script_loads_the_board_and_reports_exit():
    script = renode_script(load_board("nrf52840"), "/b/firmware.elf", "/tmp/out.log")
    lines = script.splitlines()
    assert "machine LoadPlatformDescription @platforms/cpus/nrf52840.repl" in lines
    assert "sysbus LoadELF @/b/firmware.elf" in lines
    assert any(line.startswith('sysbus.cpu AddHook `sysbus GetSymbolAddress "_exit"`') for line in lines)
    assert lines[-1] == "start"
