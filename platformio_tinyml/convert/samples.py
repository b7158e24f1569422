"""Calibration and validation samples: loaded from .npz/.npy files, a folder of them, or a
`module:function`, and checked against the model's (static, batch-1) input shapes.

Samples are returned per model input as float32 arrays of shape (count, *input_shape[1:]).
"""

from __future__ import annotations

import importlib
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..options import SampleSource
from .errors import ConversionError

RANDOM_SAMPLE_COUNT = 16
LABEL_ARRAYS = ("y", "labels")  # in a .npz, the samples' labels rather than an input's samples
RANDOM_WARNING = ("custom_tinyml_calibration = random: quantization ranges come from random "
                  "numbers, not from your data, so the int8 model may be far less accurate. Name "
                  "real samples (.npz/.npy file or folder, or module:function) for a real firmware.")


def load_samples(kind: str, text: str, path: Path | None, option: str, input_names: list[str],
                 input_shapes: list[tuple[int, ...]], project_dir: Path) -> list[np.ndarray]:
    """One array per model input; ConversionError naming `option` when the samples do not fit."""
    where = f"{option} = {text}"
    if kind == "random":
        generator = np.random.default_rng(0)
        return [generator.uniform(-1.0, 1.0, (RANDOM_SAMPLE_COUNT, *shape[1:])).astype(np.float32)
                for shape in input_shapes]
    arrays = _arrays_per_input(_raw_samples(kind, text, path, where, project_dir), where, input_names)
    return [_fit(np.asarray(a), where, name, shape) for a, name, shape in zip(arrays, input_names, input_shapes)]


def sample_array_shapes(source: SampleSource, option: str, input_names: list[str],
                        project_dir: Path) -> list[tuple[int, ...]] | None:
    """Each input's samples array shape as given (count first), before any check against the
    model: what fixes its dynamic dimensions. None for random samples, made in the model's shape."""
    if source.kind == "random":
        return None
    where = f"{option} = {source.text}"
    raw = _raw_samples(source.kind, source.text, source.path, where, project_dir)
    return [np.shape(array) for array in _arrays_per_input(raw, where, input_names)]


def _raw_samples(kind: str, text: str, path: Path | None, where: str, project_dir: Path):
    if kind == "function":
        return _from_function(text, where, project_dir)
    return _from_files(path, where)


def _from_files(path: Path, where: str) -> list:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".npz", ".npy"))
        if not files:
            raise ConversionError(f"{where}: the folder {path} holds no .npz or .npy files.")
    elif path.is_file():
        files = [path]
    else:
        raise ConversionError(f"{where}: {path} does not exist.")
    loaded = [_load_file(file, where) for file in files]
    if len(loaded) == 1:
        return loaded[0]
    return _concatenate(loaded, where)


def _load_file(file: Path, where: str):
    if file.stat().st_size == 0:
        raise ConversionError(f"{where}: {file.name} is empty (0 bytes); save the samples with numpy.save "
                              "or numpy.savez.")
    try:
        with file.open("rb") as stream:  # closed even when NumPy gives up half-way
            data = np.load(stream, allow_pickle=False)
            if isinstance(data, np.lib.npyio.NpzFile):
                with data:
                    return {key: data[key] for key in data.files}
            return data
    except (EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ConversionError(f"{where}: {file.name} is truncated or damaged ({type(exc).__name__}: {exc}); "
                              "save the samples again.") from None
    except (OSError, ValueError) as exc:
        raise ConversionError(f"{where}: cannot read {file.name} as NumPy data ({exc}).") from None


def _concatenate(loaded: list, where: str):
    if all(isinstance(item, dict) for item in loaded):
        keys = loaded[0].keys()
        if any(item.keys() != keys for item in loaded):
            raise ConversionError(f"{where}: the .npz files hold different array names.")
        return {key: np.concatenate([item[key] for item in loaded]) for key in keys}
    if any(isinstance(item, dict) for item in loaded):
        raise ConversionError(f"{where}: mix of .npz and .npy files; use one kind.")
    return np.concatenate(loaded)


def _from_function(text: str, where: str, project_dir: Path):
    module_name, _, function_name = text.partition(":")
    sys.path.insert(0, str(project_dir))
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        return function()
    except (ImportError, AttributeError) as exc:
        raise ConversionError(f"{where}: cannot load {function_name} from module {module_name} ({exc}).") from None
    except Exception as exc:  # the user's code: report it as theirs
        raise ConversionError(f"{where}: {text}() raised {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(str(project_dir))


def _arrays_per_input(raw, where: str, names: list[str]) -> list:
    if isinstance(raw, dict):
        return _match_names(raw, where, names)
    if isinstance(raw, (list, tuple)) and len(names) > 1:
        if len(raw) != len(names):
            raise ConversionError(f"{where}: gave {len(raw)} arrays, the model has {len(names)} "
                                  f"inputs ({', '.join(names)}).")
        return list(raw)
    if len(names) == 1:
        return [np.stack(raw) if isinstance(raw, (list, tuple)) else raw]
    raise ConversionError(f"{where}: the model has {len(names)} inputs ({', '.join(names)}); "
                          f"give a .npz with one array per input name.")


def _match_names(raw: dict, where: str, names: list[str]) -> list:
    if all(name in raw for name in names):
        return [raw[name] for name in names]
    samples = [array for key, array in raw.items() if key not in LABEL_ARRAYS]
    if len(names) == 1 and len(samples) == 1:  # x (and y): the one array of samples is the input's
        return samples
    raise ConversionError(f"{where}: holds arrays {', '.join(sorted(raw)) or '(none)'}; "
                          f"name them after the model's inputs: {', '.join(names)}.")


def _fit(array: np.ndarray, where: str, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """(count, *shape[1:]); a batch-1 axis per sample is accepted and dropped."""
    sample_shape = tuple(shape[1:])
    if array.shape[1:] == tuple(shape):
        array = array.reshape((array.shape[0], *sample_shape))
    if array.ndim == 0 or array.shape[1:] != sample_shape or array.shape[0] == 0:
        raise ConversionError(
            f"{where}: samples for input '{name}' have shape {_text(array.shape)}, but the model's "
            f"input is {_text(shape)}: give an array of shape (samples, {', '.join(map(str, sample_shape))})."
        )
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ConversionError(f"{where}: samples for input '{name}' are {array.dtype}, not real numbers.")
    with np.errstate(over="ignore", invalid="ignore"):  # what overflows is refused just below
        floats = array.astype(np.float32)
    finite = np.isfinite(floats)
    if not finite.all():
        nan, infinite = int(np.isnan(floats).sum()), int(np.isinf(floats).sum())
        first = int(np.argwhere(~finite.reshape(len(floats), -1))[0][0])
        raise ConversionError(
            f"{where}: samples for input '{name}' hold {nan} NaN and {infinite} infinite value(s) (or values "
            f"beyond float32), the first in sample {first}; give finite numbers.")
    return floats


def _text(shape) -> str:
    return "x".join(map(str, shape)) if len(shape) else "a scalar"
