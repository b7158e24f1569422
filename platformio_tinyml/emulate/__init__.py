"""Running firmware in an emulator (QEMU here, Renode where installed) or on the host."""

from .faults import Fault, parse_fault
from .run import DEFAULT_TIMEOUT_S, EmulatorUnavailable, RunResult, choose_backend, run_firmware

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "EmulatorUnavailable",
    "Fault",
    "RunResult",
    "choose_backend",
    "parse_fault",
    "run_firmware",
]
