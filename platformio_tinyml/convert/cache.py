"""Converted models stored by a content hash of everything that can change them.

The key covers the model's bytes, the calibration and validation data's bytes, the options that
reach the converter, and the versions of the converters (TensorFlow, onnx2tf, ... and this
package's conversion code). Timestamps play no part, so a fresh clone with the same inputs hits.

Entries live in a per-user folder (`~/.cache/platformio-tinyml/conversions`, or
$PLATFORMIO_TINYML_CACHE_DIR) rather than in one build folder: every environment of a project
(one per board) converts the same model, and CI's fresh clones on the same machine reuse them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

from .errors import ConversionError
from .source_format import model_files

MODEL_FILE = "model.tflite"
REPORT_FILE = "report.json"
# Distributions whose version changes what a conversion produces.
CONVERTER_DISTRIBUTIONS = ("platformio-tinyml", "tensorflow", "tf-keras", "keras", "onnx", "onnx2tf",
                           "onnxsim", "onnxruntime", "tflite-micro", "numpy")
_CONVERT_SOURCES = Path(__file__).resolve().parent


def cache_root() -> Path:
    configured = os.environ.get("PLATFORMIO_TINYML_CACHE_DIR")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "platformio-tinyml" / "conversions"


def conversion_key(model: Path, sample_inputs: list[Path], settings: dict) -> str:
    """sha256 over the inputs' bytes, `settings` and the converter versions."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"settings": settings, "versions": converter_versions()},
                             sort_keys=True).encode())
    for path in [*model_files(model), *sample_inputs]:
        for name, file in _files(path):
            digest.update(f"\0{name}\0".encode())
            digest.update(_file_digest(file))
    return digest.hexdigest()


def converter_versions() -> dict:
    versions = {}
    for name in CONVERTER_DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    # Our own conversion code changes between releases during development too.
    digest = hashlib.sha256()
    for file in sorted(_CONVERT_SOURCES.glob("*.py")):
        digest.update(file.read_bytes())
    versions["platformio_tinyml.convert"] = digest.hexdigest()[:16]
    return versions


def module_source(spec_text: str, project_dir: Path) -> Path:
    """The file of `module` in a `module:function` sample source (found, not imported)."""
    module = spec_text.partition(":")[0]
    sys.path.insert(0, str(project_dir))
    try:
        spec = importlib.util.find_spec(module)
    except ImportError:
        spec = None
    finally:
        sys.path.remove(str(project_dir))
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        raise ConversionError(f"{spec_text}: no Python module '{module}' in the project folder "
                              f"{project_dir} or on the Python path.")
    return Path(spec.origin)


def lookup(key: str) -> Path | None:
    entry = cache_root() / key
    return entry if (entry / MODEL_FILE).is_file() and (entry / REPORT_FILE).is_file() else None


def staging_folder(key: str) -> Path:
    """A fresh folder for a conversion to write into; publish() makes it the entry."""
    folder = cache_root() / f".{key}.{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def publish(staged: Path, key: str) -> Path:
    """Moves a finished conversion into place whole; a concurrent identical one may have won."""
    entry = cache_root() / key
    try:
        staged.rename(entry)
    except OSError:
        shutil.rmtree(staged, ignore_errors=True)
        if lookup(key) is None:
            raise
    return entry


def _files(path: Path) -> list[tuple[str, Path]]:
    if path.is_dir():
        return [(str(file.relative_to(path)), file) for file in sorted(path.rglob("*")) if file.is_file()]
    return [("", path)] if path.is_file() else []


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()
