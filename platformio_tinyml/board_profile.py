"""What the build needs to know about the board, read from its PlatformIO manifest without PlatformIO.

    profile = board_profile(board_id, manifest, project_options, project_dir, platform_dir, framework_dirs)
    profile.core          # the engine's core name: 'cortex-m4', 'esp32s3', 'host', ...
    profile.ram, profile.flash, profile.flash_what
    profile.stack_reserve, profile.stack_reserve_source

`manifest` is the board's JSON as a dict (PlatformIO's, ours with its `tinyml` section, or one in
the project's boards/ folder); `project_options` the environment's options as a dict. PlatformIO
applies `board_*` options to the manifest it hands a build script, but they are read from
`project_options` first here too, so a raw manifest gives the same answer.

ESP32 family: the espressif32 builder narrows `upload.maximum_size` to the app partition of the
partitions table (builder/main.py, _update_max_upload_size), and the table is the one its framework
script picks (builder/frameworks/espidf.py, generate_partition_table; arduino-esp32's
tools/platformio-build.py, get_partition_table_csv). Both are reproduced here, so the budget is the
size `checkprogsize` will hold the firmware to.

Pure and stdlib only: this runs in PlatformIO's own interpreter, before anything else is imported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


class BoardProfileError(ValueError):
    """The board's manifest or its partition table says something the build cannot use."""


@dataclass(frozen=True)
class BoardProfile:
    board_id: str
    core: str                  # a key of engine.cores.KERNEL_PATHS
    ram: int                   # bytes, 0 = unknown (not checked)
    flash: int                 # bytes the firmware may take, 0 = unknown (not checked)
    flash_what: str            # where `flash` comes from
    stack_reserve: int         # bytes of RAM kept for the stack
    stack_reserve_source: str  # where it comes from; starts with "default" when the board does not say

    @property
    def stack_reserve_is_default(self) -> bool:
        return self.stack_reserve_source.startswith("default")

    def summary(self) -> str:
        """One line for the build log."""
        ram = f"{self.ram:,} B" if self.ram else "unknown"
        flash = f"{self.flash:,} B" if self.flash else "unknown"
        return (f"board '{self.board_id}': {self.core}, RAM {ram}, flash {flash} ({self.flash_what}), "
                f"stack reserve {self.stack_reserve:,} B ({self.stack_reserve_source})")


# The engine's cores: must equal the keys of engine.cores.KERNEL_PATHS (a test checks it). Not
# imported from there: importing the engine package imports numpy, which PlatformIO's Python lacks.
KNOWN_CORES = (
    "cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55",
    "cortex-m85", "esp32", "esp32s2", "esp32s3", "host",
)

# build.mcu -> core, for manifests without build.cpu (no espressif32 manifest has it).
MCU_CORES = {"esp32": "esp32", "esp32s2": "esp32s2", "esp32s3": "esp32s3"}
ESP32_MCUS = frozenset(MCU_CORES)

HOST = "host"

# Stack kept free when the board does not say (no official manifest has a stack size): 8 KiB is
# what the nRF5 SDK's startup files reserve (__STACK_SIZE 8192) and what arduino-esp32 gives its
# loop task (CONFIG_ARDUINO_LOOP_STACK_SIZE 8192); our own boards say 8192 too. On boards with
# little RAM it is capped at an eighth of the RAM (1 KiB on an 8 KiB STM32F030, the 0x400
# _Min_Stack_Size of STM32CubeIDE's linker scripts), so that the reserve alone cannot fill the RAM.
DEFAULT_STACK_RESERVE = 8192
SMALL_RAM_STACK_FRACTION = 8

# Frameworks of the espressif32 platform: where their partition tables live inside the package
# and which one is used when the board and project name none.
_ARDUINO = "arduino"
_ESPIDF = "espidf"
_PACKAGES = {_ARDUINO: "framework-arduinoespressif32", _ESPIDF: "framework-espidf"}
_PARTITIONS_FOLDER = {_ARDUINO: ("tools", "partitions"), _ESPIDF: ("components", "partition_table")}
_DEFAULT_TABLE = {_ARDUINO: "default.csv", _ESPIDF: "partitions_singleapp.csv"}

