"""Which CMSIS-NN code path a core compiles, from the board's `build.cpu` (ESP32s: `build.mcu`).

CMSIS-NN picks its path from the compiler's predefined macros: __ARM_FEATURE_MVE (Helium) -> MVE,
__ARM_FEATURE_DSP -> DSP, else plain C. Scratch-buffer sizes depend on the path, so the planner
must know it at build time; the generated C checks at compile time that it guessed right.
"""

from __future__ import annotations

from enum import Enum

from .errors import UnknownCoreError


class KernelPath(Enum):
    PLAIN_C = "plain C"
    DSP = "DSP"
    MVE = "MVE"


# build.cpu of a board -> the path its compiler selects with the board's default flags.
KERNEL_PATHS = {
    "cortex-m0": KernelPath.PLAIN_C,
    "cortex-m0plus": KernelPath.PLAIN_C,
    "cortex-m3": KernelPath.PLAIN_C,
    "cortex-m4": KernelPath.DSP,
    "cortex-m7": KernelPath.DSP,
    "cortex-m33": KernelPath.DSP,
    "cortex-m55": KernelPath.MVE,
    "cortex-m85": KernelPath.MVE,
    # Xtensa (ESP32 family, named by build.mcu: no espressif32 manifest has build.cpu): CMSIS-NN's
    # portable C; where esp-nn exists its kernels are chosen when the schedule is compiled.
    "esp32": KernelPath.PLAIN_C,
    "esp32s2": KernelPath.PLAIN_C,
    "esp32s3": KernelPath.PLAIN_C,
    "host": KernelPath.PLAIN_C,
}


def kernel_path(cpu: str) -> KernelPath:
    """The CMSIS-NN path for a board's `build.cpu` (or a KernelPath passed through)."""
    if isinstance(cpu, KernelPath):
        return cpu
    try:
        return KERNEL_PATHS[cpu.lower()]
    except KeyError:
        known = ", ".join(sorted(KERNEL_PATHS))
        raise UnknownCoreError(f"no CMSIS-NN kernel path known for core '{cpu}' (known: {known})") from None


# Preprocessor test (after arm_nnfunctions.h) true exactly when CMSIS-NN compiled `path`.
PATH_PREPROCESSOR_TEST = {
    KernelPath.MVE: "defined(ARM_MATH_MVEI)",
    KernelPath.DSP: "defined(ARM_MATH_DSP) && !defined(ARM_MATH_MVEI)",
    KernelPath.PLAIN_C: "!defined(ARM_MATH_DSP) && !defined(ARM_MATH_MVEI)",
}
