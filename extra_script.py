"""PlatformIO runs this for every project that has platformio-tinyml in lib_deps
(library.json `build.extraScript`). The work is in platformio_tinyml/build_hook.py (and pipeline.py, which it runs)."""

import os
import sys

Import("env")  # noqa: F821 (SCons provides it)

# PlatformIO runs library scripts from the library's folder. Putting it first on the path makes the
# Python package the one beside these C sources, even when another version is installed.
LIBRARY_ROOT = os.getcwd()
if sys.path[:1] != [LIBRARY_ROOT]:
    sys.path.insert(0, LIBRARY_ROOT)

from pathlib import Path  # noqa: E402

from platformio_tinyml.build_hook import run  # noqa: E402

run(env, Path(LIBRARY_ROOT))  # noqa: F821
