"""ONNX models -> FloatModel: onnx2tf turns the graph into TensorFlow, keeping every input's layout.

onnx2tf rewrites NCHW inputs to NHWC by default, which silently broke a PyTorch transformer here
(logits off by 16.9); keeping the input layout as it is (its -kat option) made the float TFLite
match onnxruntime to 1e-5. So calibration samples are in the ONNX model's own layout.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
import tempfile
from pathlib import Path

import onnx
import onnx2tf

from ..options import Options
from .errors import ConversionError
from .float_model import FloatModel
from .static_shapes import static_input_shapes
from .tensorflow_function import float_model_from_function

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MESSAGE_LINES = 4


def load(path: Path, options: Options, what: str) -> FloatModel:
    declared = _declared_inputs(path, what)
    shapes = static_input_shapes(declared, options.input_shapes)
    names = [name for name, _ in declared]
    console = io.StringIO()
    with tempfile.TemporaryDirectory() as scratch:
        # onnx2tf writes its onnxsim-simplified graph over the file it is given: never the user's.
        working_copy = Path(scratch) / path.name
        shutil.copyfile(path, working_copy)
        try:
            with contextlib.redirect_stdout(console):
                model = onnx2tf.convert(
                    input_onnx_file_path=str(working_copy), output_folder_path=scratch,
                    keep_shape_absolutely_input_names=names,
                    overwrite_input_shape=[f"{name}:{','.join(map(str, shape))}"
                                           for name, shape in zip(names, shapes)],
                    disable_model_save=True, non_verbose=True,
                )
        except (Exception, SystemExit) as exc:  # onnx2tf prints its reason, then raises or exits
            raise ConversionError(f"{what}: onnx2tf cannot convert it to TensorFlow: "
                                  f"{onnx2tf_error_summary(console.getvalue(), exc)}") from None
        finally:
            sys.stdout.write(console.getvalue())  # into the conversion log
    declared_tf = [(name, tuple(tensor.shape)) for name, tensor in zip(names, model.inputs)]

    def call(*inputs):
        return model(list(inputs) if len(inputs) > 1 else inputs[0])

    return float_model_from_function(call, declared_tf, options, what)


def _declared_inputs(path: Path, what: str) -> list[tuple[str, tuple]]:
    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ConversionError(f"{what}: not a readable ONNX model ({type(exc).__name__}: {exc}).") from None
    constants = {init.name for init in graph.initializer}
    return [(value.name, tuple(dim.dim_value if dim.HasField("dim_value") else None
                               for dim in value.type.tensor_type.shape.dim))
            for value in graph.input if value.name not in constants]


def onnx2tf_error_summary(console: str, exc: BaseException) -> str:
    """onnx2tf's own ERROR lines (it prints them before failing), else the exception."""
    lines = [_ANSI.sub("", line).strip() for line in console.splitlines()]
    errors = []
    for line in lines:
        text = re.sub(r"^ERROR:\s*", "", line)
        if line.startswith("ERROR") and text and text not in errors:
            errors.append(text)
    if errors:
        return " | ".join(errors[:_MESSAGE_LINES])
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
