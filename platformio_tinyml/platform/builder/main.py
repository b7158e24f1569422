"""SCons builder of the platformio-tinyml platform.

Cortex-M boards: arm-none-eabi-gcc (registered as PlatformIO's toolchain package by `tinyml setup`),
a linker script generated from the board manifest, our start-up code and semihosting stdio.
`native`: the host compiler. `esp32s3`: stops with what is missing. `pio run -t exec` (and
`-t upload`) runs the firmware in the emulator.
"""

import shutil
import sys
from pathlib import Path

from SCons.Script import Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board_config = env.BoardConfig()

# The platform lives inside the platformio_tinyml package: make the package importable even when
# PlatformIO's Python has not installed it.
PACKAGE_PARENT = Path(platform.get_dir()).resolve().parents[1]
if str(PACKAGE_PARENT) not in sys.path:
    sys.path.insert(0, str(PACKAGE_PARENT))

from platformio_tinyml.boards import BoardError, board_from_manifest  # noqa: E402
from platformio_tinyml.build_hook import hook_ran  # noqa: E402
from platformio_tinyml.build_messages import stop_build  # noqa: E402
from platformio_tinyml.generated_files import WORK_FOLDER  # noqa: E402
from platformio_tinyml.linker_script import render_linker_script  # noqa: E402
from platformio_tinyml.test_image import write_record  # noqa: E402

SUPPORT_DIR = Path(platform.get_dir()) / "support"
RUNTIME_DIR = PACKAGE_PARENT / "platformio_tinyml" / "runtime"

try:
    board = board_from_manifest(board_config.id, board_config.manifest, board_config.manifest_path)
except BoardError as exc:
    stop_build(env, str(exc))


def write_if_changed(path: Path, text: str) -> None:
    # Rewriting an unchanged file would make SCons relink every time.
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def configure_cortex_m():
    toolchain_dir = platform.get_package_dir("toolchain-gccarmnoneeabi")
    if not toolchain_dir or not (Path(toolchain_dir) / "bin" / "arm-none-eabi-gcc").exists():
        stop_build(
            env,
            f"board '{board.id}' needs the Arm GCC toolchain, which PlatformIO does not have yet.\n"
            "Run `tinyml setup` once: it installs gcc-arm-none-eabi and registers it with PlatformIO.",
        )
    env.PrependENVPath("PATH", str(Path(toolchain_dir) / "bin"))
    prefix = board.toolchain_prefix
    env.Replace(
        AR=prefix + "gcc-ar",
        AS=prefix + "as",
        CC=prefix + "gcc",
        CXX=prefix + "g++",
        GDB=prefix + "gdb",
        OBJCOPY=prefix + "objcopy",
        RANLIB=prefix + "gcc-ranlib",
        SIZETOOL=prefix + "size",
        PROGSUFFIX=".elf",
        SIZEPROGREGEXP=r"^(?:\.text|\.data|\.rodata|\.ARM\.exidx|\.ARM\.extab)\s+(\d+).*",
        SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.stack)\s+(\d+).*",  # the heap is what is left over
        SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
        SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    )
    cpu_flags = board.compiler_cpu_flags()
    linker_script = Path(env.subst("$BUILD_DIR")) / "tinyml_board.ld"
    write_if_changed(linker_script, render_linker_script(board))
    env.Append(
        ASFLAGS=cpu_flags,
        CCFLAGS=cpu_flags + ["-O2", "-g", "-ffunction-sections", "-fdata-sections", "-Wall"],
        CFLAGS=["-std=gnu11"],
        CXXFLAGS=["-std=gnu++17", "-fno-exceptions", "-fno-rtti"],
        CPPDEFINES=[("TINYML_CPU_CLOCK_HZ", f"{board.cpu_clock_hz}u"), ("TINYML_HAS_INSTRUCTION_COUNTER", 1)],
        CPPPATH=[str(RUNTIME_DIR / "include")],
        LIBS=["m"],
        LINKFLAGS=cpu_flags
        + [
            "-nostartfiles",
            "--specs=nano.specs",
            "--specs=rdimon.specs",
            "-Wl,--gc-sections",
            "-Wl,-Map," + env.subst("$BUILD_DIR/${PROGNAME}.map"),
            "-T",
            str(linker_script),
        ],
    )
    env.BuildSources("$BUILD_DIR/tinyml_board", str(SUPPORT_DIR), src_filter="-<*> +<startup_cortexm.c>")


