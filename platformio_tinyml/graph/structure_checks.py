"""The graph's structure: indices in range, shapes, constants the size of their shapes, and a data
flow that runs in file order (no cycles, no op writing a constant, every output computed).

Each function returns one message per problem, naming the operator and tensor. index_problems and
constant_size_problems find what only a damaged file holds (verify.py words those as corruption);
the rest finds models a runtime would refuse or mis-run.
"""

from __future__ import annotations

import math

from .model import Graph, Tensor
from .problems import op_label, tensor_label, where
from .schema import NUMPY_DTYPES, TensorType, data_nbytes

# TFLite Micro counts a tensor's bytes in an int; so does the generated C.
MAX_TENSOR_BYTES = (1 << 31) - 1
TENSOR_TYPES = frozenset(t.name.lower() for t in TensorType)


def index_problems(graph: Graph, buffers: tuple[memoryview, ...]) -> list[str]:
    """Tensor and buffer indices that point past the end of their tables."""
    count = len(graph.tensors)
    details = [f"graph {role} {position} is tensor {index} but the graph has {count} tensors"
               for role, indices in (("input", graph.inputs), ("output", graph.outputs))
               for position, index in enumerate(indices) if not 0 <= index < count]
    for op in graph.operators:
        for role, indices, smallest in (("input", op.inputs, -1), ("output", op.outputs, 0)):
            details += [f"{op_label(op)} {role} {position} is tensor {index} but the graph has {count} tensors"
                        for position, index in enumerate(indices) if not smallest <= index < count]
    details += [f"{tensor_label(t)} points at buffer {t.buffer_index} but the file has {len(buffers)} buffers"
                for t in graph.tensors if t.buffer_index >= len(buffers)]
    return details


def type_problems(graph: Graph, uses: dict[int, str]) -> list[str]:
    return [f"{where(uses, tensor)}: element {tensor.dtype} is not a TFLite tensor type"
            for tensor in graph.tensors if tensor.dtype not in TENSOR_TYPES]


def has_valid_shape(tensor: Tensor) -> bool:
    return all(dim >= 1 for dim in tensor.shape)


def shape_problems(graph: Graph, uses: dict[int, str]) -> list[str]:
    """Every dimension at least 1 in the tensors ops and the graph use, and the whole tensor addressable
    with an int. Tensors no op reads or writes may be empty: the converter lists an LSTM's calibration
    intermediates as shape [0], which TFLite Micro never touches."""
    details = []
    for tensor in graph.tensors:
        if not has_valid_shape(tensor) and tensor.index in uses:
            bad = next(dim for dim in tensor.shape if dim < 1)
            details.append(f"{where(uses, tensor)}: shape {list(tensor.shape)} has a dimension of {bad}; "
                           "every dimension must be at least 1")
            continue
        itemsize = NUMPY_DTYPES[tensor.dtype].itemsize if tensor.dtype in NUMPY_DTYPES else 1
        if math.prod(tensor.shape) * itemsize > MAX_TENSOR_BYTES:
            details.append(f"{where(uses, tensor)}: shape {list(tensor.shape)} holds more than 2 GiB")
    return details


def constant_size_problems(graph: Graph, buffers: tuple[memoryview, ...]) -> list[str]:
    """A constant's buffer must hold exactly its shape's bytes (file corruption when not)."""
    details = []
    for tensor in graph.tensors:
        if tensor.buffer_index >= len(buffers) or tensor.is_sparse or not has_valid_shape(tensor):
            continue
        stored = len(buffers[tensor.buffer_index])
        needed = data_nbytes(tensor.dtype, math.prod(tensor.shape))
        if stored and needed is not None and needed != stored:
            details.append(f"{tensor_label(tensor)} is {tensor.dtype} {_shape_x(tensor.shape)}, which takes "
                           f"{needed} bytes, but its buffer {tensor.buffer_index} holds {stored} bytes")
    return details


def _shape_x(shape: tuple[int, ...]) -> str:
    return 'x'.join(map(str, shape)) if shape else 'scalar'


def is_constant(tensor: Tensor, buffers: tuple[memoryview, ...]) -> bool:
    return tensor.buffer_index < len(buffers) and len(buffers[tensor.buffer_index]) > 0


def dataflow_problems(graph: Graph, buffers: tuple[memoryview, ...], uses: dict[int, str]) -> list[str]:
    """Graph inputs and outputs computed at run time, each tensor written once and only when not
    constant, read only after it is written, and every graph output written by someone."""
    tensors = graph.tensors
    details = [f"graph {role} {position} = {tensor_label(tensors[index])} is a constant (its buffer "
               f"{tensors[index].buffer_index} holds data); graph {role}s are computed at run time"
               for role, indices in (("input", graph.inputs), ("output", graph.outputs))
               for position, index in enumerate(indices)
               if 0 <= index < len(tensors) and is_constant(tensors[index], buffers)]
    writer: dict[int, int] = {}
    ready = set(graph.inputs)
    # A tensor with a missing buffer is reported already; do not report it twice.
    ready.update(t.index for t in tensors
                 if t.is_variable or t.buffer_index >= len(buffers) or is_constant(t, buffers))
    for op in graph.operators:
        for index in op.inputs:
            if 0 <= index < len(tensors) and index not in ready:
                details.append(f"{op_label(op)} reads {tensor_label(tensors[index])} before any "
                               "operator writes it")
        for position, index in enumerate(op.outputs):
            if not 0 <= index < len(tensors):
                continue
            tensor = tensors[index]
            if is_constant(tensor, buffers):
                details.append(f"{op_label(op)}, output {position} = {tensor_label(tensor)}: the "
                               f"tensor is a constant (its buffer {tensor.buffer_index} holds data) "
                               "and an operator cannot write into it")
            elif index in writer:
                details.append(f"{op_label(op)}, output {position} = {tensor_label(tensor)}: the "
                               f"tensor is already written by {op_label(graph.operators[writer[index]])}")
            elif index in graph.inputs:
                details.append(f"{op_label(op)}, output {position} = {tensor_label(tensor)}: the "
                               "tensor is a graph input, which no operator may overwrite")
            writer.setdefault(index, op.index)
        ready.update(op.outputs)
    details += [f"graph output {position} = {tensor_label(tensors[index])} is written by no operator"
                for position, index in enumerate(graph.outputs)
                if 0 <= index < len(tensors) and index not in writer and index not in graph.inputs
                and not is_constant(tensors[index], buffers)]
    return details
