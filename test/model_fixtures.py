"""Float models for the conversion tests, made once per test session in a subprocess (so pytest
never imports TensorFlow), and a conversion cache shared by the session's tests."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DONE = ".complete"

# find_spec locates a package without importing it.
requires_tensorflow = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("tensorflow", "onnx2tf", "torch", "tflite_micro")),
    reason="needs the convert extra and PyTorch: pip install -e '.[test,convert]'",
)


def float_models(base: Path) -> Path:
    """The folder of models made by fixtures/make_models.py (made on first use in the session)."""
    folder = base / "float-models"
    if not (folder / DONE).exists():
        result = subprocess.run([sys.executable, str(HERE / "fixtures" / "make_models.py"), str(folder)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
        (folder / DONE).touch()
    return folder


def conversion_cache(base: Path) -> Path:
    return base / "conversion-cache"
