"""The buffers the arena must hold, with their lifetimes, from a lowered schedule.

Step i is the i-th op. A tensor is live from the step that writes it (step 0 for graph inputs) to
the last step that reads it (the last step for graph outputs); a kernel's scratch buffer is live
during its step only; an alias (RESHAPE) shares its source's buffer, whose lifetime then covers both.
"""

from __future__ import annotations

from ..graph import Graph
from .kernel_call import Alias, KernelCall
from .plan import Buffer
from .symbols import scratch_symbol, tensor_symbol


# Bytes an element of each type the engine keeps in its arena (bool as TFLite Micro's: one byte).
ELEMENT_BYTES = {"int8": 1, "uint8": 1, "int16": 2, "int32": 4, "float32": 4, "bool": 1}


def tensor_bytes(graph: Graph, index: int) -> int:
    tensor = graph.tensors[index]
    count = 1
    for dim in tensor.shape:
        count *= dim
    return count * ELEMENT_BYTES[tensor.dtype]


def storage_of(steps: list[KernelCall | Alias]) -> dict[int, int]:
    """Tensor index -> the tensor index whose buffer holds it (itself unless aliased)."""
    storage = {}
    for step in steps:
        if isinstance(step, Alias):
            storage[step.target] = storage.get(step.source, step.source)
    return storage


def arena_buffers(graph: Graph, steps: list[KernelCall | Alias]) -> tuple[list[Buffer], dict[int, str]]:
    """(buffers to place, tensor index -> name of the buffer holding it)."""
    storage = storage_of(steps)
    last_step = max(len(steps) - 1, 0)
    spans: dict[int, list[int]] = {}  # storage tensor -> [first, last]

    def touch(index: int, step: int) -> None:
        root = storage.get(index, index)
        span = spans.setdefault(root, [step, step])
        span[0], span[1] = min(span[0], step), max(span[1], step)

    for index in graph.inputs:
        touch(index, 0)
    for step_number, step in enumerate(steps):
        tensors = (step.source, step.target) if isinstance(step, Alias) else step.reads + step.writes
        for index in tensors:
            touch(index, step_number)
    for index in graph.outputs:
        touch(index, last_step)

    names = {root: tensor_symbol(graph.tensors[root]) for root in spans}
    buffers = [Buffer(names[root], tensor_bytes(graph, root), first, last)
               for root, (first, last) in spans.items()]
    buffers += [Buffer(scratch_symbol(step.op_index), step.scratch_bytes, number, number)
                for number, step in enumerate(steps)
                if isinstance(step, KernelCall) and step.scratch_bytes > 0]
    holder = {index: names[storage.get(index, index)] for index in set(spans) | set(storage)}
    return buffers, holder
