"""The library in a firmware engineer's own PlatformIO: PlatformIO run from a Python that holds only
PlatformIO and SCons, the library in lib_deps, PlatformIO's official platforms and boards, `pio run`
and `pio test` under emulation. Nothing here uses this repository's .venv to build.

The official platforms are the copies in ../shared/platforms (on the project's machines only); the
tests that need them skip with a message without it."""

import json
import os
import re
import subprocess
import venv
from pathlib import Path

import pytest
from conftest import REPO, shared_model_path
from model_fixtures import conversion_cache, float_models, requires_tensorflow

from platformio_tinyml.offline_setup import official_platform_packages_line

SHARED_PLATFORMS = REPO.parent / "shared" / "platforms"
ENTRY_RUNNER = REPO / "platformio_tinyml" / "pio_test_entry.py"
GOLDEN_MAIN = '#include "tinyml_golden_test.c"\n'
PLATFORMIO_ONLY = ("platformio==6.2.0", "scons==4.11.1")

OWN_UNITY_TEST = """#include <unity.h>
#include "tinyml.h"

void setUp(void) {}
void tearDown(void) {}

static void test_the_model_runs(void)
{
    TEST_ASSERT_EQUAL(TINYML_OK, tinyml_init());
    TEST_ASSERT_EQUAL(TINYML_OK, tinyml_invoke());
    TEST_ASSERT_EQUAL_INT(12, tinyml_output_info(0)->bytes);
}

int main(void)
{
    UNITY_BEGIN();
    RUN_TEST(test_the_model_runs);
    return UNITY_END();
}
"""

# A bare-metal firmware of the user's own: vector table, reset handler and linker script, no framework.
BARE_MAIN = """#include <stdint.h>
#include "tinyml.h"

extern uint32_t _estack;
int main(void);
void Reset_Handler(void) { main(); for (;;) {} }
__attribute__((section(".isr_vector"), used)) const void *vectors[2] = {&_estack, Reset_Handler};
void _exit(int status) { (void)status; for (;;) {} }

int main(void)
{
    if (tinyml_init() != TINYML_OK) return 1;
    return tinyml_invoke() == TINYML_OK ? 0 : 2;
}
"""
BARE_LDSCRIPT = """MEMORY {{ FLASH (rx) : ORIGIN = {flash}, LENGTH = 512K  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 64K }}
_estack = ORIGIN(RAM) + LENGTH(RAM);
SECTIONS {{
  .text : {{ KEEP(*(.isr_vector)) *(.text*) *(.rodata*) }} > FLASH
  .ARM.exidx : {{ *(.ARM.exidx*) }} > FLASH
  .data : {{ *(.data*) }} > RAM AT > FLASH
  .bss : {{ *(.bss*) *(COMMON) }} > RAM
}}
"""


def shared_platform(name: str) -> Path:
    folder = SHARED_PLATFORMS / name
    if not folder.is_dir():
        pytest.skip(f"../shared/platforms/{name} not present (copies of PlatformIO's official platforms, "
                    "on the project's machines only)")
    return folder


@pytest.fixture(scope="session")
def platformio_only() -> Path:
    """`pio` of a virtual environment holding PlatformIO and SCons only, as PlatformIO IDE's or pipx's
    (made once per machine, in the cache)."""
    folder = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "platformio-tinyml" / \
        ("test-platformio-only-" + "-".join(PLATFORMIO_ONLY).replace("==", ""))
    python = folder / "bin" / "python"
    if not (folder / ".complete").is_file():
        venv.EnvBuilder(with_pip=True, clear=True).create(folder)
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               *PLATFORMIO_ONLY], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        (folder / ".complete").touch()
    probe = subprocess.run([str(python), "-c", "import numpy"], capture_output=True)
    assert probe.returncode != 0, "the PlatformIO-only Python must not have numpy"
    return folder / "bin" / "pio"


