"""C names of tensors and scratch buffers in the generated code: readable and unique."""

from __future__ import annotations

import re

from ..graph import Tensor

MAX_NAME_CHARS = 40


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


def scratch_symbol(op_index: int) -> str:
    return f"S_op{op_index}_scratch"


def op_function_name(op_index: int, opcode: str) -> str:
    return f"op{op_index}_{opcode.lower()}"
