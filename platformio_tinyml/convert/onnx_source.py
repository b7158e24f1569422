"""ONNX models -> FloatModel: onnx2tf turns the graph into TensorFlow, keeping every input's layout.

onnx2tf rewrites NCHW inputs to NHWC by default, which silently broke a PyTorch transformer here
(logits off by 16.9); keeping the input layout as it is (its -kat option) made the float TFLite
match onnxruntime to 1e-5. So calibration samples are in the ONNX model's own layout.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import onnx2tf

from ..options import Options
from .errors import ConversionError
from .float_model import FloatModel
from .onnx_rewrite import rewrite_erf_to_tanh
from .source_check import FloatCheck
from .static_shapes import Dim, DimensionFixes, static_input_shapes
from .tensorflow_function import float_model_from_function

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MESSAGE_LINES = 4


# onnx2tf option sets, tried in order until the float TFLite matches onnxruntime.
ATTEMPTS = (("default options", False), ("-kat (keep input layouts)", True))


def load(path: Path, options: Options, what: str,
         check: Callable[[FloatModel, FloatCheck | None], FloatCheck] | None = None, emit=None,
         fixes: DimensionFixes | None = None) -> FloatModel:
    """`check(candidate, previous)` compares a candidate with onnxruntime (`previous`: the check of
    the attempt before, None for the first); the model returned carries the check of the one kept.
    Without `check`, only the first option set is tried. `fixes`: how dynamic dimensions are fixed."""
    declared = _declared_inputs(path, what)
    shapes = static_input_shapes(declared, options.input_shapes, fixes)
    names = [name for name, _ in declared]
    sessions = []

    def source_run(batch):
        if not sessions:  # made on first use: onnx2tf's failures are reported first
            sessions.append(_onnxruntime_session(path, what))
        return sessions[0].run(None, {name: array.astype(np.float32) for name, array in zip(names, batch)})

    attempts = []
    with tempfile.TemporaryDirectory() as scratch:
        # onnx2tf writes its onnxsim-simplified graph over the file it is given: never the user's.
        working_copy = Path(scratch) / path.name
        rewritten = rewrite_erf_to_tanh(onnx.load(str(path)))
        onnx.save(rewritten[0], str(working_copy))
        if rewritten[1] and emit:
            emit(f"tinyml: exact GELU: {rewritten[1]} Erf node(s) rewritten to GELU's tanh form "
                 f"(0.5x(1+tanh(0.7979(x+0.044715x^3)))), which the runtime runs as TANH")
        model, checked = None, None
        for number, (label, keep) in enumerate(ATTEMPTS, 1):
            last = number == len(ATTEMPTS)
            try:
                tf_model = _onnx2tf(working_copy, Path(scratch) / f"attempt{number}", names, shapes, keep, what)
                candidate = _with_onnx_output_names(_float_model(tf_model, names, shapes, options, what, source_run),
                                                    path)
            except ConversionError as exc:
                if last or check is None:
                    raise
                attempts.append({"options": label, "passed": False, "error": str(exc)})
                if emit:
                    emit(f"tinyml: onnx2tf attempt {number} ({label}) failed: {exc} -> retrying")
                continue
            if check is None:
                model = candidate
                attempts.append({"options": label, "checked": False})
                break
            checked = check(candidate, checked)
            attempts.append({"options": label, "passed": checked.passed, "float_check": checked.details})
            if emit and (number > 1 or not checked.passed):  # a first attempt kept: the float check's line says it
                verdict = "kept" if checked.passed else ("no option set left" if last else "retrying")
                emit(f"tinyml: onnx2tf attempt {number} ({label}): float TFLite vs onnxruntime: "
                     f"{checked.summary} -> {verdict}")
            model = candidate
            if checked.passed:
                break
    return replace(model, float_check=checked, conversion={
        "onnx2tf_options": attempts[-1]["options"], "attempts": attempts, "erf_rewritten": rewritten[1]})


def _with_onnx_output_names(model: FloatModel, path: Path) -> FloatModel:
    """The ONNX graph's output names (onnxruntime returns the outputs in that order, as the traced
    function does): the reports, messages and tinyml_model.h then say 'logits', not 'output_0'."""
    outputs = [value.name for value in onnx.load(str(path), load_external_data=False).graph.output]
    return replace(model, output_names=outputs) if len(outputs) == len(model.output_names) else model


def _onnxruntime_session(path: Path, what: str):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ConversionError(f"{what}: onnxruntime cannot run it, so the conversion cannot be checked "
                              f"against it: {str(exc).splitlines()[0][:300]}") from None


def _onnx2tf(working_copy: Path, folder: Path, names, shapes, keep: bool, what: str):
    console = io.StringIO()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.redirect_stdout(console):
            return onnx2tf.convert(
                input_onnx_file_path=str(working_copy), output_folder_path=str(folder),
                keep_shape_absolutely_input_names=names if keep else None,
                overwrite_input_shape=[f"{name}:{','.join(map(str, shape))}"
                                       for name, shape in zip(names, shapes)],
                disable_model_save=True, non_verbose=True,
            )
    except (Exception, SystemExit) as exc:  # onnx2tf prints its reason, then raises or exits
        raise ConversionError(f"{what}: onnx2tf cannot convert it to TensorFlow: "
                              f"{onnx2tf_error_summary(console.getvalue(), exc)}") from None
    finally:
        sys.stdout.write(console.getvalue())  # into the conversion log


def _float_model(model, names, shapes, options: Options, what: str, source_run) -> FloatModel:
    """The TensorFlow model with inputs in the ONNX layout: where onnx2tf moved channels last,
    the traced function transposes them (samples and the device's input keep the ONNX layout);
    `source_run`: the ONNX model in onnxruntime."""
    permutations = []
    for shape, tensor in zip(shapes, model.inputs):
        tf_shape = tuple(tensor.shape)
        if tuple(tf_shape) == tuple(shape) or len(shape) < 3:
            permutations.append(None)
        elif tf_shape == (shape[0], *shape[2:], shape[1]):
            permutations.append([0, *range(2, len(shape)), 1])
        else:
            raise ConversionError(f"{what}: onnx2tf changed input shape {shape} to {tf_shape}.")

    def call(*inputs):
        import tensorflow as tf

        moved = [x if perm is None else tf.transpose(x, perm) for x, perm in zip(inputs, permutations)]
        return model(moved if len(moved) > 1 else moved[0])

    return float_model_from_function(call, list(zip(names, [tuple(s) for s in shapes])), options, what,
                                     source_run=source_run, source_framework="onnxruntime")


def _declared_inputs(path: Path, what: str) -> list[tuple[str, tuple[Dim, ...]]]:
    """Each input's name and shape; a dynamic dimension is its dim_param name (or None), which
    messages and the report use."""
    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ConversionError(f"{what}: not a readable ONNX model ({type(exc).__name__}: {exc}).") from None
    constants = {init.name for init in graph.initializer}
    return [(value.name, tuple(dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or None)
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
