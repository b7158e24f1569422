"""Board manifests: the PlatformIO board JSON files of the platform (platform/boards/, also
`boards/` at the top of the repository), read into plain objects.

Each manifest is a normal PlatformIO board manifest plus a `tinyml` section that says where flash
and RAM are, how much stack to reserve and which emulator machine runs the board.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

BOARDS_DIR = Path(__file__).resolve().parent / "platform" / "boards"

# Cores whose firmware we build with arm-none-eabi-gcc.
ARM_CORES = ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")


class BoardError(ValueError):
    """A board manifest is missing, or says something we cannot use."""


@dataclass(frozen=True)
class MemoryRegion:
    origin: int
    size: int


@dataclass(frozen=True)
class QemuMachine:
    system: str  # qemu-system-<system>
    machine: str


@dataclass(frozen=True)
class RenodeMachine:
    platform: str  # a Renode platform description (.repl)
    uart: str
    cpu_clock_hz: int


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    cpu: str
    fpu: str | None
    float_abi: str | None
    cpu_clock_hz: int
    flash: MemoryRegion | None
    ram: MemoryRegion | None
    stack_size: int
    qemu: QemuMachine | None
    renode: RenodeMachine | None
    toolchain_prefix: str

    @property
    def is_native(self) -> bool:
        return self.cpu == "host"

    @property
    def is_arm(self) -> bool:
        return self.cpu in ARM_CORES

    @property
    def is_emulated(self) -> bool:
        return self.qemu is not None or self.renode is not None

    def compiler_cpu_flags(self) -> list[str]:
        """The -mcpu/-mfpu/-mfloat-abi flags that select the core, its FPU and its DSP/MVE units."""
        if not self.is_arm:
            return []
        flags = ["-mthumb", f"-mcpu={self.cpu}"]
        if self.fpu:
            flags.append(f"-mfpu={self.fpu}")
        if self.float_abi:
            flags.append(f"-mfloat-abi={self.float_abi}")
        return flags


def _region(manifest_path: Path, spec: dict | None, name: str) -> MemoryRegion | None:
    if spec is None:
        return None
    try:
        origin = spec["origin"]
        return MemoryRegion(int(origin, 0) if isinstance(origin, str) else int(origin), int(spec["size"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise BoardError(f"{manifest_path}: tinyml.memory.{name} needs 'origin' and 'size' ({exc})") from None


def board_from_manifest(board_id: str, manifest: dict, manifest_path: Path | str = "<manifest>") -> Board:
    manifest_path = Path(manifest_path)
    build = manifest.get("build", {})
    tinyml = manifest.get("tinyml", {})
    memory = tinyml.get("memory", {})
    emulator = tinyml.get("emulator", {})
    cpu = build.get("cpu")
    if not cpu:
        raise BoardError(f"{manifest_path}: build.cpu is missing")
    qemu = emulator.get("qemu")
    renode = emulator.get("renode")
    board = Board(
        id=board_id,
        name=manifest.get("name", board_id),
        cpu=cpu,
        fpu=build.get("fpu"),
        float_abi=build.get("float_abi"),
        cpu_clock_hz=int(str(build.get("f_cpu", "0")).rstrip("L")),
        flash=_region(manifest_path, memory.get("flash"), "flash"),
        ram=_region(manifest_path, memory.get("ram"), "ram"),
        stack_size=int(tinyml.get("stack_size", 8192)),
        qemu=QemuMachine(qemu.get("system", "arm"), qemu["machine"]) if qemu else None,
        renode=(
            RenodeMachine(renode["platform"], renode.get("uart", "sysbus.uart0"), int(renode["cpu_clock_hz"]))
            if renode
            else None
        ),
        toolchain_prefix=build.get("toolchain_prefix", "arm-none-eabi-" if cpu in ARM_CORES else ""),
    )
    if board.is_arm and (board.flash is None or board.ram is None):
        raise BoardError(f"{manifest_path}: a Cortex-M board needs tinyml.memory.flash and tinyml.memory.ram")
    if board.is_emulated and board.is_arm and board.cpu_clock_hz <= 0:
        raise BoardError(f"{manifest_path}: build.f_cpu must be the emulated core clock in Hz")
    return board


def load_board(board_id: str, boards_dir: Path = BOARDS_DIR) -> Board:
    path = Path(boards_dir) / f"{board_id}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in Path(boards_dir).glob("*.json")))
        raise BoardError(f"unknown board '{board_id}' (no {path}); boards here: {known}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BoardError(f"{path}: not valid JSON ({exc})") from None
    return board_from_manifest(board_id, manifest, path)


def all_board_ids(boards_dir: Path = BOARDS_DIR) -> list[str]:
    return sorted(p.stem for p in Path(boards_dir).glob("*.json"))


def board_to_record(board: Board) -> dict:
    """A JSON-able form of `board`, for the test image record the `pio test` runner reads."""
    return dataclasses.asdict(board)


def board_from_record(record: dict) -> Board:
    def region(spec):
        return MemoryRegion(**spec) if spec else None

    return Board(**{
        **record,
        "flash": region(record.get("flash")),
        "ram": region(record.get("ram")),
        "qemu": QemuMachine(**record["qemu"]) if record.get("qemu") else None,
        "renode": RenodeMachine(**record["renode"]) if record.get("renode") else None,
    })
