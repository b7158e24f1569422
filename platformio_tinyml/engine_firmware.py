"""Firmware around a generated engine, built and run by PlatformIO: for the engine's tests
(test/test_engine_bit_exact.py) and scripts/bench_engine.

One PlatformIO project folder per board is reused for every model: only the generated sources
change between builds, so CMSIS-NN is compiled once per board (and `build_cache_dir` shares
objects between runs of the same folder)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from .engine import generate_engine
from .golden import reference_outputs as golden_reference_outputs
from .graph import read_model, verify_model
from .model_array import write_model_sources
from .offline_setup import cmsis_nn_dir

PACKAGE_DIR = Path(__file__).resolve().parent
PLATFORM_DIR = PACKAGE_DIR / "platform"
RUNTIME_DIR = PACKAGE_DIR / "runtime"
BOARD_CPUS = {"native": "host", "nrf52840": "cortex-m4", "stm32f405": "cortex-m4",
              "stm32f746": "cortex-m7", "corstone300": "cortex-m55"}

# Prints which CMSIS-NN path the compiler selected, from its predefined macros.
KERNEL_PATH_PRINT = """
#if defined(ARM_MATH_MVEI)
    printf("PATH MVE\\n");
#elif defined(ARM_MATH_DSP)
    printf("PATH DSP\\n");
#else
    printf("PATH plain C\\n");
