"""The platform for real: PlatformIO builds firmware with the Arm toolchain and runs it in QEMU.

Each test here runs real `pio` commands; nothing is mocked."""

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import REPO, run_pio

EMULATED_ENVS = ["stm32f405", "nrf52840", "stm32f746", "corstone300"]

UNITY_FAILING = """
#include <unity.h>
void setUp(void) {}
void tearDown(void) {}
static void test_passes(void) { TEST_ASSERT_EQUAL_INT(4, 2 + 2); }
static void test_fails_on_purpose(void) { TEST_ASSERT_EQUAL_INT_MESSAGE(5, 2 + 2, "arithmetic"); }
int main(void) { UNITY_BEGIN(); RUN_TEST(test_passes); RUN_TEST(test_fails_on_purpose); return UNITY_END(); }
"""

HANGING = """
#include <stdio.h>
#include <unity.h>
void setUp(void) {}
void tearDown(void) {}
static void test_never_returns(void) { printf("about to hang\\n"); fflush(stdout); for (;;) {} }
int main(void) { UNITY_BEGIN(); RUN_TEST(test_never_returns); return UNITY_END(); }
"""

FAULTING = """
#include <stdio.h>
#include <stdint.h>
__attribute__((noinline)) static void poke_unmapped(void) { *(volatile uint32_t *)0xFFFFFFF0u = 1u; }
int main(void) { printf("before the fault\\n"); poke_unmapped(); printf("not reached\\n"); return 0; }
"""

def recursion(function: str, frame_words: int, depth: int) -> str:
    """main.c recursing `depth` calls deep into `function`, each with a frame of `frame_words` words."""
    return f"""
#include <stdint.h>
#include <stdio.h>
__attribute__((noinline)) static int32_t {function}(int32_t depth) {{
    volatile int32_t frame[{frame_words}];
    frame[0] = depth;
    return depth == 0 ? 0 : {function}(depth - 1) + frame[0];
}}
int main(void) {{ printf("%ld\\n", (long){function}({depth})); return 0; }}
"""


OVERFLOWING = recursion("deep", 256, 100)
# A user's report: small frames overflowing a small stack. The stack is then too full for the
# exception frame, and the fault report ran on that stack too (a lock-up on the M55, nothing on the M4).
SMALL_FRAMES = recursion("recurse", 16, 40)

COUNTING = """
#include <stdio.h>
#include <stdint.h>
#include "tinyml_board.h"
static volatile int32_t acc;
int main(void) {
    uint64_t start = tinyml_instructions();
    for (int32_t i = 0; i < 200000; i++) { acc += i * 3; }
    printf("instructions: %lu\\n", (unsigned long)(tinyml_instructions() - start));
    return 0;
}
"""

TEST_RUNNER = "from platformio_tinyml.pio_test import CustomTestRunner  # noqa: F401\n"


def junit_cases(path: Path) -> dict[str, dict[str, str]]:
    """suite name -> {test case name: 'passed' | 'failed: message' | 'error: message' | 'skipped'}"""
    suites = {}
    for suite in ET.parse(path).getroot().iter("testsuite"):
        cases = {}
        for case in suite.iter("testcase"):
            outcome = "passed"
            for kind in ("failure", "error", "skipped"):
                element = case.find(kind)
                if element is not None:
                    outcome = f"{kind}: {element.get('message') or element.text or ''}"
            cases[case.get("name")] = outcome
        suites[suite.get("name")] = cases
    return suites


def test_repository_suites_pass_on_every_board(tmp_path):
    junit = tmp_path / "junit.xml"
    done = run_pio(REPO, "test", "--junit-output-path", str(junit))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    suites = junit_cases(junit)
    ran = {name for name, cases in suites.items() if cases}
    assert ran == {f"{env}:test_board" for env in EMULATED_ENVS + ["native"]}  # esp32s3 is not a default env
    for env in EMULATED_ENVS:
        cases = suites[f"{env}:test_board"]
        assert cases["test_instruction_counter_counts_work"] == "passed"
        assert cases["test_floating_point"] == "passed"
    assert suites["corstone300:test_board"]["test_helium_dot_product"] == "passed"
    assert suites["nrf52840:test_board"]["test_helium_dot_product"].startswith("skipped")


@pytest.mark.parametrize("env", ["nrf52840", "corstone300"])
def test_a_failing_test_is_reported_as_failed(make_project, tmp_path, env):
    project = make_project(
        {"test/test_custom_runner.py": TEST_RUNNER, "test/test_math/test_main.c": UNITY_FAILING},
        {env: env},
        "test_framework = custom",
    )
    junit = tmp_path / "junit.xml"
    done = run_pio(project, "test", "--junit-output-path", str(junit))
    assert done.returncode != 0
    cases = junit_cases(junit)[f"{env}:test_math"]
    assert cases["test_passes"] == "passed"
    assert cases["test_fails_on_purpose"].startswith("failure: Expected 5 Was 4. arithmetic")
    assert "1 failed, 1 succeeded" in done.stdout + done.stderr