def configure_native():
    env.Append(
        CCFLAGS=["-O2", "-g", "-Wall"],
        CFLAGS=["-std=gnu11"],
        CXXFLAGS=["-std=gnu++17"],
        CPPPATH=[str(RUNTIME_DIR / "include")],
        LIBS=["m"],
    )
    # The host has no instruction counter: the runtime's defaults say so.
    env.BuildSources("$BUILD_DIR/tinyml_board", str(RUNTIME_DIR / "src"), src_filter="-<*> +<tinyml_board_defaults.c>")


def configure_without_compiler():
    compiler = board.toolchain_prefix + "gcc"
    found = shutil.which(compiler)
    why = (
        f"{compiler} is at {found}, but this platform has no start-up code or emulator for the board"
        if found
        else f"it needs the {compiler} compiler, which is not installed here (no package registry this\n"
        "machine reaches ships an Xtensa ESP32-S3 toolchain, and there is no ESP32-S3 emulator)"
    )
    stop_build(
        env,
        f"board '{board.id}' ({board.name}) cannot be built by this platform: {why}.\n"
        "Where PlatformIO's registry is reachable, build for it with `platform = espressif32` and this\n"
        "library in lib_deps; the model conversion is the same.",
    )


def run_in_emulator(target, source, env):  # noqa: ARG001 - SCons action signature
    from platformio_tinyml.emulate import DEFAULT_TIMEOUT_S, EmulatorUnavailable, run_firmware

    timeout_s = float(env.GetProjectOption("custom_tinyml_emulator_timeout", DEFAULT_TIMEOUT_S))
    backend = env.GetProjectOption("custom_tinyml_emulator", "auto")
    try:
        result = run_firmware(
            str(source[0]), board, timeout_s, on_output=lambda line: print(line, end="", flush=True), backend=backend
        )
    except (EmulatorUnavailable, FileNotFoundError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    print(f"[tinyml] {result.summary}")
    return 0 if result.ok else 1


env.Replace(PROGNAME="firmware")
if board.is_native:
    configure_native()
elif board.is_arm:
    configure_cortex_m()
else:
    configure_without_compiler()

target_program = env.BuildProgram()  # also defines `checkprogsize`, run by default when SIZETOOL is set
# BuildProgram has run the libraries' scripts: a model option without the library does nothing.
if env.GetProjectOption("custom_tinyml_model", "") and not hook_ran(DefaultEnvironment(), env["PIOENV"]):
    stop_build(env, f"[env:{env['PIOENV']}] custom_tinyml_model is set, but platformio-tinyml is not among the "
                    "environment's lib_deps, so nothing builds the model: add `lib_deps = <the library>` (a "
                    "symlink:// or file:// path to it, see the README's 'Use it in your project').")
# What `pio test` runs, and where (the runner reads it).
write_record(Path(env.subst("$BUILD_DIR")) / WORK_FOLDER, Path(env.subst("$BUILD_DIR/${PROGNAME}${PROGSUFFIX}")), board)
if board.is_arm:
    env.AddPlatformTarget("size", target_program, env.VerboseAction("$SIZEPRINTCMD", "Program size"), "Program Size")

run_action = env.VerboseAction(run_in_emulator, f"Running $PROGNAME on board '{board.id}'")
env.AddPlatformTarget("exec", target_program, run_action, "Run in the emulator (or on the host for native)")
env.AddPlatformTarget("upload", target_program, run_action, "Upload = run in the emulator")
if board.is_arm:
    env.Depends("exec", "checkprogsize")

Default(target_program)
