"""C names of tensors and scratch buffers in the generated code: readable and unique.

A run-time tensor (or a kernel's scratch buffer) is a member of the arena union, named by
tensor_symbol() (scratch_symbol()) and referred to as tinyml_arena.<name> (tensor_ref(),
scratch_ref()): an array of the tensor's element type at the offset the memory planner gave it, so a
debugger shows it by name, typed and sized. A constant tensor is a `static const` pointer into the
model array, named and referred to by tensor_symbol()."""

from __future__ import annotations

import re

from ..graph import Tensor

MAX_NAME_CHARS = 40
ARENA = "tinyml_arena"
STATE = "tinyml_state"


def readable_part(name: str) -> str:
    """The first of a fused tensor name's ';'-separated parts, as a C identifier fragment."""
    first = name.split(";")[0]
    text = re.sub(r"[^0-9A-Za-z]+", "_", first).strip("_")
    if len(text) > MAX_NAME_CHARS:  # keep the end, which names the layer, from a word boundary
        tail = text[-MAX_NAME_CHARS:]
        text = tail.split("_", 1)[1] if "_" in tail[1:] else tail
    return text or "tensor"


def tensor_symbol(tensor: Tensor) -> str:
    """`T<index>_<name>` for activations, `W<index>_<name>` for constants read from the model."""
    prefix = "W" if tensor.data is not None else "T"
    return f"{prefix}{tensor.index}_{readable_part(tensor.name)}"


def tensor_ref(tensor: Tensor) -> str:
    """The C expression for a tensor's data in generated code: `tinyml_arena.T<index>_<name>` for a
    run-time tensor (an address constant), `tinyml_state.T<index>_<name>` for a variable tensor (state
    kept between inferences), `W<index>_<name>` for a constant."""
    symbol = tensor_symbol(tensor)
    if tensor.data is not None:
        return symbol
    return f"{STATE if tensor.is_variable else ARENA}.{symbol}"


def scratch_symbol(op_index: int) -> str:
    return f"S_op{op_index}_scratch"


def scratch_ref(op_index: int) -> str:
    """The C expression for an op's scratch buffer: `tinyml_arena.S_op<index>_scratch`."""
    return f"{ARENA}.{scratch_symbol(op_index)}"


def op_function_name(op_index: int, opcode: str) -> str:
    return f"op{op_index}_{opcode.lower()}"

