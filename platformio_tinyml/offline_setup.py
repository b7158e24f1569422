"""`tinyml setup`: make the real PlatformIO work on a machine that reaches only PyPI and Debian.

Each step checks first and does nothing when its part is already in place, so a second run on a
ready machine takes about a second. The steps:
  1. Debian packages: the Arm cross compiler, newlib with semihosting, libstdc++ for it, SRecord,
     QEMU for Arm.
  2. PlatformIO's core package `tool-scons`, seeded from the SCons pip installed beside PlatformIO.
  3. The system Arm GCC registered as PlatformIO's `toolchain-gccarmnoneeabi` package.
  4. Debian's srec_cat registered as PlatformIO's `tool-sreccat` package (nordicnrf52 needs it).
  5. CMSIS-NN sources, unpacked from the `aidge-export-arm-cortexm` wheel on PyPI.
  6. The Unity C test framework, unpacked from the `cryptoauthlib` source package on PyPI.
  7. PlatformIO settings that stop it from calling home (telemetry, update checks).
Every package written here is built in a scratch folder and moved into place whole, so an
interrupted set-up leaves nothing half-written. Each carries the marker SETUP_MARKER in its
manifest, and set-up only ever replaces a package with that marker (or one an earlier version of
set-up wrote): a package the user or PlatformIO installed is left as is.
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
    # PlatformIO's official Arm platforms link bare builds with -lstdc++.
    "libstdc++.a": "libstdc++-arm-none-eabi-newlib",
    # nordicnrf52 runs srec_cat (its `tool-sreccat` package) to merge hex files.
    "srec_cat": "srecord",
    "qemu-system-arm": "qemu-system-arm",
}

# Files the Arm GCC must find (-print-file-name), with the flags that pick the multilib to look in.
# libstdc++.a is asked for in the Thumb multilib the Cortex-M builds link against: the default
# (Arm-state) one says nothing about it.
GCC_FILES = {"rdimon.specs": (), "libstdc++.a": ("-mthumb", "-mcpu=cortex-m4")}

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
SRECCAT_PACKAGE = "tool-sreccat"
CMSIS_NN_PACKAGE = "framework-cmsis-nn"
UNITY_PACKAGE = "tinyml-unity"

# The manifest key that says "written by `tinyml setup`, set-up may replace it".
SETUP_MARKER = "tinyml_setup"

# What platform-nordicnrf52 10.11.0 asks for; its builder runs `<package folder>/srec_cat`.
SRECCAT_REQUIREMENT = "~1.164.0"
# What platform-ststm32 19.6.0 and platform-nordicnrf52 10.11.0 ask for: GCC 6.3.1 up to 7.x.
OFFICIAL_ARM_TOOLCHAIN_REQUIREMENT = ">=1.60301.0,<1.80000.0"


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


def _write_tool_manifests(folder: Path, name: str, version: str, description: str) -> None:
    """package.json (marked as set-up's) and .piopm of a tool package set-up makes."""
    _write_json(folder / "package.json",
                {"name": name, "version": version, "description": description, SETUP_MARKER: True})
    _write_json(folder / ".piopm", _piopm(name, version))


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


# ---- whose package is it ------------------------------------------------------------------------


def _present(folder: Path) -> bool:
    return folder.exists() or folder.is_symlink()  # a dangling link is in the way too


def _is_ours(folder: Path, legacy: Callable[[dict, Path], bool], manifest_name: str = "package.json") -> bool:
    """Whether set-up wrote `folder`: it has our marker, or `legacy` recognises what an earlier
    set-up (before the marker) wrote there."""
    if folder.is_symlink():  # set-up never puts a link in place of a package: someone else did
        return False
    manifest = _read_json(folder / manifest_name) or {}
    return manifest.get(SETUP_MARKER) is True or legacy(manifest, folder)


def _package_version(folder: Path) -> str | None:
    for name in ("package.json", "library.json", ".piopm"):
        version = (_read_json(folder / name) or {}).get("version")
        if version:
            return str(version)
    return None


def _meets(version: str | None, requirement: str) -> bool:
    """Whether a package of `version` meets a PlatformIO requirement such as "~1.164.0"."""
    import semantic_version
    from platformio.package.version import cast_version_to_semver

    if not version:
        return False
    try:
        return cast_version_to_semver(version) in semantic_version.SimpleSpec(requirement)
    except ValueError:
        return False


def _left_as_is(folder: Path) -> str:
    return f"left as is: {folder} was not installed by tinyml setup (version {_package_version(folder) or 'unknown'})"


def _beside_detail(destination: Path, foreign: Path | None, requirement: str) -> str:
    """What a report adds when ours went beside a foreign package (nothing when it did not)."""
    if not foreign:
        return ""
    return (
        f" in {destination}; {_left_as_is(foreign)}, which does not meet {requirement}; "
        "PlatformIO picks whichever package meets what is asked for"
    )


def _beside(packages_dir: Path, name: str) -> Path:
    # Not PlatformIO's own `name@version`: an "@" in the path would cut the `symlink://` spec of
    # official_platform_packages_line() short, at the "@".
    return packages_dir / f"{name}.tinyml"


def _our_place(
    packages_dir: Path,
    name: str,
    is_ours: Callable[[Path], bool],
    serves: Callable[[Path], bool],
    beside_allowed: bool = True,
) -> tuple[Path | None, Path | None]:
    """Where set-up's package `name` is or goes, and the foreign package it left as is (or None).

    The place is None when a foreign package already serves. A foreign package that does not is
    never replaced: ours goes beside it, in a folder of its own (_beside). PlatformIO reads every
    folder of its packages folder and takes the best version that meets what is asked for, so
    both stay usable. Packages our own code looks up by path (`beside_allowed=False`) cannot go
    aside, so for them that is an error.
    """
    main = packages_dir / name
    if not _present(main) or is_ours(main):
        return main, None
    if serves(main):
        return None, main
    if not beside_allowed:
        raise SetupError(
            f"{_left_as_is(main)}, and it is not what platformio-tinyml needs: move it away "
            f"(e.g. `mv {main} {main}.old`) and run `tinyml setup` again"
        )
    beside = _beside(packages_dir, name)
    if not _present(beside) or is_ours(beside):
        return beside, main
    if serves(beside):
        return None, beside
    raise SetupError(
        f"{main} and {beside} were not installed by tinyml setup and neither is what platformio-tinyml "
        "needs: move one of them away and run `tinyml setup` again"
    )


# ---- 1. Debian packages -------------------------------------------------------------------------


def _gcc_finds(file_name: str) -> bool:
    # GCC echoes the bare name back when it does not find the file.
    gcc = shutil.which("arm-none-eabi-gcc")
    if not gcc:
        return False
    command = [gcc, *GCC_FILES[file_name], f"-print-file-name={file_name}"]
    found = subprocess.run(command, capture_output=True, text=True).stdout.strip()
    return os.path.isabs(found) and os.path.isfile(found)


def missing_debian_packages() -> list[str]:
    missing = []
    for what, package in DEBIAN_PACKAGES.items():
        present = _gcc_finds(what) if what in GCC_FILES else shutil.which(what) is not None
        if not present:
            missing.append(package)
    return missing


def ensure_debian_packages() -> StepResult:
    missing = missing_debian_packages()
    if not missing:
        return StepResult(
            "Debian packages", False, "arm-none-eabi-gcc, newlib, libstdc++, srec_cat, qemu-system-arm present"
        )
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


def _scons_requirement() -> str:
    from platformio.dependencies import get_core_dependencies

    return get_core_dependencies()["tool-scons"]  # e.g. "~4.41101.0"


def _scons_package_version() -> str:
    return re.sub(r"^[~^=<>]*", "", _scons_requirement())


def _is_our_scons(folder: Path) -> bool:
    def legacy(manifest: dict, folder: Path) -> bool:
        launcher = folder / "scons.py"
        launched = launcher.is_file() and launcher.read_text(encoding="utf-8", errors="replace") == SCONS_LAUNCHER
        return launched or str(manifest.get("description", "")).endswith("from pip")

    return _is_ours(folder, legacy)


def _scons_serves(folder: Path) -> bool:
    # PlatformIO Core runs <tool-scons>/scons.py from a package that meets its requirement.
    return _meets(_package_version(folder), _scons_requirement()) and (folder / "scons.py").is_file()


def ensure_tool_scons(packages_dir: Path) -> StepResult:
    import SCons

    version = _scons_package_version()
    destination, foreign = _our_place(packages_dir, "tool-scons", _is_our_scons, _scons_serves)
    if destination is None:
        meets = f"it meets PlatformIO's {_scons_requirement()}, so PlatformIO runs its SCons"
        return StepResult("tool-scons", False, f"{_left_as_is(foreign)}; {meets}")
    beside = _beside_detail(destination, foreign, f"PlatformIO's {_scons_requirement()}")
    manifest = _read_json(destination / "package.json") or {}
    launcher = destination / "scons.py"
    if (
        manifest.get(SETUP_MARKER) is True
        and manifest.get("version") == version
        and launcher.is_file()
        and launcher.read_text() == SCONS_LAUNCHER
    ):
        return StepResult("tool-scons", False, f"seeded from SCons {SCons.__version__}{beside}")

    def fill(folder: Path) -> None:
        _write_tool_manifests(folder, "tool-scons", version, f"SCons {SCons.__version__} from pip")
        (folder / "scons.py").write_text(SCONS_LAUNCHER, encoding="utf-8")

    _write_package(destination, fill)
    return StepResult("tool-scons", True, f"seeded from SCons {SCons.__version__} ({SCons.__file__}){beside}")


# ---- 3. the Arm toolchain -----------------------------------------------------------------------


def toolchain_package_version(gcc_version: str) -> str:
    """PlatformIO numbers GCC x.y.z as 1.xxyyzz.0 (12.2.1 -> 1.120201.0)."""
    major, minor, patch = (int(part) for part in (gcc_version.split(".") + ["0", "0"])[:3])
    return f"1.{major:d}{minor:02d}{patch:02d}.0"


def _is_our_toolchain(folder: Path) -> bool:
    return _is_ours(folder, lambda manifest, _: "linked by `tinyml setup`" in str(manifest.get("description", "")))


def _tinyml_platform_toolchain_requirement() -> str:
    manifest = _read_json(Path(__file__).parent / "platform" / "platform.json") or {}
    return manifest["packages"][TOOLCHAIN_PACKAGE]["version"]  # e.g. "^1.100301.0"


def _toolchain_serves(folder: Path) -> bool:
    # Our platform takes the best installed toolchain that meets its requirement and runs bin/.
    meets = _meets(_package_version(folder), _tinyml_platform_toolchain_requirement())
    return meets and (folder / "bin" / "arm-none-eabi-gcc").exists()


def ensure_toolchain(packages_dir: Path) -> StepResult:
    gcc = shutil.which("arm-none-eabi-gcc")
    if not gcc:
        raise SetupError("arm-none-eabi-gcc is not on PATH: install Debian's gcc-arm-none-eabi first")
    gcc_version = subprocess.run([gcc, "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    version = toolchain_package_version(gcc_version)
    destination, foreign = _our_place(packages_dir, TOOLCHAIN_PACKAGE, _is_our_toolchain, _toolchain_serves)
    if destination is None:
        meets = f"it meets the tinyml platform's {_tinyml_platform_toolchain_requirement()}, so builds use it"
        return StepResult(TOOLCHAIN_PACKAGE, False, f"{_left_as_is(foreign)}; {meets}, not Debian's GCC {gcc_version}")
    beside = _beside_detail(destination, foreign, f"the tinyml platform's {_tinyml_platform_toolchain_requirement()}")
    tool_dir = Path(os.path.realpath(gcc)).parent
    tools = sorted(p for p in tool_dir.glob("arm-none-eabi-*") if os.access(p, os.X_OK))
    manifest = _read_json(destination / "package.json") or {}
    if (
        manifest.get(SETUP_MARKER) is True
        and manifest.get("version") == version
        and (destination / "bin" / "arm-none-eabi-gcc").exists()
    ):
        return StepResult(TOOLCHAIN_PACKAGE, False, f"GCC {gcc_version} from {tool_dir}{beside}")

    def fill(folder: Path) -> None:
        _write_tool_manifests(folder, TOOLCHAIN_PACKAGE, version,
                              f"GNU Arm Embedded Toolchain {gcc_version}: the system's, linked by `tinyml setup`")
        (folder / "bin").mkdir()
        for tool in tools:
            (folder / "bin" / tool.name).symlink_to(tool)

    _write_package(destination, fill)
    return StepResult(
        TOOLCHAIN_PACKAGE, True, f"registered GCC {gcc_version} ({len(tools)} tools from {tool_dir}){beside}"
    )


def registered_toolchain_dir(packages_dir: Path | None = None) -> Path | None:
    """The toolchain package set-up registered (`toolchain-gccarmnoneeabi`, or the folder beside a
    foreign one), or None."""
    packages_dir = packages_dir or platformio_packages_dir()
    for folder in (packages_dir / TOOLCHAIN_PACKAGE, _beside(packages_dir, TOOLCHAIN_PACKAGE)):
        if _is_our_toolchain(folder) and (folder / "bin" / "arm-none-eabi-gcc").exists():
            return folder.absolute()
    return None


def official_platform_packages_line(packages_dir: Path | None = None) -> str | None:
    """The `platform_packages` line that lets PlatformIO's official Arm platforms build offline.

    They ask for GCC 6.3.1 to 7.x (OFFICIAL_ARM_TOOLCHAIN_REQUIREMENT), Debian's is newer, and
    PlatformIO would go to the registry for one. A `symlink://` package spec is taken as it is,
    whatever its version, so the environment can point at ours without faking a version.
    """
    folder = registered_toolchain_dir(packages_dir)
    return f"platform_packages = {TOOLCHAIN_PACKAGE}@symlink://{folder}" if folder else None


def official_platforms_note(packages_dir: Path | None = None) -> str | None:
    """What `tinyml setup` says last: how to build with the official Arm platforms offline."""
    line = official_platform_packages_line(packages_dir)
    if not line:
        return None
    version = _package_version(registered_toolchain_dir(packages_dir)) or "?"
    return (
        "Note: PlatformIO's official Arm platforms (ststm32, nordicnrf52) ask for "
        f"{TOOLCHAIN_PACKAGE} {OFFICIAL_ARM_TOOLCHAIN_REQUIREMENT}, which Debian's GCC, registered as {version}, "
        "does not meet, and offline PlatformIO cannot fetch one. For them, add to the environment in platformio.ini:\n"
        f"    {line}"
    )


# ---- 4. srec_cat --------------------------------------------------------------------------------


def sreccat_package_version(srecord_version: str) -> str:
    """PlatformIO numbers SRecord x.yy as 1.xyy.0 (1.64 -> 1.164.0), like GCC in toolchain_package_version."""
    major, minor = (int(part) for part in (srecord_version.split(".") + ["0"])[:2])
    return f"1.{major:d}{minor:02d}.0"


def _srecord_version(srec_cat: str) -> str:
    # First line: "srec_cat version 1.64.D001"
    out = subprocess.run([srec_cat, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"version\s+(\d+)\.(\d+)", out)
    if not found:
        raise SetupError(f"`{srec_cat} --version` printed no version: {out[:200]!r}")
    return f"{found.group(1)}.{found.group(2)}"


def _is_our_sreccat(folder: Path) -> bool:
    return _is_ours(folder, lambda manifest, folder: False)  # no set-up before the marker wrote one


def _sreccat_serves(folder: Path) -> bool:
    # nordicnrf52's builder runs <tool-sreccat>/srec_cat (builder/main.py, MergeHex).
    return _meets(_package_version(folder), SRECCAT_REQUIREMENT) and (folder / "srec_cat").exists()


def ensure_sreccat(packages_dir: Path) -> StepResult:
    srec_cat = shutil.which("srec_cat")
    if not srec_cat:
        raise SetupError("srec_cat is not on PATH: install Debian's srecord first")
    srecord_version = _srecord_version(srec_cat)
    version = sreccat_package_version(srecord_version)
    destination, foreign = _our_place(packages_dir, SRECCAT_PACKAGE, _is_our_sreccat, _sreccat_serves)
    if destination is None:
        return StepResult(
            SRECCAT_PACKAGE,
            False,
            f"{_left_as_is(foreign)}; it meets nordicnrf52's {SRECCAT_REQUIREMENT}, so builds use it, "
            "not Debian's srec_cat",
        )
    beside = _beside_detail(destination, foreign, f"nordicnrf52's {SRECCAT_REQUIREMENT}")
    target = Path(os.path.realpath(srec_cat))
    manifest = _read_json(destination / "package.json") or {}
    link = destination / "srec_cat"
    if (
        manifest.get(SETUP_MARKER) is True
        and manifest.get("version") == version
        and link.is_symlink()
        and Path(os.readlink(link)) == target
    ):
        return StepResult(SRECCAT_PACKAGE, False, f"SRecord {srecord_version} ({target}){beside}")

    def fill(folder: Path) -> None:
        _write_tool_manifests(folder, SRECCAT_PACKAGE, version,
                              f"SRecord {srecord_version}'s srec_cat: the system's, linked by `tinyml setup`")
        (folder / "srec_cat").symlink_to(target)

    _write_package(destination, fill)
    return StepResult(SRECCAT_PACKAGE, True, f"registered SRecord {srecord_version} ({target}){beside}")


# ---- 5 and 6. sources from PyPI packages --------------------------------------------------------


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


def _is_our_cmsis_nn(folder: Path) -> bool:
    return _is_ours(folder, lambda manifest, _: "tinyml_source" in manifest)


def _cmsis_nn_serves(folder: Path) -> bool:
    # What the build hook takes from cmsis_nn_dir(): a library with CMSIS-NN's headers and sources.
    has_sources = any((folder / "Source").rglob("*.c")) if (folder / "Source").is_dir() else False
    return (folder / "library.json").is_file() and (folder / "Include" / "arm_nnfunctions.h").is_file() and has_sources


def ensure_cmsis_nn(packages_dir: Path) -> StepResult:
    name, wheel_version = CMSIS_NN_WHEEL
    destination, foreign = _our_place(
        packages_dir, CMSIS_NN_PACKAGE, _is_our_cmsis_nn, _cmsis_nn_serves, beside_allowed=False
    )
    if destination is None:
        return StepResult(CMSIS_NN_PACKAGE, False, f"{_left_as_is(foreign)}; builds take CMSIS-NN from it")
    manifest = _read_json(destination / "package.json") or {}
    if (
        manifest.get(SETUP_MARKER) is True
        and manifest.get("tinyml_source") == f"{name}=={wheel_version}"
        and (destination / "library.json").is_file()
    ):
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
                SETUP_MARKER: True,
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


def _is_our_unity(folder: Path) -> bool:
    return _is_ours(folder, lambda manifest, _: "tinyml_source" in manifest, manifest_name="library.json")


def _unity_serves(folder: Path) -> bool:
    # What `tinyml test` takes from unity_library_dir(): a library with Unity's sources.
    return (folder / "library.json").is_file() and (folder / "src" / "unity.c").is_file()


def ensure_unity(packages_dir: Path) -> StepResult:
    name, version = UNITY_SDIST
    destination, foreign = _our_place(packages_dir, UNITY_PACKAGE, _is_our_unity, _unity_serves, beside_allowed=False)
    if destination is None:
        return StepResult("Unity", False, f"{_left_as_is(foreign)}; tests take Unity from it")
    manifest = _read_json(destination / "library.json") or {}
    if (
        manifest.get(SETUP_MARKER) is True
        and manifest.get("tinyml_source") == f"{name}=={version}"
        and (destination / "src" / "unity.c").is_file()
    ):
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
                SETUP_MARKER: True,
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


def cmsis_nn_sources(emit: Callable[[str], None]) -> Path:
    """CMSIS-NN's folder for a build: unpacked from PyPI into PlatformIO's packages on first use,
    so a build needs no `tinyml setup` where PyPI is reachable."""
    folder = cmsis_nn_dir()
    if not (folder / "Source").is_dir():
        emit(f"tinyml: installing CMSIS-NN's sources into {folder} (once per machine)")
        ensure_cmsis_nn(platformio_packages_dir())
    return folder


# ---- 7. PlatformIO settings ---------------------------------------------------------------------


def ensure_quiet_platformio() -> StepResult:
    from platformio import app

    wanted = {"enable_telemetry": False, "check_platformio_interval": 3650}
    changed = [key for key, value in wanted.items() if app.get_setting(key) != value]
    for key in changed:
        app.set_setting(key, wanted[key])
    return StepResult("PlatformIO settings", bool(changed), "telemetry off, no update checks")


# The steps that write into PlatformIO's packages folder, in order.
PACKAGE_STEPS = (ensure_tool_scons, ensure_toolchain, ensure_sreccat, ensure_cmsis_nn, ensure_unity)


def run_setup(report: Callable[[str], None] = print) -> bool:
    """Runs every step; returns True when something had to be done."""
    results = [ensure_debian_packages()]
    packages_dir = platformio_packages_dir()
    for step in PACKAGE_STEPS:
        results.append(step(packages_dir))
    results.append(ensure_quiet_platformio())
    for result in results:
        report(f"  {'installed' if result.changed else 'ready    '}  {result.name}: {result.detail}")
    return any(result.changed for result in results)
