"""What a lowering produces for one op: a kernel call with every parameter fixed at build time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ConstTable:
    """A `static const` array in flash (per-channel multipliers, shifts, kernel sums, ...)."""
    name: str
    c_type: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class LocalConst:
    """A `static const` variable local to the op's function (a CMSIS-NN params or dims struct)."""
    c_type: str
    name: str
    initializer: str


@dataclass(frozen=True)
class KernelCall:
    op_index: int
    opcode: str
    function: str                       # the CMSIS-NN (or runtime) function called
    arguments: tuple[str, ...]          # C expressions, in call order
    reads: tuple[int, ...]              # activation tensors read (indices)
    writes: tuple[int, ...]             # tensors written
    constants: tuple[int, ...] = ()     # constant tensors read in place from the model
    summary: str = ""                   # one line for the comment above the call
    locals: tuple[LocalConst, ...] = ()
    tables: tuple[ConstTable, ...] = ()
    scratch_bytes: int = 0              # arena bytes live during this op only
    returns_status: bool = True         # False for CMSIS-NN functions returning void
    # Further kernel calls of the same op, in order, each returning a status (0 = success):
    # (function, arguments). CONCATENATION copies each input, PAD fills then copies.
    more_calls: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Alias:
    """An op that moves no data (RESHAPE): its output is its input's storage."""
    op_index: int
    opcode: str
    source: int                         # tensor index whose storage is shared
    target: int
    summary: str = field(default="")


def c_value(value) -> str:
    """A C initializer: dicts become designated initializers, lists and tuples brace lists."""
    if isinstance(value, dict):
        return c_struct(**value)
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(c_value(v) for v in value) + "}"
    return str(value)


def c_struct(**fields) -> str:
    """A designated initializer; nested dicts become nested braces: {.stride = {.w = 1, .h = 1}}."""
    return "{" + ", ".join(f".{name} = {c_value(value)}" for name, value in fields.items()) + "}"


def c_float(value: float) -> str:
    """A float literal that is exactly the single-precision value (C99 hex float)."""
    return f"{float(np.float32(value)).hex()}f"


def c_dims(n: int, h: int, w: int, c: int) -> str:
    return c_struct(n=n, h=h, w=w, c=c)