def run(pio: Path, project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # PlatformIO's own environment: none of this checkout's .venv on PATH or in PYTHONPATH.
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["PATH"] = os.pathsep.join(p for p in environment.get("PATH", "").split(os.pathsep)
                                          if not p.startswith(str(REPO)))
    return subprocess.run([str(pio), *args], cwd=project, capture_output=True, text=True, timeout=1800,
                          env={**environment, **(env or {})})


def write_project(folder: Path, ini: str, files: dict[str, str]) -> Path:
    for name, text in {"platformio.ini": ini, "test/test_custom_runner.py": ENTRY_RUNNER.read_text(),
                       **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def passed(result: subprocess.CompletedProcess, cases: int, skipped: int = 0) -> bool:
    skips = f"{skipped} skipped, " if skipped else ""
    return result.returncode == 0 and f"{cases} test cases: {skips}{cases - skipped} succeeded" in result.stdout


def device_report(project: Path, env: str) -> dict:
    return json.loads((project / ".pio" / "build" / env / "tinyml" / "device_report.json").read_text())


def hook_seconds(output: str) -> list[float]:
    return [float(s) for s in re.findall(r"tinyml: model ready, .*\((\d+\.\d+) s in all\)", output)]


@requires_tensorflow
def test_platformio_only_python_converts_builds_and_passes_the_golden_suite(platformio_only, tmp_path_factory):
    """The README's "Use it in your project": lib_deps and an ONNX model, nothing installed by hand.
    `pio test` comes first, on a project whose libraries PlatformIO has not installed yet."""
    models = float_models(tmp_path_factory.getbasetemp())
    project = write_project(tmp_path_factory.mktemp("user") / "project", f"""[platformio]
platforms_dir = .pio/platforms

[env:m55]
platform = symlink://{REPO}/platformio_tinyml/platform
board = corstone300
lib_deps = symlink://{REPO}
custom_tinyml_model = {models}/mlp.onnx
custom_tinyml_calibration = {models}/mlp_calibration.npy
test_framework = custom
""", {"src/main.c": BARE_MAIN.split("extern uint32_t")[0] + "int main(void) { return tinyml_init(); }\n",
      "test/test_tinyml_golden/test_main.c": GOLDEN_MAIN})
    # A conversion cache of its own, so that the model is really converted, by the managed Python.
    cache = {"PLATFORMIO_TINYML_CACHE_DIR": str(tmp_path_factory.mktemp("user-cache"))}

    tested = run(platformio_only, project, "test", env=cache)
    assert passed(tested, 9), tested.stdout[-4000:] + tested.stderr[-2000:]
    work = project / ".pio" / "build" / "m55" / "tinyml"
    result = json.loads((work / "pipeline_result.json").read_text())
    assert result["how"] == "converted from onnx"
    assert "/tinyml/python" in result["python"], result["python"]  # the environment the library manages
    assert (work / "conversion.log").is_file()  # converted now, not taken from a cache

    built = run(platformio_only, project, "run", env=cache)
    assert built.returncode == 0 and "Linking .pio/build/m55/firmware.elf" in built.stdout, built.stdout[-3000:]
    again = run(platformio_only, project, "run", env=cache)
    assert again.returncode == 0 and "nothing changed since the last build" in again.stdout
    assert hook_seconds(again.stdout)[0] < 1.0
    print(f"\nFIGURE PlatformIO-only Python: second pio run, hook {hook_seconds(again.stdout)[0]} s")


def test_official_arm_boards_link_and_pass_golden_and_own_tests(platformio_only, tmp_path):
    """ststm32 (nucleo_f401re M4, nucleo_f746zg M7, nucleo_l552ze_q M33) and nordicnrf52 (nrf52840_dk),
    bare builds: the user's firmware links with its own start-up; `pio test` runs the library's test
    image in QEMU, bit-exact."""
    stm32, nrf52 = shared_platform("platform-ststm32"), shared_platform("platform-nordicnrf52")
    kws, hello = shared_model_path("kws_ref_model.tflite"), shared_model_path("hello_world_int8.tflite")
    offline = official_platform_packages_line() or ""
    boards = {"f401": (stm32, "nucleo_f401re", "stm32.ld"), "f746": (stm32, "nucleo_f746zg", "stm32.ld"),
              "nrf52840": (nrf52, "nrf52840_dk", "nrf52.ld"), "l552": (stm32, "nucleo_l552ze_q", "stm32.ld")}
    sections = "".join(f"\n[env:{env}]\nplatform = symlink://{platform}\nboard = {board}\n"
                       f"board_build.ldscript = {script}\n{offline}\n" for env, (platform, board, script) in boards.items())
    project = write_project(tmp_path / "project", f"""[platformio]
platforms_dir = .pio/platforms

[env]
lib_deps = symlink://{REPO}
custom_tinyml_model = {kws}
test_framework = custom
{sections}
[env:f401_profile]
platform = symlink://{stm32}
board = nucleo_f401re
board_build.ldscript = stm32.ld
{offline}
custom_tinyml_profile = yes

[env:f401_fpu]
platform = symlink://{stm32}
board = nucleo_f401re
board_build.ldscript = stm32.ld
{offline}
build_flags = -mfpu=fpv4-sp-d16 -mfloat-abi=hard

[env:f030r8]
platform = symlink://{stm32}
board = nucleo_f030r8
board_build.ldscript = stm32_small.ld
{offline}
custom_tinyml_model = {hello}

[env:stm32f405]
platform = symlink://{REPO}/platformio_tinyml/platform
board = stm32f405
""", {"src/main.c": BARE_MAIN, "stm32_small.ld": BARE_LDSCRIPT.format(flash="0x08000000").replace("64K", "8K"), "stm32.ld": BARE_LDSCRIPT.format(flash="0x08000000"),
      "nrf52.ld": BARE_LDSCRIPT.format(flash="0x00000000"),
      "test/test_tinyml_golden/test_main.c": GOLDEN_MAIN, "test/test_own/test_main.c": OWN_UNITY_TEST})

    built = run(platformio_only, project, "run", *(f"--environment={env}" for env in boards))
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]
    for env in boards:
        assert f"Linking .pio/build/{env}/firmware.elf" in built.stdout

    tested = run(platformio_only, project, "test", *(f"--environment={env}" for env in (*boards, "stm32f405")))
    assert passed(tested, 5 * 10), tested.stdout[-5000:] + tested.stderr[-2000:]
    for env, machine in (("f401", "netduinoplus2"), ("f746", "mps2-an500"), ("nrf52840", "mps2-an386"),
                         ("l552", "mps2-an505")):
        assert f"emulated as QEMU {machine}" in tested.stdout
        assert device_report(project, env)["instructions_per_sample"]
    # Like with like: our stm32f405 board compiles with the FPU on (-mfpu=fpv4-sp-d16, hard float);
    # the official bare builder passes no FPU flags unless the project's build_flags do.
    fpu = run(platformio_only, project, "test", "-e", "f401_fpu", "-f", "test_tinyml_golden")
    assert passed(fpu, 9), fpu.stdout[-3000:]
    ours, official, official_fpu = (max(device_report(project, env)["instructions_per_sample"].values())
                                    for env in ("stm32f405", "f401", "f401_fpu"))
    assert abs(official_fpu - ours) / ours < 0.01, (official_fpu, ours)
    print(f"\nFIGURE KWS instructions per inference: our stm32f405 {ours:,}; nucleo_f401re {official:,} "
          f"(builder's flags, no FPU), {official_fpu:,} (with the FPU flags of stm32f405)")

    # Cortex-M0 (8 KiB of RAM: a small model, a 1 KiB default stack reserve): Armv6-M code on the M3.
    small = run(platformio_only, project, "run", "-e", "f030r8")
    assert small.returncode == 0 and "Linking .pio/build/f030r8/firmware.elf" in small.stdout, small.stdout[-3000:]
    small = run(platformio_only, project, "test", "-e", "f030r8", "-f", "test_tinyml_golden")
    assert passed(small, 9) and "emulated as QEMU mps2-an385" in small.stdout, small.stdout[-3000:]
    assert device_report(project, "f030r8")["stack_size"] == 1024

    profiled = run(platformio_only, project, "test", "-e", "f401_profile", "-f", "test_tinyml_golden")
    assert passed(profiled, 9), profiled.stdout[-3000:]
    assert re.search(r"^\s+0\s+CONV_2D\s+\[1,49,10,1\] -> \[1,25,5,64\]\s+[\d,]+\s+[\d.]+%$", profiled.stdout, re.M)
    assert len(device_report(project, "f401_profile")["ops"]) == 12


def test_official_native_platform_with_and_without_a_board(platformio_only, tmp_path):
    native = shared_platform("platform-native")
    kws = shared_model_path("kws_ref_model.tflite")
    project = write_project(tmp_path / "project", f"""[platformio]
platforms_dir = .pio/platforms

[env]
platform = symlink://{native}
lib_deps = symlink://{REPO}
custom_tinyml_model = {kws}
test_framework = custom

[env:host]

[env:board]
board = myhost
""", {"src/main.c": '#include "tinyml.h"\nint main(void) { return tinyml_init() || tinyml_invoke(); }\n',
      "test/test_tinyml_golden/test_main.c": GOLDEN_MAIN,
      "boards/myhost.json": json.dumps({"name": "My host board", "url": "https://example.com", "vendor": "Me",
                                        "build": {"mcu": "x86_64", "f_cpu": "1000000000L"},
                                        "upload": {"maximum_ram_size": 1 << 30, "maximum_size": 1 << 30},
                                        "frameworks": []})})
    tested = run(platformio_only, project, "test")
    # The host has no stack reserve to check: that case is skipped in each.
    assert passed(tested, 18, skipped=2), tested.stdout[-4000:] + tested.stderr[-2000:]
    assert tested.stdout.count("Testing on the host") == 2
    built = run(platformio_only, project, "run")
    assert built.returncode == 0 and "Linking .pio/build/host/program" in built.stdout, built.stdout[-3000:]
    assert subprocess.run([str(project / ".pio" / "build" / "host" / "program")]).returncode == 0


def test_a_board_without_an_emulator_says_which_and_what_to_set(platformio_only, tmp_path):
    """A Cortex-M85 board (a manifest of the project's own, on ststm32): no QEMU machine runs that core."""
    stm32 = shared_platform("platform-ststm32")
    m85 = {"name": "Cortex-M85 board", "url": "https://example.com", "vendor": "Me", "frameworks": [],
           "build": {"cpu": "cortex-m85", "mcu": "acme85", "f_cpu": "400000000L"},
           "upload": {"maximum_size": 1 << 21, "maximum_ram_size": 1 << 20, "protocol": "stlink"}}
    project = write_project(tmp_path / "project", f"""[platformio]
platforms_dir = .pio/platforms

[env]
platform = symlink://{stm32}
lib_deps = symlink://{REPO}
test_framework = custom
{official_platform_packages_line() or ""}

[env:m85]
board = acme85

[env:f746_on_m4]
board = nucleo_f746zg
custom_tinyml_qemu_machine = mps2-an386
""", {"test/test_own/test_main.c": OWN_UNITY_TEST.replace("12, tinyml_output_info", "12 + 0 * (int)tinyml_output_info"),
      "boards/acme85.json": json.dumps(m85)})
    for env, message in (
        ("m85", "board 'acme85' (MCU acme85, core cortex-m85) has no emulator known to platformio-tinyml: "
                "`pio test` runs on QEMU machines with the cores"),
        ("f746_on_m4", "custom_tinyml_qemu_machine = mps2-an386: that machine is a cortex-m4, but board "
                       "'nucleo_f746zg' is a cortex-m7; its code would not run there."),
    ):
        tested = run(platformio_only, project, "test", "-e", env, "-v")
        output = tested.stdout + tested.stderr
        assert tested.returncode != 0 and message in output, output[-3000:]
        assert "custom_tinyml_qemu_machine" in output and "Traceback" not in output


def test_the_examples_runner_files_are_the_librarys():
    runners = list(REPO.glob("examples/*/test/test_custom_runner.py"))
    assert len(runners) == 4 and all(runner.resolve() == ENTRY_RUNNER for runner in runners), runners


def test_the_hook_and_runner_need_only_the_standard_library_and_platformio(platformio_only):
    python = platformio_only.with_name("python")
    code = "import platformio_tinyml.build_hook, platformio_tinyml.pio_test, platformio_tinyml.test_image"
    done = subprocess.run([str(python), "-c", code], cwd=REPO, capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HOME": os.environ["HOME"]})
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_pipeline_python_without_the_packages_is_refused_with_the_command(platformio_only, tmp_path):
    from platformio_tinyml.provision import ProvisionError, pipeline_python
    from platformio_tinyml.python_packages import REFERENCE

    python = str(platformio_only.with_name("python"))
    with pytest.raises(ProvisionError) as refused:
        pipeline_python((REFERENCE,), tmp_path, python, lambda line: None)
    assert f"custom_tinyml_python = {python}: it cannot import numpy, tflite_micro" in str(refused.value)
    assert f"{python} -m pip install 'numpy==" in str(refused.value)
