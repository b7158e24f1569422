"""Which Python runs the host side of a build, and installing what it needs on first use.

PlatformIO runs the build hook in its own interpreter (PlatformIO IDE's or pipx's), which holds
PlatformIO and SCons and nothing else. The hook itself needs nothing more; the model pipeline
(NumPy, TFLite Micro's reference, and for conversions TensorFlow and onnx2tf) runs in a subprocess
of a Python that has them:
  1. the one named by custom_tinyml_python, if set (checked, never changed);
  2. PlatformIO's own, when it can already import them (a developer's venv with everything in it);
  3. otherwise a virtual environment this library manages under PlatformIO's core folder, one per
     Python version and set of pins, shared by every project on the machine and filled on first use.

Plain Python only: this runs inside PlatformIO's interpreter.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from .python_packages import PackageSet, pins_digest

PIP_TIMEOUT_S = 1800


class ProvisionError(RuntimeError):
    """A Python for the pipeline could not be found or set up; the message says what to do."""


def managed_environment_dir(core_dir: Path, python: str = sys.executable) -> Path:
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip() or "unknown"
    return Path(core_dir) / "tinyml" / f"python{version}-{pins_digest()}"


def _environment_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamp(folder: Path, package_set: PackageSet) -> Path:
    return folder / f".tinyml-{package_set.name}-installed"


def imports_in_this_python(package_set: PackageSet) -> list[str]:
    """The modules of `package_set` this interpreter cannot import (found, not imported)."""
    return [name for name in package_set.modules if importlib.util.find_spec(name) is None]


def imports_in(python: str, package_set: PackageSet) -> list[str]:
    """The modules of `package_set` another interpreter cannot import."""
    probe = ("import importlib.util, sys; "
             "print(' '.join(n for n in sys.argv[1:] if importlib.util.find_spec(n) is None))")
    try:
        done = subprocess.run([python, "-c", probe, *package_set.modules], capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ProvisionError(f"custom_tinyml_python = {python}: cannot run it ({exc}).") from None
    if done.returncode != 0:
        raise ProvisionError(f"custom_tinyml_python = {python}: it does not run as Python "
                             f"({(done.stderr or done.stdout).strip()[-300:]}).")
    return done.stdout.split()


def pipeline_python(package_sets: tuple[PackageSet, ...], core_dir: Path, chosen: str | None,
                    emit: Callable[[str], None]) -> str:
    """The interpreter that will run the pipeline with `package_sets` importable."""
    if chosen:
        missing = [name for package_set in package_sets for name in imports_in(chosen, package_set)]
        if missing:
            requirements = " ".join(f"'{r}'" for s in package_sets for r in s.requirements)
            raise ProvisionError(
                f"custom_tinyml_python = {chosen}: it cannot import {', '.join(missing)}. Install them into "
                f"it with:\n    {chosen} -m pip install {requirements}\nor remove the option to let "
                f"platformio-tinyml set up its own environment.")
        return chosen
    if not any(imports_in_this_python(package_set) for package_set in package_sets):
        return sys.executable
    folder = managed_environment_dir(core_dir)
    with _locked(folder):
        _create_environment(folder, emit)
        for package_set in package_sets:
            _install(folder, package_set, emit)
    return str(_environment_python(folder))


@contextmanager
def _locked(folder: Path):
    """One build at a time fills the environment; others wait, then find it ready."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _create_environment(folder: Path, emit: Callable[[str], None]) -> None:
    if _environment_python(folder).is_file():
        return
    emit(f"tinyml: creating a Python environment for model conversion at {folder} (once per machine)")
    scratch = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(scratch, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "venv", str(scratch)], capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise ProvisionError(
            f"could not create a Python environment at {folder} with `{sys.executable} -m venv`: "
            f"{(done.stderr or done.stdout).strip()[-400:]}\nInstall Python's venv module (Debian: "
            f"apt-get install python3-venv), or set custom_tinyml_python to a Python that has "
            f"platformio-tinyml's packages.")
    # Built aside and renamed, so an interrupted creation is never taken for an environment. Its
    # scripts name the scratch folder, but pip runs as `python -m pip` and installs scripts anew.
    scratch.rename(folder)


def _install(folder: Path, package_set: PackageSet, emit: Callable[[str], None]) -> None:
    stamp = _stamp(folder, package_set)
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == "\n".join(package_set.requirements):
        return
    python = str(_environment_python(folder))
    what = ", ".join(package_set.requirements)
    hint = " (TensorFlow is large: a few minutes)" if package_set.name == "convert" else ""
    emit(f"tinyml: installing {what} into {folder}{hint}")
    started = time.perf_counter()
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               *package_set.requirements]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
        failure = None if done.returncode == 0 else (done.stderr or done.stdout).strip()
    except subprocess.TimeoutExpired:
        failure = f"pip did not finish within {PIP_TIMEOUT_S} s"
    if failure is not None:
        last = "\n".join(line for line in failure.splitlines() if not line.startswith("WARNING"))[-800:]
        raise ProvisionError(
            f"could not install {what} into {folder}: pip said:\n{last}\n"
            f"Without access to PyPI, install them into a Python of your own and name it in "
            f"platformio.ini with custom_tinyml_python = /path/to/bin/python, or into PlatformIO's:\n"
            f"    {sys.executable} -m pip install " + " ".join(f"'{r}'" for r in package_set.requirements))
    stamp.write_text("\n".join(package_set.requirements), encoding="utf-8")
    emit(f"tinyml: {package_set.name} packages ready ({time.perf_counter() - started:.0f} s)")
