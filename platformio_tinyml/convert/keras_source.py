"""Keras models (.keras, .h5) -> FloatModel."""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

from ..options import PREFIX, Options
from .errors import ConversionError
from .float_model import FloatModel
from .keras_lstm import export, loop_problem, with_fusable_lstms
from .static_shapes import DimensionFixes
from .tensorflow_function import float_model_from_function


OPTION = f"{PREFIX}keras_custom_objects"


def load(path: Path, options: Options, what: str, fixes: DimensionFixes | None = None,
         project_dir: Path | None = None) -> FloatModel:
    custom_objects = _custom_objects(options.keras_custom_objects, project_dir or path.parent)
    try:
        model = keras.models.load_model(path, compile=False, custom_objects=custom_objects)
    except Exception as exc:  # Keras raises many types for unreadable files
        raise ConversionError(f"{what}: {_load_failure(path, exc)}") from None
    declared = [(tensor.name, tuple(tensor.shape)) for tensor in model.inputs]
    loops = [problem for problem in map(loop_problem, model.layers) if problem]
    if loops:
        raise ConversionError(f"{what}: {loops[0]}. (A recurrent layer TFLite cannot fuse becomes a WHILE loop, "
                              f"which TFLite Micro and this runtime do not run.)")
    fused = with_fusable_lstms(model)
    converted = fused[0] if fused else model

    def call(*inputs):
        return converted(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    def source_run(batch):
        outputs = model(batch if len(batch) > 1 else batch[0], training=False)
        outputs = [outputs[k] for k in sorted(outputs)] if isinstance(outputs, dict) else outputs
        return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]

    saved_model = (lambda function, signature, folder: export(converted, fused[1], function, signature, folder)) \
        if fused else None
    float_model = float_model_from_function(call, declared, options, what, fixes, source_run=source_run,
                                            source_framework="Keras", export=saved_model)
    # The model's own output (layer) names, in its outputs' order, for reports and tinyml_model.h.
    outputs = list(getattr(model, "output_names", None) or [])
    return replace(float_model, output_names=outputs) if len(outputs) == len(float_model.output_names) else float_model


def _custom_objects(module_name: str | None, project_dir: Path) -> dict | None:
    """Imports the option's module (its classes register themselves with Keras when decorated with
    @keras.saving.register_keras_serializable()); its `custom_objects` dict, if it has one."""
    if module_name is None:
        return None
    sys.path.insert(0, str(project_dir))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's code: report it as theirs
        raise ConversionError(f"{OPTION} = {module_name}: importing it from {project_dir} failed: "
                              f"{type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(str(project_dir))
    return getattr(module, "custom_objects", None)


def _load_failure(path: Path, exc: Exception) -> str:
    """Why Keras could not load the file, in one sentence with what to do; never its config dump."""
    text = str(exc)
    unknown = re.search(r"Could not locate (?:class|function) '([^']+)'", text)
    if unknown:
        return (f"{path.name} uses the Keras layer or function '{unknown[1]}', which is not part of Keras and "
                f"is not registered here. Name the Python module that defines it with {OPTION} = <module> (a "
                f"module in the project folder, its classes decorated with "
                f"@keras.saving.register_keras_serializable() or listed in a dict named custom_objects), "
                f"or export the model to ONNX or as a SavedModel (model.export(folder)) and name that instead.")
    if "Lambda" in text and "safe_mode" in text:
        return (f"{path.name} has a Lambda layer holding Python code, which Keras loads only by running code "
                f"from the file (the build does not). Replace the Lambda by a layer class (and name its module "
                f"with {OPTION}), or export the model as a SavedModel (model.export(folder)) and name the folder.")
    return f"Keras cannot load {path.name}: {type(exc).__name__}: {text.splitlines()[0][:300] if text else ''}"
