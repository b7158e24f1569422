"""Reading what a firmware says when it faults, and what QEMU says when the core locks up."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Printed by tinyml_report_fault() in the platform's start-up code.
FAULT_LINE = re.compile(
    r"\[tinyml\] fault: (?P<name>\w+) vector=0x(?P<vector>[0-9a-f]+) pc=0x(?P<pc>[0-9a-f]+)"
    r" lr=0x(?P<lr>[0-9a-f]+) cfsr=0x(?P<cfsr>[0-9a-f]+) hfsr=0x(?P<hfsr>[0-9a-f]+)"
    r" mmfar=0x(?P<mmfar>[0-9a-f]+) bfar=0x(?P<bfar>[0-9a-f]+) frame=(?P<frame>stacked|lost)"
    r" return=0x(?P<caller>[0-9a-f]+) guard=0x(?P<guard>[0-9a-f]+)"
)
QEMU_LOCKUP = re.compile(r"qemu: fatal: Lockup: (?P<why>.*)")
FAULT_EXIT_CODE = 0xFA

# Configurable Fault Status Register bits (Armv7-M / Armv8-M), in the words of the reference manual.
_CFSR_BITS = {
    0: "IACCVIOL: instruction fetch from a protected or non-executable address",
    1: "DACCVIOL: data access to a protected address",
    3: "MUNSTKERR: fault while unstacking on exception return",
    4: "MSTKERR: fault while stacking on exception entry (stack overflow?)",
    5: "MLSPERR: fault during lazy FP state preservation",
    8: "IBUSERR: bus error on instruction fetch",
    9: "PRECISERR: precise bus error on a data access",
    10: "IMPRECISERR: imprecise bus error on a data access",
    11: "UNSTKERR: bus error while unstacking",
    12: "STKERR: bus error while stacking (stack overflow?)",
    13: "LSPERR: bus error during lazy FP state preservation",
    16: "UNDEFINSTR: undefined instruction",
    17: "INVSTATE: invalid state (a jump to an even address, or to non-Thumb code)",
    18: "INVPC: invalid exception return",
    19: "NOCP: coprocessor access while disabled (FPU/MVE not enabled?)",
    20: "STKOF: stack overflow (stack limit register)",
    24: "UNALIGNED: unaligned access",
    25: "DIVBYZERO: integer division by zero",
}


@dataclass(frozen=True)
class Fault:
    name: str  # HardFault, BusFault, ..., or Lockup
    pc: int | None
    lr: int | None
    reasons: tuple[str, ...]
    address: int | None  # the faulting data address, when the core recorded it
    # When the stack had no room for the exception frame (so no pc): the return address nearest the
    # bottom of the stack, which the firmware found; the fault is in the call it returns from.
    caller: int | None = None
    frame_lost: bool = False

    def describe(self, symbolize=None) -> str:
        """One line for a person: the fault, where it happened, and why."""
        where = ""
        if self.pc is not None:
            where = f" at pc=0x{self.pc:08x}{_place(self.pc, symbolize)}"
        elif self.caller is not None:
            where = f" in a call from 0x{self.caller:08x}{_place(self.caller, symbolize)}"
        why = "; ".join(self.reasons) if self.reasons else "no fault status bits set"
        if self.address is not None:
            why += f"; fault address 0x{self.address:08x}"
        if self.frame_lost:
            why += "; the stack had no room for the exception frame, so the faulting pc is not known"
        return f"{self.name}{where}: {why}"


def _place(address: int, symbolize) -> str:
    place = symbolize(address) if symbolize else None
    return f" ({place})" if place else ""


def decode_cfsr(cfsr: int) -> tuple[str, ...]:
    return tuple(text for bit, text in sorted(_CFSR_BITS.items()) if cfsr & (1 << bit))


def parse_fault(text: str) -> Fault | None:
    """The first fault reported by the firmware or by QEMU in `text`, if any."""
    match = FAULT_LINE.search(text)
    if match:
        cfsr = int(match["cfsr"], 16)
        hfsr = int(match["hfsr"], 16)
        reasons = list(decode_cfsr(cfsr))
        if hfsr & (1 << 30):
            reasons.append("FORCED: a configurable fault escalated to HardFault")
        guard = int(match["guard"], 16)
        if guard:
            reasons.insert(0, f"stack overflow: the stack guard at 0x{guard:08x} was hit")
        address = None
        if cfsr & (1 << 7):  # MMARVALID
            address = int(match["mmfar"], 16)
        elif cfsr & (1 << 15):  # BFARVALID
            address = int(match["bfar"], 16)
        if match["frame"] == "lost":
            caller = int(match["caller"], 16) or None
            return Fault(match["name"], None, None, tuple(reasons), address, caller, frame_lost=True)
        return Fault(match["name"], int(match["pc"], 16), int(match["lr"], 16), tuple(reasons), address)
    match = QEMU_LOCKUP.search(text)
    if match:
        pc = re.search(r"R15=([0-9a-f]{8})", text)
        return Fault(
            "Lockup",
            int(pc.group(1), 16) if pc else None,
            None,
            (f"the core locked up ({match['why'].strip()}): a fault inside a fault handler, "
             "or a bad vector table or stack pointer",),
            None,
        )
    return None
