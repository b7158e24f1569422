"""Consistency checks a decoded model must pass before anything is built from it."""

import math

from .errors import ModelFormatError, corrupt_message, not_a_model_message
from .model import Graph, Model, Tensor
from .schema import FILE_IDENTIFIER, SCHEMA_VERSION, data_nbytes

_MAX_PROBLEMS_SHOWN = 20


def verify_model(model: Model) -> None:
    """Raise ModelFormatError listing every problem model_problems() finds."""
    problems = model_problems(model)
    if not problems:
        return
    shown = problems[:_MAX_PROBLEMS_SHOWN]
    if len(problems) > len(shown):
        shown.append(f"... and {len(problems) - len(shown)} more problems")
    raise ModelFormatError('\n'.join(shown))


def model_problems(model: Model) -> list[str]:
    """Every inconsistency in the model, one self-contained message each.

    Each message starts with the model's source file name.
    """
    if model.file_identifier != FILE_IDENTIFIER:
        return [not_a_model_message(model.source, model.file_identifier)]
    problems = []
    if model.version != SCHEMA_VERSION:
        problems.append(f"{model.source}: TFLite schema version {model.version} is not "
                        f"supported (expected {SCHEMA_VERSION})")
    problems += [corrupt_message(model.source, detail) for detail in _model_details(model)]
    return problems


def _model_details(model: Model) -> list[str]:
    details = []
    if not model.subgraphs:
        details.append("the model has no subgraphs")
    for entry in model.metadata:
        if entry.buffer_index >= len(model.buffers):
            details.append(f"metadata '{entry.name}' points at buffer {entry.buffer_index} "
                           f"but the file has {len(model.buffers)} buffers")
    for number, graph in enumerate(model.subgraphs):
        # Most models have one subgraph; only name it when there is a choice.
        prefix = f"subgraph {number}: " if len(model.subgraphs) > 1 else ''
        details += [prefix + detail for detail in _graph_details(graph, model.buffers)]
    return details


def _graph_details(graph: Graph, buffers: tuple[memoryview, ...]) -> list[str]:
    details = _io_details(graph)
    for tensor in graph.tensors:
        details += _buffer_details(tensor, buffers)
        details += _quantization_details(tensor)
    details += _operator_index_details(graph)
    details += _order_details(graph, buffers)
    return details


def _label(tensor: Tensor) -> str:
    return f"tensor {tensor.index} '{tensor.name}'" if tensor.name else f"tensor {tensor.index}"


def _shape_text(shape: tuple[int, ...]) -> str:
    return 'x'.join(map(str, shape)) if shape else 'scalar'


def _io_details(graph: Graph) -> list[str]:
    count = len(graph.tensors)
    return [f"graph {role} {position} is tensor {index} but the graph has {count} tensors"
            for role, indices in (('input', graph.inputs), ('output', graph.outputs))
            for position, index in enumerate(indices)
            if not 0 <= index < count]


def _buffer_details(tensor: Tensor, buffers: tuple[memoryview, ...]) -> list[str]:
    if tensor.buffer_index >= len(buffers):
        return [f"{_label(tensor)} points at buffer {tensor.buffer_index} "
                f"but the file has {len(buffers)} buffers"]
    stored = len(buffers[tensor.buffer_index])
    if stored == 0 or tensor.is_sparse:
        return []  # not a constant, or stored compressed
    if any(dim < 0 for dim in tensor.shape):
        return [f"{_label(tensor)} holds constant data but its shape "
                f"{_shape_text(tensor.shape)} has unknown dimensions"]
    needed = data_nbytes(tensor.dtype, math.prod(tensor.shape))
    if needed is None or needed == stored:
        return []
    return [f"{_label(tensor)} is {tensor.dtype} {_shape_text(tensor.shape)}, which takes "
            f"{needed} bytes, but its buffer {tensor.buffer_index} holds {stored} bytes"]


def _quantization_details(tensor: Tensor) -> list[str]:
    quant = tensor.quantization
    if quant is None:
        return []
    scales = len(quant.scale)
    if len(quant.zero_point) != scales:
        return [f"{_label(tensor)} has {scales} quantization scales "
                f"but {len(quant.zero_point)} zero points"]
    if scales == 1:
        return []
    axis = quant.quantized_dimension
    if not 0 <= axis < len(tensor.shape):
        return [f"{_label(tensor)} is quantized per channel along dimension {axis} "
                f"but its shape {_shape_text(tensor.shape)} has no such dimension"]
    if tensor.shape[axis] != scales:
        return [f"{_label(tensor)} has {scales} quantization scales but its dimension "
                f"{axis} has {tensor.shape[axis]} channels"]
    return []


def _operator_index_details(graph: Graph) -> list[str]:
    count = len(graph.tensors)
    details = []
    for op in graph.operators:
        for role, indices, smallest in (('input', op.inputs, -1), ('output', op.outputs, 0)):
            details += [f"operator {op.index} ({op.opcode}) {role} {position} is tensor "
                        f"{index} but the graph has {count} tensors"
                        for position, index in enumerate(indices)
                        if not smallest <= index < count]
    return details


def _order_details(graph: Graph, buffers: tuple[memoryview, ...]) -> list[str]:
    """Operators must run in file order, so each input must exist by then."""
    ready = set(graph.inputs)
    # A tensor with a missing buffer is reported already; do not report it twice.
    ready.update(t.index for t in graph.tensors
                 if t.is_variable or t.buffer_index >= len(buffers) or _is_constant(t, buffers))
    details = []
    for op in graph.operators:
        for index in op.inputs:
            if 0 <= index < len(graph.tensors) and index not in ready:
                details.append(f"operator {op.index} ({op.opcode}) reads "
                               f"{_label(graph.tensors[index])} before any operator writes it")
        ready.update(op.outputs)
    return details


def _is_constant(tensor: Tensor, buffers: tuple[memoryview, ...]) -> bool:
    return len(buffers[tensor.buffer_index]) > 0


def op_census(graph: Graph) -> dict[str, list[int]]:
    """Operator indices grouped by op, in order of first use.

    Custom ops are keyed 'CUSTOM:<custom code>' since each name is its own op.
    """
    census: dict[str, list[int]] = {}
    for op in graph.operators:
        key = f"CUSTOM:{op.custom_code}" if op.opcode == 'CUSTOM' else op.opcode
        census.setdefault(key, []).append(op.index)
    return census
