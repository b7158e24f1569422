"""Run a firmware to completion on its board's emulator (or on the host for `native`), streaming
its output, and turn hangs, faults and lock-ups into results that say what happened."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from ..boards import Board
from . import qemu, renode
from .faults import FAULT_EXIT_CODE, Fault, parse_fault

DEFAULT_TIMEOUT_S = 60.0
BACKENDS = ("auto", "qemu", "renode")


class EmulatorUnavailable(RuntimeError):
    """The board's emulator is not installed, or the board cannot be emulated at all."""


@dataclass(frozen=True)
class RunResult:
    status: str  # "exited", "fault", "timeout"
    exit_code: int | None
    output: str
    stderr: str
    fault: Fault | None
    backend: str
    summary: str  # one line for a person

    @property
    def ok(self) -> bool:
        return self.status == "exited" and self.exit_code == 0


def choose_backend(board: Board, requested: str = "auto") -> tuple[str, str | None]:
    """The backend to run `board` on, and a note for the user when it is not the one they might expect."""
    if requested not in BACKENDS:
        raise EmulatorUnavailable(f"unknown emulator '{requested}': choose one of {', '.join(BACKENDS)}")
    if board.is_native:
        return "host", None
    if not board.is_emulated:
        raise EmulatorUnavailable(f"board '{board.id}' ({board.name}) has no emulator: run it on the hardware")
    if requested in ("auto", "renode") and board.renode is not None and renode.renode_available():
        return "renode", None
    if requested == "renode":
        why = "is not installed (no `renode` on PATH)" if board.renode else "has no machine for this board"
        raise EmulatorUnavailable(f"Renode was asked for but {why}")
    if board.qemu is None:
        raise EmulatorUnavailable(
            f"board '{board.id}' runs only on Renode, which is not installed (no `renode` on PATH)"
        )
    if not qemu.qemu_available(board):
        raise EmulatorUnavailable(
            f"{qemu.qemu_executable(board)} is not installed: run `tinyml setup` (or `apt-get install qemu-system-arm`)"
        )
    note = None
    if board.renode is not None:
        note = f"Renode is not installed (no `renode` on PATH); running on QEMU {board.qemu.machine} instead"
    return "qemu", note


def addr2line_symbolizer(board: Board, elf: Path) -> Callable[[int], str | None]:
    """Maps a code address to 'function (file:line)' with the toolchain's addr2line, when it exists."""
    tool = shutil.which(f"{board.toolchain_prefix}addr2line")

    def symbolize(address: int) -> str | None:
        if not tool:
            return None
        try:
            out = subprocess.run(
                [tool, "-f", "-C", "-e", str(elf), hex(address)], capture_output=True, text=True, timeout=10
            ).stdout.split("\n")
        except (OSError, subprocess.SubprocessError):
            return None
        function, place = (out + ["", ""])[:2]
        if not function or function == "??":
            return None
        place = place.split(" (discriminator")[0]  # which of the code paths on one line: noise here
        return f"{function}, {Path(place).name}" if place and not place.startswith("??") else function

    return symbolize


def _stream(pipe, sink: list[str], on_output: Callable[[str], None] | None) -> None:
    for line in iter(pipe.readline, ""):
        sink.append(line)
        if on_output:
            on_output(line)
    pipe.close()


def _last_lines(text: str, count: int = 10) -> str:
    lines = text.rstrip("\n").split("\n")
    return "\n".join("    " + line for line in lines[-count:]) if text.strip() else "    (no output)"


def _run_process(command: list[str], timeout_s: float, on_output) -> tuple[int | None, str, str]:
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    out_lines: list[str] = []
    err_lines: list[str] = []
    readers = [
        threading.Thread(target=_stream, args=(process.stdout, out_lines, on_output), daemon=True),
        threading.Thread(target=_stream, args=(process.stderr, err_lines, None), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        exit_code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        exit_code = None
    for reader in readers:
        reader.join(timeout=5)
    return exit_code, "".join(out_lines), "".join(err_lines)


def run_firmware(
    elf: Path | str,
    board: Board,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_output: Callable[[str], None] | None = None,
    backend: str = "auto",
) -> RunResult:
    elf = Path(elf)
    if not elf.is_file():
        raise FileNotFoundError(f"no firmware at {elf}: build it first (`pio run -e {board.id}`)")
    chosen, note = choose_backend(board, backend)
    if note and on_output:
        on_output(f"[tinyml] {note}\n")

    with tempfile.TemporaryDirectory(prefix="tinyml-renode-") as scratch:
        if chosen == "host":
            command, where = [str(elf)], "the host"
        elif chosen == "qemu":
            command, where = qemu.qemu_command(board, elf), f"QEMU {board.qemu.machine}"
        else:
            script, firmware_log = Path(scratch) / "run.resc", Path(scratch) / "output.log"
            script.write_text(renode.renode_script(board, elf, firmware_log), encoding="utf-8")
            command, where = renode.renode_command(script), f"Renode {board.renode.platform}"
        # Renode's own log (with the exit status) comes on stdout; the firmware's output goes to a file.
        exit_code, output, stderr = _run_process(command, timeout_s, None if chosen == "renode" else on_output)
        if chosen == "renode":
            exit_code = _renode_exit_status(output, exit_code)
            output = firmware_log.read_text(errors="replace") if firmware_log.is_file() else ""
            for line in output.splitlines(keepends=True) if on_output else ():
                on_output(line)
    fault = parse_fault(output + stderr)
    if exit_code is None:
        status = "timeout"
        summary = (
            f"firmware did not finish within {timeout_s:g} s (wall clock) on {where}; it was stopped. "
            f"Last output:\n{_last_lines(output)}"
        )
    elif fault is not None or (chosen != "host" and exit_code == FAULT_EXIT_CODE):
        status = "fault"
        described = fault.describe(addr2line_symbolizer(board, elf)) if fault else "fault (no report)"
        summary = f"firmware faulted on {where}: {described}. Last output:\n{_last_lines(output)}"
    else:
        status = "exited"
        summary = f"firmware exited with status {exit_code} on {where}"
    return RunResult(status, exit_code, output, stderr, fault, chosen, summary)


def _renode_exit_status(output: str, process_status: int | None) -> int | None:
    for line in output.splitlines():
        if renode.EXIT_LINE_PREFIX in line:
            return int(line.split(renode.EXIT_LINE_PREFIX, 1)[1].split()[0])
    return process_status