# Used only when the framework's folder is not given (it is not installed): the app partition the
# builder would pick (the custom name aside) in the framework's own tables. Figures from the CSVs
# in espressif/arduino-esp32 tools/partitions/ (2.0.x, the framework-arduinoespressif32 3.20017
# that platform-espressif32 6.13.0 pins) and espressif/esp-idf components/partition_table/ (v5.x,
# framework-espidf 3.50503); these app sizes have not changed across those releases. Variant
# tables (e.g. Adafruit's partitions-4MB-tinyuf2.csv) need the framework's folder.
BUILTIN_APP_PARTITIONS = {
    _ARDUINO: {
        "default.csv": ("app0", 0x140000),
        "default_8MB.csv": ("app0", 0x330000),
        "default_16MB.csv": ("app0", 0x640000),
        "huge_app.csv": ("app0", 0x300000),
        "min_spiffs.csv": ("app0", 0x1E0000),
        "minimal.csv": ("app0", 0x140000),
        "no_ota.csv": ("app0", 0x200000),
    },
    _ESPIDF: {
        "partitions_singleapp.csv": ("factory", 0x100000),
        "partitions_singleapp_large.csv": ("factory", 1500 * 1024),
        "partitions_two_ota.csv": ("factory", 0x100000),
    },
}


def board_profile(board_id: str | None, manifest: dict | None, project_options: dict, project_dir: Path,
                  platform_dir: Path | None, framework_dirs: dict[str, Path] | None = None) -> BoardProfile:
    """The board's core, memory and stack reserve. `manifest` None (or `board_id` None): `platform =
    native` without a board, the host. `framework_dirs`: {'arduino' | 'espidf' (or the package name):
    the framework package's folder} for the frameworks installed; without it the ESP32 default
    partition tables come from BUILTIN_APP_PARTITIONS."""
    if manifest is None or board_id is None or _platform_name(platform_dir) == "native":
        # PlatformIO's native platform builds for the host whatever board (if any) is named.
        return BoardProfile(board_id or "native", HOST, 0, 0, "the host: not checked", 0,
                            "the host: no stack reserve")
    board = _Board(board_id, manifest, project_options or {})
    core = _core(board)
    ram = board.size("upload.maximum_ram_size")
    if core == HOST:
        flash, flash_what = 0, "the host: not checked"
    elif board.mcu in ESP32_MCUS and _uses_espressif32_builder(manifest, platform_dir):
        flash, flash_what = _esp32_app_partition(board, project_dir, _frameworks(project_options),
                                                 _framework_folders(framework_dirs))
    else:
        flash, flash_what = board.size("upload.maximum_size"), board.where("upload.maximum_size")
    stack, stack_source = _stack_reserve(board, core, ram)
    return BoardProfile(board_id, core, ram, flash, flash_what, stack, stack_source)


class _Board:
    """The manifest's values, with the project's `board_<key>` options over them."""

    def __init__(self, board_id: str, manifest: dict, options: dict):
        self.id = board_id
        self.manifest = manifest
        self.options = options

    def get(self, key: str, default=None):
        option = "board_" + key
        if option in self.options and self.options[option] not in (None, ""):
            return self.options[option]
        value = self.manifest
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                return self.manifest.get(key, default)  # a flat {'build.cpu': ...} manifest
            value = value[part]
        return value

    def where(self, key: str) -> str:
        option = "board_" + key
        return option if self.options.get(option) not in (None, "") else key

    def text(self, key: str) -> str:
        value = self.get(key, "")
        return str(value).strip() if value is not None else ""

    def size(self, key: str) -> int:
        value = self.get(key, 0)
        parsed = _parse_size(value)
        if parsed is None or parsed < 0:
            raise BoardProfileError(
                f"board '{self.id}': {self.where(key)} = {value!r} is not a size in bytes")
        return parsed

    @property
    def cpu(self) -> str:
        return self.text("build.cpu").lower()

    @property
    def mcu(self) -> str:
        return self.text("build.mcu").lower()


def _core(board: _Board) -> str:
    if board.cpu:
        if board.cpu in KNOWN_CORES:
            return board.cpu
    elif board.mcu in MCU_CORES:
        return MCU_CORES[board.mcu]
    cpu = repr(board.cpu) if board.cpu else "not set"
    mcu = repr(board.mcu) if board.mcu else "not set"
    raise BoardProfileError(
        f"board '{board.id}' (build.cpu {cpu}, build.mcu {mcu}): "
        f"the engine has no kernels for its core. Known cores (build.cpu): {', '.join(KNOWN_CORES)}; "
        f"boards without build.cpu by build.mcu: {', '.join(sorted(MCU_CORES))}."
    )


