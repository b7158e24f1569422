"""`tinyml setup`: make the real PlatformIO work on a machine that reaches only PyPI and Debian.

Each step checks first and does nothing when its part is already in place, so a second run on a
ready machine takes about a second. The steps:
  1. Debian packages: the Arm cross compiler, newlib with semihosting, QEMU for Arm.
  2. PlatformIO's core package `tool-scons`, seeded from the SCons pip installed beside PlatformIO.
  3. The system Arm GCC registered as PlatformIO's `toolchain-gccarmnoneeabi` package.
  4. CMSIS-NN sources, unpacked from the `aidge-export-arm-cortexm` wheel on PyPI.
  5. The Unity C test framework, unpacked from the `cryptoauthlib` source package on PyPI.
  6. PlatformIO settings that stop it from calling home (telemetry, update checks).
Every package written here is built in a scratch folder and moved into place whole, so an
interrupted set-up leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

DEBIAN_PACKAGES = {
    # what must exist -> the Debian package that provides it
    "arm-none-eabi-gcc": "gcc-arm-none-eabi",
    "rdimon.specs": "libnewlib-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
}

CMSIS_NN_WHEEL = ("aidge-export-arm-cortexm", "0.2.1")
CMSIS_NN_PREFIX = "aidge_export_arm_cortexm/_CMSIS-NN/CMSIS-NN/"
CMSIS_NN_UPSTREAM = "ARM-software/CMSIS-NN commit 3b4e406b (2024-01-19)"
CMSIS_NN_SOURCE_COUNT = 90

UNITY_SDIST = ("cryptoauthlib", "20260505")
UNITY_FILES = ("unity.c", "unity.h", "unity_internals.h")

# Unity's licence text (MIT): the source package carries the code without it, and the code says
# "Released under MIT License. Please refer to license.txt for details".
UNITY_LICENSE = """The MIT License (MIT)

Copyright (c) 2007-19 Mike Karlesky, Mark VanderVoord, Greg Williams

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
"""

TOOLCHAIN_PACKAGE = "toolchain-gccarmnoneeabi"
CMSIS_NN_PACKAGE = "framework-cmsis-nn"
UNITY_PACKAGE = "tinyml-unity"


class SetupError(RuntimeError):
    """A set-up step could not be done; the message says what to do."""


@dataclass(frozen=True)
class StepResult:
    name: str
    changed: bool
    detail: str


# ---- where PlatformIO keeps things --------------------------------------------------------------


def platformio_packages_dir() -> Path:
    from platformio.project.config import ProjectConfig

    return Path(ProjectConfig.get_instance().get("platformio", "packages_dir"))


def download_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "platformio-tinyml"


def _write_package(destination: Path, fill: Callable[[Path], None]) -> None:
    """Builds a package folder in scratch space next to `destination`, then swaps it in whole."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        fill(scratch)
        if destination.is_symlink() or destination.is_file():
            destination.unlink()
        elif destination.exists():
            shutil.rmtree(destination)
        scratch.rename(destination)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _piopm(name: str, version: str, package_type: str = "tool") -> dict:
    # PlatformIO's record of an installed package; owner "platformio" makes it match the specs
    # that platforms and PlatformIO Core ask for.
    return {
        "type": package_type,
        "name": name,
        "version": version,
        "spec": {"owner": "platformio", "id": None, "name": name, "requirements": None, "uri": None},
    }


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ---- 1. Debian packages -------------------------------------------------------------------------


def _newlib_present() -> bool:
    gcc = shutil.which("arm-none-eabi-gcc")
    if not gcc:
        return False
    found = subprocess.run([gcc, "-print-file-name=rdimon.specs"], capture_output=True, text=True).stdout.strip()
    return os.path.isabs(found) and os.path.isfile(found)


def missing_debian_packages() -> list[str]:
    missing = []
    for what, package in DEBIAN_PACKAGES.items():
        present = _newlib_present() if what == "rdimon.specs" else shutil.which(what) is not None
        if not present:
            missing.append(package)
    return missing