#endif
"""


def pio() -> str:
    found = Path(sys.executable).with_name("pio")
    return str(found) if found.exists() else "pio"


def write_project(project: Path, board: str, cache_dir: Path, src_flags: str = "") -> None:
    """A PlatformIO project for `board`; src_flags (e.g. -DTINYML_PROFILE) apply to the project's
    sources (engine, runtime), not to CMSIS-NN, whose cached objects stay valid."""
    (project / "src").mkdir(parents=True, exist_ok=True)
    (project / "include").mkdir(parents=True, exist_ok=True)
    ini = (f"[platformio]\nplatforms_dir = .pio/platforms\nbuild_cache_dir = {cache_dir}\n\n"
           f"[env:{board}]\nplatform = symlink://{PLATFORM_DIR}\nboard = {board}\n"
           f"lib_deps = symlink://{cmsis_nn_dir()}\ncustom_tinyml_emulator_timeout = 300\n"
           + (f"build_src_flags = {src_flags}\n" if src_flags else ""))
    path = project / "platformio.ini"
    if not path.is_file() or path.read_text() != ini:
        path.write_text(ini)


def write_engine(project: Path, board: str, model_bytes: bytes, main_c: str, source: str = "model.tflite",
                 labels: tuple[str, ...] = ()):
    """Generated model array + engine + our runtime + main.c into the project; the engine report."""
    src, include = project / "src", project / "include"
    model = read_model(model_bytes, source)
    verify_model(model)
    write_model_sources(src, model_bytes, model, f"from {source}", labels)
    report = generate_engine(model, model_bytes, src, BOARD_CPUS[board])
    for header in (RUNTIME_DIR / "include").glob("*.h"):
        shutil.copyfile(header, include / header.name)
    for runtime_source in [*(RUNTIME_DIR / "src").glob("*.c"), *(RUNTIME_DIR / "src").glob("*.h")]:
        shutil.copyfile(runtime_source, src / runtime_source.name)
    (src / "main.c").write_text(main_c)
    return model, report


def run_firmware(project: Path, board: str, timeout: float = 900) -> str:
    """Builds and runs (QEMU, or the host for native); the firmware's output. Raises on failure."""
    result = subprocess.run([pio(), "run", "-e", board, "-t", "exec"], cwd=project, capture_output=True,
                            text=True, timeout=timeout, env={**os.environ, "PLATFORMIO_NO_ANSI": "1"})
    if result.returncode != 0:
        raise RuntimeError(f"pio run -e {board} -t exec failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return result.stdout


def raw_bytes(array: np.ndarray) -> np.ndarray:
    """An input or output as the int8 bytes in memory (float tensors byte by byte)."""
    array = np.ascontiguousarray(array)
    return array.reshape(-1) if array.dtype == np.int8 else array.reshape(-1).view(np.int8)


def c_bytes(array: np.ndarray) -> str:
    return ", ".join(str(int(v)) for v in raw_bytes(array))


def inference_main(cases: list[list[np.ndarray]], keep_state_before: tuple[int, ...] = ()) -> str:
    """main.c: runs every case (one array per model input) and prints each output as 'OUT c o: bytes';
    tinyml_reset_state() before each case (as reference_outputs() resets), except those numbered in
    `keep_state_before`, which run on the state the case before left."""
    inputs = len(cases[0])
    tables = "\n".join(
        f"static const int8_t case_input{i}[{len(cases)}][{raw_bytes(cases[0][i]).size}] = {{\n"
        + ",\n".join(f"    {{{c_bytes(case[i])}}}" for case in cases) + "\n};" for i in range(inputs))
    copies = "\n".join(f"        memcpy(tinyml_input({i}), case_input{i}[c], sizeof case_input{i}[c]);"
                       for i in range(inputs))
    kept = " && ".join(f"c != {c}" for c in keep_state_before) or "1"
    resets = f"        if ({kept}) {{\n            tinyml_reset_state();\n        }}\n"
    return f"""#include <stdio.h>
#include <string.h>
#include "arm_nnfunctions.h"
#include "tinyml.h"

{tables}

int main(void)
{{
    {KERNEL_PATH_PRINT}
    tinyml_status status = tinyml_init();
    if (status != TINYML_OK) {{
        printf("INIT FAILED %d\\n", (int)status);
        return 1;
    }}
    for (int c = 0; c < {len(cases)}; c++) {{
{resets}{copies}
        status = tinyml_invoke();
        if (status != TINYML_OK) {{
            printf("INVOKE FAILED %d at op %d\\n", (int)status, tinyml_failed_op());
            return 1;
        }}
        for (int o = 0; o < tinyml_output_count(); o++) {{
            const int8_t *out = tinyml_output(o);
            printf("OUT %d %d:", c, o);
            for (size_t k = 0; k < tinyml_output_info(o)->bytes; k++) {{
                printf(" %d", out[k]);
            }}
            printf("\\n");
        }}
    }}
    return 0;
}}
"""


def parse_outputs(stdout: str) -> dict[tuple[int, int], np.ndarray]:
    """(case, output) -> the bytes the firmware printed."""
    found = {}
    for match in re.finditer(r"^OUT (\d+) (\d+):([-\d ]*)$", stdout, re.MULTILINE):
        found[(int(match[1]), int(match[2]))] = np.array(match[3].split(), dtype=np.int64).astype(np.int8)
    return found


def kernel_path_printed(stdout: str) -> str:
    match = re.search(r"^PATH (.+)$", stdout, re.MULTILINE)
    return match[1].strip() if match else "?"


def random_cases(model, count: int, seed: int) -> list[list[np.ndarray]]:
    """`count` int8 (or int16) inputs: half uniform over the type's range, half near each input's zero
    point (where real data lives, so outputs do not all saturate)."""
    graph = model.subgraphs[0]
    rng = np.random.default_rng(seed)
    cases = []
    for number in range(count):
        case = []
        for index in graph.inputs:
            tensor = graph.tensors[index]
            zero_point = tensor.quantization.zero_point[0] if tensor.quantization else 0
            if tensor.dtype == "float32":
                case.append(rng.normal(0, 3, size=tensor.shape).astype(np.float32))
                continue
            if tensor.dtype == "int16":
                spread = 32768 if number % 2 == 0 else 6000
                low = 0 if tensor.name.startswith("positive") else -spread  # RSQRT's: defined from 0 up
                case.append(np.clip(rng.integers(low, spread, size=tensor.shape), -32768, 32767).astype(np.int16))
                continue
            if tensor.name.startswith("positive"):  # RSQRT's input: only reals above 0 are defined
                case.append(rng.integers(min(zero_point + 1, 127), 128, size=tensor.shape).astype(np.int8))
                continue
            if number % 2 == 0:
                values = rng.integers(-128, 128, size=tensor.shape)
            else:
                values = np.clip(np.round(rng.normal(zero_point, 24, size=tensor.shape)), -128, 127)
            if tensor.name.startswith("nonzero"):  # a divisor: never its zero point (x / 0 is undefined)
                values = np.where(values == zero_point, zero_point + (1 if zero_point < 127 else -1), values)
            case.append(values.astype(np.int8))
        cases.append(case)
    return cases


def reference_outputs(model_bytes: bytes, cases: list[list[np.ndarray]], keep_state: bool = False
                      ) -> list[list[np.ndarray]]:
    """TFLite Micro's reference kernels on the host (the golden suite's own function), as raw bytes;
    each case from a reset state unless keep_state."""
    output_count = len(read_model(model_bytes).subgraphs[0].outputs)
    samples = golden_reference_outputs(model_bytes, [tuple(case) for case in cases], output_count,
                                       keep_state=keep_state)
    return [[raw_bytes(output) for output in sample.expected] for sample in samples]