def test_a_hanging_firmware_is_stopped_and_reported(make_project):
    project = make_project(
        {"test/test_custom_runner.py": TEST_RUNNER, "test/test_hang/test_main.c": HANGING},
        {"m4": "nrf52840"},
        "test_framework = custom\ncustom_tinyml_emulator_timeout = 3",
    )
    done = run_pio(project, "test", timeout=120)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "firmware did not finish within 3 s (wall clock) on QEMU mps2-an386" in output
    assert "about to hang" in output
    assert "ERRORED" in output


def test_a_fault_is_named_with_its_place(make_project):
    project = make_project({"src/main.c": FAULTING}, {"m55": "corstone300"})
    done = run_pio(project, "run", "-t", "exec")
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "before the fault" in output and "not reached" not in output
    assert re.search(
        r"firmware faulted on QEMU mps3-an547: BusFault at pc=0x[0-9a-f]{8} \(poke_unmapped, main\.c:4\): "
        r"PRECISERR: precise bus error on a data access; fault address 0xfffffff0",
        output,
    ), output


def test_stack_overflow_faults_on_armv8m(make_project):
    project = make_project({"src/main.c": OVERFLOWING}, {"m55": "corstone300"})
    done = run_pio(project, "run", "-t", "exec")
    assert done.returncode != 0
    assert re.search(r"UsageFault at pc=0x[0-9a-f]{8} \(deep, main\.c:\d+\): STKOF: stack overflow", done.stdout), (
        done.stdout
    )


STACK_OVERFLOW_NAMED = {
    # Armv8-M: the stack limit register.
    "corstone300": r"UsageFault in a call from 0x[0-9a-f]{8} \(recurse, main\.c:\d+\): STKOF: stack overflow",
    # Armv7-M: the MPU guard under the stack.
    **dict.fromkeys(("nrf52840", "stm32f405", "stm32f746"),
                    r"MemManage in a call from 0x[0-9a-f]{8} \(recurse, main\.c:\d+\): stack overflow: "
                    r"the stack guard at 0x[0-9a-f]{8} was hit"),
}


@pytest.mark.parametrize("board", STACK_OVERFLOW_NAMED)
def test_a_stack_overflow_in_small_frames_is_named(make_project, board):
    project = make_project({"src/main.c": SMALL_FRAMES}, {"env": board}, "board_tinyml.stack_size = 2048")
    done = run_pio(project, "run", "-t", "exec")
    assert done.returncode != 0
    assert re.search(STACK_OVERFLOW_NAMED[board] + r".*the stack had no room for the exception frame, so the faulting pc is not known",
                     done.stdout), done.stdout


def test_instruction_counts_are_identical_run_to_run(make_project):
    project = make_project({"src/main.c": COUNTING}, {"m4": "stm32f405", "m55": "corstone300"})
    for env in ("m4", "m55"):
        assert run_pio(project, "run", "-e", env).returncode == 0
        firmware = project / ".pio" / "build" / env / "firmware.elf"
        board = "stm32f405" if env == "m4" else "corstone300"
        runs = [
            subprocess.run(
                [sys.executable, "-m", "platformio_tinyml.cli", "run", "--board", board, str(firmware)],
                capture_output=True, text=True, timeout=60,
            )
            for _ in range(2)
        ]
        counts = [re.search(r"instructions: (\d+)", run.stdout).group(1) for run in runs]
        assert counts[0] == counts[1], counts
        assert int(counts[0]) > 200000 * 3  # at least a few instructions per loop iteration


def test_esp32s3_stops_and_says_why(make_project):
    project = make_project({"src/main.c": "int main(void) { return 0; }\n"}, {"s3": "esp32s3"})
    done = run_pio(project, "run")
    assert done.returncode != 0
    assert "needs the xtensa-esp32s3-elf-gcc compiler, which is not installed here" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_missing_toolchain_says_run_setup(make_project, tmp_path):
    from platformio_tinyml.offline_setup import platformio_packages_dir

    packages = tmp_path / "packages"
    packages.mkdir()
    (packages / "tool-scons").symlink_to(platformio_packages_dir() / "tool-scons")
    project = make_project({"src/main.c": "int main(void) { return 0; }\n"}, {"m4": "nrf52840"})
    done = run_pio(project, "run", env={"PLATFORMIO_PACKAGES_DIR": str(packages)})
    assert done.returncode != 0
    assert "needs the Arm GCC toolchain" in done.stderr and "Run `tinyml setup` once" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
