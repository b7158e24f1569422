"""PlatformIO runs this for every project that has platformio-tinyml in lib_deps (library.json
`build.extraScript`), inside its own interpreter. The work is in build_hook.py (and pipeline.py,
which it runs in a Python that has the model tools)."""

import os
import sys
from pathlib import Path

Import("env")  # noqa: F821 (SCons provides it)

# PlatformIO runs a library's script from the script's folder: this package. Its parent goes first
# on the path, so the package is the one beside these C sources even when another is installed.
PACKAGE_PARENT = str(Path(os.getcwd()).resolve().parent)
if sys.path[:1] != [PACKAGE_PARENT]:
    sys.path.insert(0, PACKAGE_PARENT)

from platformio_tinyml.build_hook import run  # noqa: E402

run(env, Path(PACKAGE_PARENT))  # noqa: F821
