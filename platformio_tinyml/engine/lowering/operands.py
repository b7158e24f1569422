"""Reading an op's operands for lowering: tensors, their int8 quantization, and what is refused."""

from __future__ import annotations


import numpy as np

from ...graph import Graph, Operator, Tensor
from ..fixed_point import wrap_int32
from ..quantization import usable_scale
from ..symbols import tensor_symbol


class OpNotSupported(Exception):
    """Why one op cannot be lowered; collected and grouped per op type for the user."""


def operand_problem(graph: Graph, op: Operator) -> str | None:
    """What makes an op impossible to lower at all (the model validator refuses all of it first;
    this keeps a lowering called on an unverified graph from failing with an IndexError or a
    division by zero)."""
    if not op.inputs:
        return "it has no inputs"
    if not op.outputs:
        return "it has no outputs"
    for role, indices, smallest in (("input", op.inputs, -1), ("output", op.outputs, 0)):
        for position, index in enumerate(indices):
            if not smallest <= index < len(graph.tensors):
                return f"its {role} {position} is tensor {index}, which the graph does not have"
    for index in (*op.inputs, *op.outputs):
        tensor = graph.tensors[index] if index >= 0 else None
        if tensor is not None and any(dim < 1 for dim in tensor.shape):
            return (f"tensor {tensor.index} '{tensor.name}' has shape {list(tensor.shape)}; every "
                    "dimension must be at least 1")
    return None


def input_tensor(graph: Graph, op: Operator, position: int, role: str, dtypes=("int8",),
                 optional: bool = False) -> Tensor | None:
    index = op.inputs[position] if position < len(op.inputs) else -1
    if index < 0:
        if optional:
            return None
        raise OpNotSupported(f"its {role} input is missing")
    return checked(graph.tensors[index], role, dtypes)


def output_tensor(graph: Graph, op: Operator, dtypes=("int8",)) -> Tensor:
    return checked(graph.tensors[op.outputs[0]], "output", dtypes)


def checked(tensor: Tensor, role: str, dtypes) -> Tensor:
    if tensor.dtype not in dtypes:
        raise OpNotSupported(f"{role} tensor '{tensor.name}' is {tensor.dtype}, "
                             f"the engine needs {' or '.join(dtypes)}")
    return tensor


def per_tensor_quantization(tensor: Tensor) -> tuple[float, int]:
    """(scale, zero_point) of an activation quantized per tensor."""
    quant = tensor.quantization
    if quant is None or not quant.scale:
        raise OpNotSupported(f"tensor '{tensor.name}' has no quantization parameters")
    if len(quant.scale) != 1:
        raise OpNotSupported(f"tensor '{tensor.name}' is quantized per channel where the kernel "
                             "needs one scale")
    _check_scales(tensor)
    return quant.scale[0], quant.zero_point[0] if quant.zero_point else 0


def _check_scales(tensor: Tensor) -> None:
    for scale in tensor.quantization.scale:
        if not usable_scale(scale):
            raise OpNotSupported(f"tensor {tensor.index} '{tensor.name}' has quantization scale {scale!r}; "
                                 "scales must be finite and positive")


def symmetric_filter_scales(filter_tensor: Tensor) -> tuple[float, ...]:
    """The filter's scales; CMSIS-NN (like TFLite int8) needs every filter zero point to be 0."""
    quant = filter_tensor.quantization
    if quant is None or not quant.scale:
        raise OpNotSupported(f"filter '{filter_tensor.name}' has no quantization parameters")
    if any(zero_point != 0 for zero_point in quant.zero_point):
        raise OpNotSupported(f"filter '{filter_tensor.name}' has a non-zero zero point")
    _check_scales(filter_tensor)
    return quant.scale


def constant(tensor: Tensor, role: str) -> Tensor:
    if tensor.data is None:
        raise OpNotSupported(f"its {role} '{tensor.name}' is computed at run time; the engine "
                             "needs it constant")
    return tensor


def variable_state(graph: Graph, op: Operator, position: int, role: str, dtype: str, count: int) -> Tensor:
    """A state input (an LSTM's, an SVDF's): a variable tensor of `count` elements."""
    tensor = input_tensor(graph, op, position, role, dtypes=(dtype,))
    if not tensor.is_variable or tensor.data is not None:
        raise OpNotSupported(f"its {role} '{tensor.name}' is not a variable tensor (the state TFLite Micro keeps)")
    if elements(tensor) != count:
        raise OpNotSupported(f"its {role} '{tensor.name}' has {elements(tensor)} elements, not {count}")
    return tensor


def run_time(tensor: Tensor, role: str) -> Tensor:
    if tensor.data is not None:
        raise OpNotSupported(f"its {role} '{tensor.name}' is a constant; the engine expects it computed "
                             "at run time (fold constant ops when converting)")
    return tensor


def constant_ints(graph: Graph, op: Operator, position: int, role: str) -> tuple[int, ...]:
    """A constant int32 operand (axes, permutation, paddings, begin/end/strides) as Python ints."""
    tensor = input_tensor(graph, op, position, role, dtypes=("int32", "int64"))
    constant(tensor, role)
    return tuple(int(v) for v in tensor.data.reshape(-1))


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for dim in reversed(shape):
        strides.append(step)
        step *= dim
    return tuple(reversed(strides))


def same_quantization(a: Tensor, b: Tensor, why: str) -> None:
    if per_tensor_quantization(a) != per_tensor_quantization(b):
        raise OpNotSupported(f"input '{a.name}' and output '{b.name}' are quantized differently; {why}")


def shape_of_rank(tensor: Tensor, rank: int, role: str) -> tuple[int, ...]:
    if len(tensor.shape) != rank:
        raise OpNotSupported(f"{role} '{tensor.name}' has shape {list(tensor.shape)}, the kernel "
                             f"needs rank {rank}")
    return tensor.shape


def elements(tensor: Tensor) -> int:
    count = 1
    for dim in tensor.shape:
        count *= dim
    return count


def describe(tensor: Tensor) -> str:
    return f"{tensor_symbol(tensor)} {list(tensor.shape)}"


def folded_bias(bias: Tensor | None, weight_sums: np.ndarray, input_zero_point: int) -> tuple[int, ...]:
    """Each output's bias (0 without one) less the input zero point times its weights' sum, modulo 2^32
    as the int32 sum wraps: what kernels that multiply the input's raw bytes add to their sums."""
    values = np.zeros(len(weight_sums), np.int64) if bias is None else np.asarray(bias.data, np.int64).reshape(-1)
    return tuple(wrap_int32(int(v)) for v in values - input_zero_point * np.asarray(weight_sums, np.int64))
