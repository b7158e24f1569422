"""Runs the conversion worker in a subprocess of PlatformIO's Python and relays its stage lines.

The build hook never imports TensorFlow: it only checks, without importing, that the worker will
be able to, and says what to install when not.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable

from .cache import publish, staging_folder
from .errors import ConversionError
from .source_format import ONNX
from .worker import ERROR_FILE

# Importable modules each source format needs (tflite_micro runs the int8 model for the report).
COMMON_MODULES = ("tensorflow", "tflite_micro")
FORMAT_MODULES = {ONNX: ("onnx", "onnx2tf", "tf_keras", "onnxsim", "onnxruntime")}
INSTALL_SPEC = "platformio-tinyml[convert]"


def missing_modules(source_format: str) -> list[str]:
    needed = COMMON_MODULES + FORMAT_MODULES.get(source_format, ())
    return [name for name in needed if importlib.util.find_spec(name) is None]


class ConvertersMissing(ConversionError):
    """This Python cannot convert the model; the build hook then picks one that can."""


def require_converters(source_format: str, python: str, what: str) -> None:
    missing = missing_modules(source_format)
    if missing:
        raise ConvertersMissing(
            f"{what}: converting this {source_format} model needs {', '.join(missing)}, which the "
            f"Python that runs PlatformIO ({python}) cannot import. Install them with:\n"
            f"    {python} -m pip install '{INSTALL_SPEC}'"
        )


def convert_in_subprocess(python: str, library_root: Path, key: str, request: dict, work_dir: Path,
                          verbose: bool, emit: Callable[[str], None]) -> Path:
    """Runs the worker; returns the published cache entry or raises ConversionError."""
    staged = staging_folder(key)
    work_dir.mkdir(parents=True, exist_ok=True)
    request_file = work_dir / "conversion_request.json"
    request_file.write_text(json.dumps({**request, "output": str(staged), "verbose": verbose,
                                        "log": str(work_dir / "conversion.log")}, indent=2))
    environment = dict(os.environ)
    # The worker imports this checkout's package; onnx2tf runs `onnxsim` from the Python's bin.
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(library_root), environment.get("PYTHONPATH")]))
    environment["PATH"] = os.pathsep.join([str(Path(python).parent), environment.get("PATH", "")])
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    process = subprocess.Popen([python, "-m", "platformio_tinyml.convert.worker", str(request_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
    for line in process.stdout:
        emit(line.rstrip("\n"))
    if process.wait() == 0:
        return publish(staged, key)
    error = staged / ERROR_FILE
    message = error.read_text(encoding="utf-8") if error.is_file() else (
        f"the conversion subprocess stopped with status {process.returncode}; see {work_dir / 'conversion.log'}")
    shutil.rmtree(staged, ignore_errors=True)
    raise ConversionError(message)
