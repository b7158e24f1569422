"""Static batch-1 input shapes from what a model declares and `custom_tinyml_input_shape`.

A dynamic batch dimension becomes 1; any other dynamic dimension needs the option. Static shapes
are what keeps SHAPE/GATHER/PACK-style shape arithmetic out of the int8 graph.
"""

from __future__ import annotations

from ..options import PREFIX, format_input_shapes
from .errors import ConversionError

Shape = tuple[int, ...]
Overrides = tuple[tuple[str | None, Shape], ...]


def static_input_shapes(declared: list[tuple[str, tuple[int | None, ...]]], overrides: Overrides) -> list[Shape]:
    """`declared`: (input name, shape with None for dynamic dimensions), in input order."""
    names = [name for name, _ in declared]
    by_name = _overrides_by_name(overrides, names)
    shapes = []
    for name, shape in declared:
        if name in by_name:
            shapes.append(_checked_override(name, shape, by_name[name], overrides))
            continue
        fixed = tuple(1 if dim is None and axis == 0 else dim for axis, dim in enumerate(shape))
        if any(dim is None for dim in fixed):
            example = ",".join("N" if dim is None else str(dim) for dim in fixed)
            raise ConversionError(
                f"input '{name}' has dynamic dimensions ({_text(shape)}); the firmware needs them "
                f"fixed: set {PREFIX}input_shape = {example} with N replaced by the size you use"
                + (f" (prefix it with {name}= as the model has several inputs)." if len(declared) > 1 else ".")
            )
        if fixed and fixed[0] != 1:
            raise ConversionError(f"input '{name}' has batch size {fixed[0]}; set "
                                  f"{PREFIX}input_shape with batch 1: "
                                  f"{','.join(map(str, (1, *fixed[1:])))}.")
        shapes.append(fixed)
    return shapes


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


def _checked_override(name: str, declared: tuple[int | None, ...], wanted: Shape, overrides: Overrides) -> Shape:
    fits = len(declared) == len(wanted) and all(d is None or d == w or axis == 0
                                                 for axis, (d, w) in enumerate(zip(declared, wanted)))
    if not fits:
        raise ConversionError(f"{PREFIX}input_shape = {format_input_shapes(overrides)}: input '{name}' "
                              f"is {_text(declared)}; the shape given must keep its rank and fixed sizes.")
    return wanted


def _text(shape) -> str:
    return "x".join("?" if dim is None else str(dim) for dim in shape)
