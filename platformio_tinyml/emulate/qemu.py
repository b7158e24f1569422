"""The QEMU backend: the command line that runs a board's firmware."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..boards import Board

# One virtual nanosecond per guest instruction, no pacing to the host clock: SysTick then counts
# guest instructions exactly and identically on every run.
ICOUNT = "shift=0,align=off,sleep=off"


def qemu_executable(board: Board) -> str:
    return f"qemu-system-{board.qemu.system}"


def qemu_available(board: Board) -> bool:
    return board.qemu is not None and shutil.which(qemu_executable(board)) is not None


def qemu_command(board: Board, elf: Path | str) -> list[str]:
    if board.qemu is None:
        raise ValueError(f"board '{board.id}' has no QEMU machine")
    return [
        qemu_executable(board),
        "-machine", board.qemu.machine,
        "-nographic",
        "-monitor", "none",
        "-serial", "null",
        "-semihosting-config", "enable=on,target=native",
        "-icount", ICOUNT,
        "-kernel", str(elf),
    ]