def _stack_reserve(board: _Board, core: str, ram: int) -> tuple[int, str]:
    if board.get("tinyml.stack_size") not in (None, ""):
        return board.size("tinyml.stack_size"), board.where("tinyml.stack_size")
    if core == HOST:
        return 0, "the host: no stack reserve"
    if ram and ram // SMALL_RAM_STACK_FRACTION < DEFAULT_STACK_RESERVE:
        return (ram // SMALL_RAM_STACK_FRACTION,
                f"default: the board does not say; 1/{SMALL_RAM_STACK_FRACTION} of its {ram:,} B RAM")
    return DEFAULT_STACK_RESERVE, "default: the board does not say"


def _platform_name(platform_dir: Path | None) -> str | None:
    if platform_dir is None:
        return None
    try:
        return json.loads((Path(platform_dir) / "platform.json").read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        return None


def _uses_espressif32_builder(manifest: dict, platform_dir: Path | None) -> bool:
    """The espressif32 platform's builder (or a fork of it, same name) builds the firmware; our own
    platform's ESP32-S3 board (a `tinyml` section) takes upload.maximum_size as it is."""
    name = _platform_name(platform_dir)
    if name is not None:
        return name == "espressif32"
    return "tinyml" not in manifest


def _frameworks(options: dict) -> list[str]:
    value = (options or {}).get("framework") or []
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value)
    return [str(item).strip().lower() for item in value if str(item).strip()]


def _framework_folders(framework_dirs: dict | None) -> dict[str, Path]:
    folders = {}
    for key, folder in (framework_dirs or {}).items():
        if folder is None:
            continue
        name = next((fw for fw, package in _PACKAGES.items() if key in (fw, package)), key)
        folders[name] = Path(folder)
    return folders


def _esp32_app_partition(board: _Board, project_dir: Path, frameworks: list[str],
                         folders: dict[str, Path]) -> tuple[int, str]:
    # espidf builds Arduino as a component when both are listed, with its own partition table.
    framework = _ESPIDF if _ESPIDF in frameworks else _ARDUINO if _ARDUINO in frameworks else None
    if framework is None:
        # No framework: nothing sets PARTITIONS_TABLE_CSV, so the builder keeps the manifest's size.
        return (board.size("upload.maximum_size"),
                f"{board.where('upload.maximum_size')} (no framework: the espressif32 builder reads no "
                f"partition table)")
    name, option = _partitions_name(board, framework)
    table, name = _find_table(board, project_dir, framework, folders.get(framework), name, option)
    app_name = board.text("build.app_partition_name")
    if isinstance(table, tuple):  # built-in figure
        partition, size = table
        what = f"app partition '{partition}' of {name}, {_PACKAGES[framework]}'s table (built-in figure)"
        if app_name and app_name != partition:
            what += (f"; {board.where('build.app_partition_name')} '{app_name}' not checked: the table "
                     f"itself is not installed here")
        return size, what
    return _app_partition_of(board, table, _shown(table, project_dir), app_name)


def _partitions_name(board: _Board, framework: str) -> tuple[str, str]:
    """The table's file name as the framework script reads it, and the option that named it."""
    if board.text("build.partitions"):
        return board.text("build.partitions"), board.where("build.partitions")
    if framework == _ARDUINO and board.text("build.arduino.partitions"):
        return board.text("build.arduino.partitions"), board.where("build.arduino.partitions")
    return "", ""