def ensure_debian_packages() -> StepResult:
    missing = missing_debian_packages()
    if not missing:
        return StepResult("Debian packages", False, "arm-none-eabi-gcc, newlib, qemu-system-arm present")
    command = "apt-get update && apt-get install -y --no-install-recommends " + " ".join(missing)
    if os.geteuid() != 0:
        raise SetupError(
            f"these Debian packages are missing: {', '.join(missing)}. Install them with:\n    sudo {command}"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
    if done.returncode != 0 or missing_debian_packages():
        raise SetupError(f"`{command}` failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return StepResult("Debian packages", True, "installed " + ", ".join(missing))


# ---- 2. tool-scons ------------------------------------------------------------------------------

SCONS_LAUNCHER = '''\
"""Written by `tinyml setup`: runs the SCons that pip installed beside PlatformIO."""
import sys

from SCons.Script.Main import main

if __name__ == "__main__":
    sys.exit(main())
'''


def _scons_package_version() -> str:
    from platformio.dependencies import get_core_dependencies

    spec = get_core_dependencies()["tool-scons"]  # e.g. "~4.41101.0"
    return re.sub(r"^[~^=<>]*", "", spec)


def ensure_tool_scons(packages_dir: Path) -> StepResult:
    import SCons

    version = _scons_package_version()
    destination = packages_dir / "tool-scons"
    manifest = _read_json(destination / "package.json") or {}
    launcher = destination / "scons.py"
    if manifest.get("version") == version and launcher.is_file() and launcher.read_text() == SCONS_LAUNCHER:
        return StepResult("tool-scons", False, f"seeded from SCons {SCons.__version__}")

    def fill(folder: Path) -> None:
        _write_json(
            folder / "package.json",
            {"name": "tool-scons", "version": version, "description": f"SCons {SCons.__version__} from pip"},
        )
        _write_json(folder / ".piopm", _piopm("tool-scons", version))
        (folder / "scons.py").write_text(SCONS_LAUNCHER, encoding="utf-8")

    _write_package(destination, fill)
    return StepResult("tool-scons", True, f"seeded from SCons {SCons.__version__} ({SCons.__file__})")


# ---- 3. the Arm toolchain -----------------------------------------------------------------------


def toolchain_package_version(gcc_version: str) -> str:
    """PlatformIO numbers GCC x.y.z as 1.xxyyzz.0 (12.2.1 -> 1.120201.0)."""
    major, minor, patch = (int(part) for part in (gcc_version.split(".") + ["0", "0"])[:3])
    return f"1.{major:d}{minor:02d}{patch:02d}.0"


def ensure_toolchain(packages_dir: Path) -> StepResult:
    gcc = shutil.which("arm-none-eabi-gcc")
    if not gcc:
        raise SetupError("arm-none-eabi-gcc is not on PATH: install Debian's gcc-arm-none-eabi first")
    gcc_version = subprocess.run([gcc, "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    version = toolchain_package_version(gcc_version)
    tool_dir = Path(os.path.realpath(gcc)).parent
    tools = sorted(p for p in tool_dir.glob("arm-none-eabi-*") if os.access(p, os.X_OK))
    destination = packages_dir / TOOLCHAIN_PACKAGE
    manifest = _read_json(destination / "package.json") or {}
    if manifest.get("version") == version and (destination / "bin" / "arm-none-eabi-gcc").exists():
        return StepResult(TOOLCHAIN_PACKAGE, False, f"GCC {gcc_version} from {tool_dir}")

    def fill(folder: Path) -> None:
        _write_json(
            folder / "package.json",
            {
                "name": TOOLCHAIN_PACKAGE,
                "version": version,
                "description": f"GNU Arm Embedded Toolchain {gcc_version}: the system's, linked by `tinyml setup`",
            },
        )
        _write_json(folder / ".piopm", _piopm(TOOLCHAIN_PACKAGE, version))
        (folder / "bin").mkdir()
        for tool in tools:
            (folder / "bin" / tool.name).symlink_to(tool)

    _write_package(destination, fill)
    return StepResult(TOOLCHAIN_PACKAGE, True, f"registered GCC {gcc_version} ({len(tools)} tools from {tool_dir})")


# ---- 4 and 5. sources from PyPI packages --------------------------------------------------------


def pip_download(name: str, version: str, source_only: bool) -> Path:
    """The file of `name==version` from PyPI, downloaded once into the cache."""
    cache = download_cache_dir() / f"{name}-{version}"
    cached = sorted(cache.glob("*")) if cache.is_dir() else []
    if cached:
        return cached[0]
    scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=cache.parent if cache.parent.exists() else None))
    try:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(scratch)]
        command += ["--no-binary", ":all:"] if source_only else ["--only-binary", ":all:"]
        done = subprocess.run(command + [f"{name}=={version}"], capture_output=True, text=True)
        files = sorted(scratch.glob("*"))
        if done.returncode != 0 or not files:
            raise SetupError(f"could not download {name}=={version} from PyPI:\n{done.stderr[-1500:]}")
        cache.parent.mkdir(parents=True, exist_ok=True)
        scratch.rename(cache)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return sorted(cache.glob("*"))[0]


def ensure_cmsis_nn(packages_dir: Path) -> StepResult:
    destination = packages_dir / CMSIS_NN_PACKAGE
    name, wheel_version = CMSIS_NN_WHEEL
    manifest = _read_json(destination / "package.json") or {}
    if manifest.get("tinyml_source") == f"{name}=={wheel_version}" and (destination / "library.json").is_file():
        return StepResult(CMSIS_NN_PACKAGE, False, CMSIS_NN_UPSTREAM)
    wheel = pip_download(name, wheel_version, source_only=False)

    def fill(folder: Path) -> None:
        with zipfile.ZipFile(wheel) as archive:
            members = [
                m for m in archive.namelist()
                if m.startswith(CMSIS_NN_PREFIX + "Include/") or m.startswith(CMSIS_NN_PREFIX + "Source/")
            ]
            for member in members:
                if member.endswith("/"):
                    continue
                target = folder / member[len(CMSIS_NN_PREFIX):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
        sources = list((folder / "Source").rglob("*.c"))
        if len(sources) != CMSIS_NN_SOURCE_COUNT:
            raise SetupError(f"{wheel.name}: expected {CMSIS_NN_SOURCE_COUNT} CMSIS-NN C files, found {len(sources)}")
        _write_json(
            folder / "package.json",
            {
                "name": CMSIS_NN_PACKAGE,
                "version": "2024.1.19",
                "description": f"CMSIS-NN, {CMSIS_NN_UPSTREAM}",
                "license": "Apache-2.0",
                "tinyml_source": f"{name}=={wheel_version}",
            },
        )
        _write_json(folder / ".piopm", _piopm(CMSIS_NN_PACKAGE, "2024.1.19", "framework"))
        # Also a PlatformIO library, so a project (or our build hook) can use it through lib_deps.
        _write_json(
            folder / "library.json",
            {
                "name": "CMSIS-NN",
                "version": "2024.1.19",
                "license": "Apache-2.0",
                "frameworks": "*",
                "platforms": "*",
                "build": {"srcDir": "Source", "includeDir": "Include", "flags": ["-IInclude"]},
            },
        )
        (folder / "NOTICE.txt").write_text(
            f"CMSIS-NN, {CMSIS_NN_UPSTREAM}, Copyright Arm Limited and/or its affiliates.\n"
            "Licensed under the Apache License 2.0 (SPDX-License-Identifier in every file).\n"
            f"Unpacked by platformio-tinyml's `tinyml setup` from the PyPI wheel {wheel.name}.\n",
            encoding="utf-8",
        )

    _write_package(destination, fill)
    return StepResult(CMSIS_NN_PACKAGE, True, f"{CMSIS_NN_UPSTREAM}, from {wheel.name}")


def ensure_unity(packages_dir: Path) -> StepResult:
    destination = packages_dir / UNITY_PACKAGE
    name, version = UNITY_SDIST
    manifest = _read_json(destination / "library.json") or {}
    if manifest.get("tinyml_source") == f"{name}=={version}" and (destination / "src" / "unity.c").is_file():
        return StepResult("Unity", False, "Unity 2.5.0")
    sdist = pip_download(name, version, source_only=True)

    def fill(folder: Path) -> None:
        (folder / "src").mkdir()
        with tarfile.open(sdist) as archive:
            for member in archive.getmembers():
                parts = Path(member.name).parts
                if len(parts) == 4 and parts[1:3] == ("third_party", "unity") and parts[3] in UNITY_FILES:
                    (folder / "src" / parts[3]).write_bytes(archive.extractfile(member).read())
        missing = [f for f in UNITY_FILES if not (folder / "src" / f).is_file()]
        if missing:
            raise SetupError(f"{sdist.name}: Unity files missing: {', '.join(missing)}")
        _write_json(
            folder / "library.json",
            {
                "name": "Unity",
                "version": "2.5.0",
                "description": "Unity test framework for C (ThrowTheSwitch), as shipped in " + sdist.name,
                "license": "MIT",
                "frameworks": "*",
                "platforms": "*",
                "build": {"flags": ["-DUNITY_INCLUDE_CONFIG_H", "-I$BUILD_DIR/unity_config"]},
                "tinyml_source": f"{name}=={version}",
            },
        )
        (folder / "license.txt").write_text(UNITY_LICENSE, encoding="utf-8")

    _write_package(destination, fill)
    return StepResult("Unity", True, f"Unity 2.5.0 from {sdist.name}")


def unity_library_dir() -> Path:
    return platformio_packages_dir() / UNITY_PACKAGE


def cmsis_nn_dir() -> Path:
    """The CMSIS-NN sources (Include/, Source/), also a PlatformIO library (library.json)."""
    return platformio_packages_dir() / CMSIS_NN_PACKAGE


# ---- 6. PlatformIO settings ---------------------------------------------------------------------


def ensure_quiet_platformio() -> StepResult:
    from platformio import app

    wanted = {"enable_telemetry": False, "check_platformio_interval": 3650}
    changed = [key for key, value in wanted.items() if app.get_setting(key) != value]
    for key in changed:
        app.set_setting(key, wanted[key])
    return StepResult("PlatformIO settings", bool(changed), "telemetry off, no update checks")


def run_setup(report: Callable[[str], None] = print) -> bool:
    """Runs every step; returns True when something had to be done."""
    results = [ensure_debian_packages()]
    packages_dir = platformio_packages_dir()
    for step in (ensure_tool_scons, ensure_toolchain, ensure_cmsis_nn, ensure_unity):
        results.append(step(packages_dir))
    results.append(ensure_quiet_platformio())
    for result in results:
        report(f"  {'installed' if result.changed else 'ready    '}  {result.name}: {result.detail}")
    return any(result.changed for result in results)
