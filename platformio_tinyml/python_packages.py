"""The Python packages the host side of a build needs beyond PlatformIO, pinned to the versions
tested together. pyproject.toml's extras list the same pins (a test keeps the two equal).

Two sets, so that a model used as it is (an int8 .tflite) never waits for TensorFlow:
  REFERENCE  the engine's tables and the golden test's expected outputs (TFLite Micro's reference)
  CONVERT    turning ONNX, Keras, SavedModel or float TFLite models into int8
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class PackageSet:
    name: str
    requirements: tuple[str, ...]   # pip requirement specifiers
    modules: tuple[str, ...]        # what must be importable for the set to count as present


REFERENCE = PackageSet(
    "reference",
    ("numpy==1.26.4", "tflite-micro==0.dev20261023182759"),
    ("numpy", "tflite_micro"),
)

# onnx2tf 1.29.24 (the newest PyPI serves) pins tensorflow 2.19.0 and tf-keras 2.19.0 (tf_keras needs
# the full tensorflow package, not tensorflow-cpu) and the onnx tools below; it runs the `onnxsim`
# executable.
CONVERT = PackageSet(
    "convert",
    ("tensorflow==2.19.0", "tf-keras==2.19.0", "onnx==1.19.1", "onnx2tf==1.29.24", "onnxsim==0.4.36",
     "onnxruntime==1.23.0"),
    ("tensorflow", "tf_keras", "onnx", "onnx2tf", "onnxsim", "onnxruntime"),
)

PACKAGE_SETS = (REFERENCE, CONVERT)


def pins_digest() -> str:
    """Short digest of every pin: names the managed environment, so new pins get a new one."""
    text = "\n".join(requirement for package_set in PACKAGE_SETS for requirement in package_set.requirements)
    return hashlib.sha256(text.encode()).hexdigest()[:10]