def _find_table(board: _Board, project_dir: Path, framework: str, framework_dir: Path | None, name: str,
                option: str) -> tuple[Path | tuple[str, int], str]:
    """The table (a file, or a built-in (partition, size)) and its name, searched as the builder
    does: (Arduino only) the board variant's folder, the framework's partitions folder, then the name
    itself, relative to the project folder (PlatformIO runs SCons there). Without the framework's
    folder, its default tables come from BUILTIN_APP_PARTITIONS."""
    project_dir = Path(project_dir)
    fw_partitions = framework_dir.joinpath(*_PARTITIONS_FOLDER[framework]) if framework_dir else None
    variant_dir = _variant_dir(board, project_dir, framework_dir) if framework == _ARDUINO else None
    if not name:
        if variant_dir is not None and (variant_dir / "partitions.csv").is_file():
            return variant_dir / "partitions.csv", "partitions.csv"
        name = _DEFAULT_TABLE[framework]
        if fw_partitions is None:
            return BUILTIN_APP_PARTITIONS[framework][name], name
        return fw_partitions / name, name  # read_partitions reports it if the framework lacks it
    name = name.replace("${PROJECT_DIR}", str(project_dir)).replace("$PROJECT_DIR", str(project_dir))
    candidates = [folder / name for folder in (variant_dir, fw_partitions) if folder is not None]
    for path in candidates:
        if path.is_file():
            return path, name
    if fw_partitions is None and name in BUILTIN_APP_PARTITIONS[framework]:
        return BUILTIN_APP_PARTITIONS[framework][name], name
    in_project = project_dir / name
    if in_project.is_file():
        return in_project, name
    looked = ", ".join(str(path) for path in (*candidates, in_project))
    if fw_partitions is None:
        looked += (f"; {_PACKAGES[framework]} is not installed, and its tables known without it are "
                   f"{', '.join(BUILTIN_APP_PARTITIONS[framework])}")
    raise BoardProfileError(
        f"board '{board.id}': {option} = {name}: no such partitions table (looked for {looked}). "
        f"Put the CSV file in the project folder, or fix the name."
    )


def _variant_dir(board: _Board, project_dir: Path, framework_dir: Path | None) -> Path | None:
    variant = board.text("build.variant")
    if board.text("build.variants_dir"):
        return project_dir / board.text("build.variants_dir") / variant
    return framework_dir / "variants" / variant if framework_dir else None


def _shown(path: Path, project_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path(project_dir).resolve()))
    except ValueError:
        return str(path)


def _app_partition_of(board: _Board, path: Path, shown: str, app_name: str) -> tuple[int, str]:
    """builder/main.py _update_max_upload_size: the custom app partition name, else the first app
    partition of subtype factory or ota_0; none of them: upload.maximum_size stays."""
    partitions = {row["name"]: row for row in _read_partitions(path, shown)}
    note = ""
    if app_name:
        chosen = partitions.get(app_name)
        if chosen:
            return _row_size(chosen, shown), f"app partition '{app_name}' of {shown}"
        # The builder warns and carries on with the default choice.
        note = f"; {board.where('build.app_partition_name')} '{app_name}' is not in the table"
    for row in partitions.values():
        if row["type"] in ("0", "app") and row["subtype"] in ("factory", "ota_0"):
            return _row_size(row, shown), f"app partition '{row['name']}' of {shown}{note}"
    return (board.size("upload.maximum_size"),
            f"{board.where('upload.maximum_size')} ({shown} has no factory or ota_0 app partition{note})")


def _read_partitions(path: Path, shown: str) -> list[dict]:
    """builder/main.py _parse_partitions: name, type, subtype, offset, size[, flags] per line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise BoardProfileError(f"partitions table {shown}: cannot read it ({exc})") from None
    rows = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tokens = [token.strip() for token in line.split(",")]
        if len(tokens) < 5:
            continue
        rows.append({"name": tokens[0], "type": tokens[1], "subtype": tokens[2], "size": tokens[4],
                     "line": number})
    return rows


def _row_size(row: dict, shown: str) -> int:
    size = _parse_size(row["size"])
    if not size:
        raise BoardProfileError(f"partitions table {shown}, line {row['line']}: partition '{row['name']}' "
                                f"has size {row['size']!r}, not a size (decimal, 0x..., or ...K / ...M)")
    return size


def _parse_size(value) -> int | None:
    """builder/main.py _parse_size: an int, decimal digits, 0x hex, or a K / M multiple; None if not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if text[:2].lower() == "0x":
        try:
            return int(text, 16)
        except ValueError:
            return None
    if text[-1:].upper() in ("K", "M") and text[:-1].strip().isdigit():
        return int(text[:-1]) * (1024 if text[-1].upper() == "K" else 1024 * 1024)
    return None
