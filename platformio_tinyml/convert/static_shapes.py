"""Static batch-1 input shapes from what a model declares, `custom_tinyml_input_shape` and the
calibration samples.

A dynamic batch dimension becomes 1; any other dynamic dimension takes its size from the
calibration samples when their shape fixes it, else needs the option. Static shapes are what keeps
SHAPE/GATHER/PACK-style shape arithmetic out of the int8 graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..options import PREFIX, format_input_shapes
from .errors import ConversionError

Shape = tuple[int, ...]
# A declared dimension: its size; for a dynamic one, the model's name for it (ONNX dim_param) or None.
Dim = int | str | None
Overrides = tuple[tuple[str | None, Shape], ...]

FROM_BATCH = "batch"
FROM_SAMPLES = "calibration samples"


@dataclass
class DimensionFixes:
    """Fixing dynamic dimensions without the option: where the samples' shapes come from, where a
    fix is told, and what was fixed (for the conversion report)."""
    # Input names -> each input's calibration samples array shape (count first), or None when the
    # samples do not tell (random ones are made in the model's shape). Called only when needed.
    sample_shapes: Callable[[list[str]], list[Shape] | None]
    emit: Callable[[str], None]
    fixed: list[dict] = field(default_factory=list)


def static_input_shapes(declared: list[tuple[str, tuple[Dim, ...]]], overrides: Overrides,
                        fixes: DimensionFixes | None = None) -> list[Shape]:
    """`declared`: (input name, shape), in input order. Without `fixes` the samples are not
    consulted, so only a dynamic batch is fixed."""
    names = [name for name, _ in declared]
    by_name = _overrides_by_name(overrides, names)
    needs_samples = any(name not in by_name and any(map(_dynamic, shape[1:])) for name, shape in declared)
    sample_shapes = fixes.sample_shapes(names) if fixes and needs_samples else None
    shapes = []
    for index, (name, shape) in enumerate(declared):
        if name in by_name:
            shapes.append(_checked_override(name, shape, by_name[name], overrides))
            continue
        samples = sample_shapes[index] if sample_shapes else None
        static, fixed = filled_shape(name, shape, samples, samples_consulted=fixes is not None,
                                     several_inputs=len(declared) > 1)
        if fixes:
            fixes.fixed.extend(fixed)
            for record in fixed:
                if record["from"] == FROM_SAMPLES:
                    fixes.emit(fixed_line(record))
        shapes.append(static)
    return shapes


def filled_shape(name: str, shape: tuple[Dim, ...], samples: Shape | None, samples_consulted: bool,
                 several_inputs: bool) -> tuple[Shape, list[dict]]:
    """`shape` with its dynamic batch set to 1 and its other dynamic dimensions taken from
    `samples` (the samples array's shape, count first; None when they do not tell), and a record
    of each dimension fixed. The error names the samples only when they are `samples_consulted`."""
    from_samples = sample_input_shape(shape, samples) if samples is not None else None
    static, fixed, unfixed = [], [], []
    for axis, dim in enumerate(shape):
        if not _dynamic(dim):
            static.append(dim)
            continue
        if axis == 0:
            size, source = 1, FROM_BATCH
        elif from_samples:
            size, source = from_samples[axis], FROM_SAMPLES
        else:
            unfixed.append(axis)
            static.append(dim)
            continue
        static.append(size)
        fixed.append({"input": name, "axis": axis, "name": dim, "size": size, "from": source})
    if unfixed:
        raise ConversionError(_unfixed_message(name, shape, unfixed, samples, samples_consulted, several_inputs))
    if static and static[0] != 1:
        raise ConversionError(f"input '{name}' has batch size {static[0]}; set "
                              f"{PREFIX}input_shape with batch 1: "
                              f"{','.join(map(str, (1, *static[1:])))}.")
    return tuple(static), fixed


def sample_input_shape(shape: tuple[Dim, ...], samples: Shape) -> Shape | None:
    """The batch-1 input shape that samples of array shape `samples` hold: one sample has the
    input's rank minus 1, or its rank with a leading 1. None when the rank fits neither or an axis
    is empty. Fixed dimensions are not compared: samples that disagree get their own error later."""
    sample = tuple(samples[1:])
    if len(sample) == len(shape) and sample[:1] == (1,):
        sample = sample[1:]
    if len(sample) != len(shape) - 1 or 0 in sample:
        return None
    return (1, *sample)


def fixed_line(record: dict) -> str:
    return (f"tinyml: input '{record['input']}': dynamic dimension {_label(record['name'], record['axis'])} "
            f"fixed to {record['size']} from the calibration samples; set {PREFIX}input_shape to "
            f"choose another size")


def _unfixed_message(name: str, shape: tuple[Dim, ...], axes: list[int], samples: Shape | None,
                     samples_consulted: bool, several_inputs: bool) -> str:
    placeholders = ["N"] if len(axes) == 1 else [f"N{number}" for number in range(1, len(axes) + 1)]
    by_axis = dict(zip(axes, placeholders))
    example = [str(by_axis.get(axis, 1 if axis == 0 else dim)) for axis, dim in enumerate(shape)]
    labels = " and ".join(_label(shape[axis], axis) for axis in axes)
    sizes = "N the size" if len(axes) == 1 else f"{', '.join(placeholders)} the sizes"
    hint = ""
    if samples_consulted:
        given = "" if samples is None else f"; those given are {_text(samples)}"
        hint = f" (or give calibration samples of shape (samples, {', '.join(example[1:])}), which fix it{given})"
    return (f"input '{name}' has dynamic dimensions ({_text(shape)}): "
            f"dimension{'s' if len(axes) > 1 else ''} {labels} must be fixed: set {PREFIX}input_shape = "
            f"{name + '=' if several_inputs else ''}{','.join(example)} with {sizes} you use{hint}.")


def _overrides_by_name(overrides: Overrides, names: list[str]) -> dict[str, Shape]:
    if not overrides:
        return {}
    if len(overrides) == 1 and overrides[0][0] is None:
        if len(names) != 1:
            raise ConversionError(f"{PREFIX}input_shape = {format_input_shapes(overrides)}: the model "
                                  f"has inputs {', '.join(names)}; name each: {names[0]}=1,...; ...")
        return {names[0]: overrides[0][1]}
    unknown = [name for name, _ in overrides if name not in names]
    if unknown:
        raise ConversionError(f"{PREFIX}input_shape = {format_input_shapes(overrides)}: the model has "
                              f"no input {unknown[0]}; its inputs are {', '.join(names)}.")
    return dict(overrides)


def _checked_override(name: str, declared: tuple[Dim, ...], wanted: Shape, overrides: Overrides) -> Shape:
    fits = len(declared) == len(wanted) and all(_dynamic(d) or d == w or axis == 0
                                                 for axis, (d, w) in enumerate(zip(declared, wanted)))
    if not fits:
        raise ConversionError(f"{PREFIX}input_shape = {format_input_shapes(overrides)}: input '{name}' "
                              f"is {_text(declared)}; the shape given must keep its rank and fixed sizes.")
    return wanted


def _dynamic(dim: Dim) -> bool:
    return not isinstance(dim, int)


def _label(dim_name: str | None, axis: int) -> str:
    return f"'{dim_name}' (axis {axis})" if dim_name else f"at axis {axis}"


def _text(shape) -> str:
    return " x ".join("?" if dim is None else str(dim) for dim in shape)
