"""Which QEMU machine runs a `pio test` image for a board of any platform, from its manifest.

An emulated machine runs the board's core, not the board: code lives where the machine has memory,
so the test image is linked for the machine's memory map, with the board's sizes (its RAM and
flash budget still holds at link time). SysTick runs from the machine's clock, which is what the
instruction counter divides by, whatever the board's own `f_cpu`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .boards import MemoryRegion

KIB = 1024
MIB = 1024 * 1024


class NoEmulatedMachine(ValueError):
    """No machine runs this board's core; the message names the board, its MCU and the option."""


@dataclass(frozen=True)
class EmulatedMachine:
    name: str            # qemu-system-arm -machine NAME
    core: str
    flash: MemoryRegion  # where the image's code and constants go
    ram: MemoryRegion
    systick_hz: int      # SysTick's clock under -icount: 1e9 / this = instructions per tick


# QEMU 7.2's Cortex-M machines (see ../shared/notes/offline-facts.md for how each was checked).
MACHINES = {
    machine.name: machine for machine in (
        EmulatedMachine("netduinoplus2", "cortex-m4", MemoryRegion(0x08000000, 1 * MIB),
                        MemoryRegion(0x20000000, 192 * KIB), 168_000_000),
        EmulatedMachine("mps2-an386", "cortex-m4", MemoryRegion(0, 4 * MIB), MemoryRegion(0x20000000, 4 * MIB),
                        25_000_000),
        EmulatedMachine("mps2-an500", "cortex-m7", MemoryRegion(0, 4 * MIB), MemoryRegion(0x20000000, 4 * MIB),
                        25_000_000),
        EmulatedMachine("mps2-an385", "cortex-m3", MemoryRegion(0, 4 * MIB), MemoryRegion(0x20000000, 4 * MIB),
                        25_000_000),
        # AN505 boots in the Secure state with its vector table at the Secure alias of its code RAM.
        EmulatedMachine("mps2-an505", "cortex-m33", MemoryRegion(0x10000000, 4 * MIB),
                        MemoryRegion(0x38000000, 2 * MIB), 20_000_000),
        EmulatedMachine("mps3-an547", "cortex-m55", MemoryRegion(0, 512 * KIB), MemoryRegion(0x20000000, 512 * KIB),
                        32_000_000),
    )
}

# build.cpu -> the machine whose core runs its code unchanged. Armv6-M code (M0, M0+) runs as it
# is on the Cortex-M3, instruction for instruction, so its counts are the same.
MACHINE_FOR_CORE = {
    "cortex-m0": "mps2-an385",
    "cortex-m0plus": "mps2-an385",
    "cortex-m3": "mps2-an385",
    "cortex-m4": "mps2-an386",
    "cortex-m7": "mps2-an500",
    "cortex-m33": "mps2-an505",
    "cortex-m55": "mps3-an547",
}
# MCU families with a machine of their own: the real memory map and peripherals' addresses.
MACHINE_FOR_MCU_PREFIX = {"stm32f4": "netduinoplus2"}

OPTION = "custom_tinyml_qemu_machine"


def machine_for_board(board_id: str, mcu: str, core: str, requested: str | None = None) -> EmulatedMachine:
    """The machine for a board (requested by the option, else from its MCU, else from its core)."""
    if requested:
        machine = MACHINES.get(requested)
        if machine is None:
            raise NoEmulatedMachine(f"{OPTION} = {requested}: not a machine platformio-tinyml runs; write one "
                                    f"of {', '.join(sorted(MACHINES))}.")
        if machine.core != core and MACHINE_FOR_CORE.get(core) != machine.name:
            raise NoEmulatedMachine(f"{OPTION} = {requested}: that machine is a {machine.core}, but board "
                                    f"'{board_id}' is a {core}; its code would not run there.")
        return machine
    for prefix, name in MACHINE_FOR_MCU_PREFIX.items():
        if mcu.lower().startswith(prefix) and MACHINES[name].core == core:
            return MACHINES[name]
    name = MACHINE_FOR_CORE.get(core)
    if name is None:
        raise NoEmulatedMachine(
            f"board '{board_id}' (MCU {mcu or 'unknown'}, core {core or 'unknown'}) has no emulator known to "
            f"platformio-tinyml: `pio test` runs on QEMU machines with the cores "
            f"{', '.join(sorted(MACHINE_FOR_CORE))}. Test on the hardware, or set {OPTION} to a machine with "
            f"the same core.")
    return MACHINES[name]


def image_memory(machine: EmulatedMachine, board_flash: int, board_ram: int) -> tuple[MemoryRegion, MemoryRegion]:
    """Flash and RAM of the test image: the machine's addresses, the board's sizes where it says
    (and the machine has that much)."""
    flash = min(board_flash, machine.flash.size) if board_flash else machine.flash.size
    ram = min(board_ram, machine.ram.size) if board_ram else machine.ram.size
    return MemoryRegion(machine.flash.origin, flash), MemoryRegion(machine.ram.origin, ram)
