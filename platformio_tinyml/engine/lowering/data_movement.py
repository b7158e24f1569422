"""Ops that move int8 bytes without arithmetic, as strided box copies (tinyml_copy_s8; all but the
gathers on int16 too, each element its two bytes):
TRANSPOSE (permuted input strides), STRIDED_SLICE and SLICE (scaled strides from a start offset),
CONCATENATION and PACK (each input into its place), SPLIT, SPLIT_V and UNPACK (each output from its
place), PAD / PADV2 (a fill, then the input into the middle); GATHER, EMBEDDING_LOOKUP and GATHER_ND
with constant indices (tinyml_gather_s8). Like
TFLite Micro, none of them requantizes."""

from __future__ import annotations

import numpy as np

from ...graph import Graph, Operator, Tensor
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_struct, kernel_arguments
from ..lifetimes import ELEMENT_BYTES
from ..symbols import tensor_ref
from .operands import (OpNotSupported, checked, constant_ints, contiguous_strides, describe, elements,
                       input_tensor, output_tensor, per_tensor_quantization, run_time)

MAX_RANK = 6
MOVABLE = ("int8", "int16")  # element types the byte copies move (an int16 element is two bytes)


def copy_dims(dims, input_strides, output_strides, element_bytes: int = 1) -> str:
    """The copy of a box of `dims` elements with those element strides; elements of several bytes are
    copied as one more, innermost, dimension of their bytes."""
    dims = tuple(dims) or (1,)
    input_strides, output_strides = tuple(input_strides) or (0,), tuple(output_strides) or (0,)
    if element_bytes > 1:
        dims += (element_bytes,)
        input_strides = tuple(s * element_bytes for s in input_strides) + (1,)
        output_strides = tuple(s * element_bytes for s in output_strides) + (1,)
    if len(dims) > MAX_RANK:
        raise OpNotSupported(f"{len(dims)} dims; the kernel takes up to {MAX_RANK}")
    return c_struct(rank=len(dims), dims=dims + (1,) * (MAX_RANK - len(dims)),
                    input_strides=input_strides + (0,) * (MAX_RANK - len(dims)),
                    output_strides=output_strides + (0,) * (MAX_RANK - len(dims)))


def pointer_plus(symbol: str, offset: int) -> str:
    return f"{symbol} + {offset}" if offset else symbol


def as_bytes(expression: str, tensor: Tensor, const: bool) -> str:
    """A tensor's data (plus an element offset) as the copy kernel's int8 pointer."""
    if tensor.dtype == "int8":
        return expression
    return f"({'const ' if const else ''}int8_t *)({expression})"


def _operand_io(tensors: list[Tensor]):
    return (tuple(t.index for t in tensors if t.data is None), tuple(t.index for t in tensors if t.data is not None))


def lower_transpose(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = run_time(input_tensor(graph, op, 0, "input", MOVABLE), "input")
    y = output_tensor(graph, op, (x.dtype,))
    perm = constant_ints(graph, op, 1, "permutation")
    rank = len(x.shape)
    if sorted(perm) != list(range(rank)):
        raise OpNotSupported(f"permutation {list(perm)} does not fit a rank-{rank} input")
    out_shape = tuple(x.shape[p] for p in perm)
    if out_shape != tuple(y.shape):
        raise OpNotSupported(f"output {list(y.shape)} is not the input permuted ({list(out_shape)})")
    strides = contiguous_strides(x.shape)
    dims = copy_dims(out_shape, [strides[p] for p in perm], contiguous_strides(out_shape), ELEMENT_BYTES[x.dtype])
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_copy_s8",
        arguments=kernel_arguments("tinyml_copy_s8", dims="&dims", input=as_bytes(tensor_ref(x), x, True),
                                   output=as_bytes(tensor_ref(y), y, False)),
        reads=(x.index,), writes=(y.index,),
        summary=f"{describe(x)} -> {describe(y)}; permutation {list(perm)}",
        locals=(LocalConst("tinyml_copy_dims", "dims", dims),))


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def slice_bounds(size: int, begin: int, end: int, stride: int, begin_masked: bool, end_masked: bool,
                 shrink: bool, offset: bool) -> tuple[int, int]:
    """(start, count) along one axis, as TFLite's strided-slice logic resolves it."""
    if stride == 0:
        raise OpNotSupported("a stride of 0")
    if offset and not end_masked:
        end = begin + end
    if begin_masked:
        start = 0 if stride > 0 else size - 1
    else:
        start = begin + size if begin < 0 else begin
        start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
    if shrink:
        if not 0 <= start < size:
            raise OpNotSupported(f"index {begin} is outside a dimension of {size}")
        return start, 1
    if end_masked:
        stop = size if stride > 0 else -1
    else:
        stop = end + size if end < 0 else end
        stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
    count = max(0, -(-(stop - start) // stride)) if stride > 0 else max(0, -(-(start - stop) // -stride))
    return start, count


def lower_strided_slice(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = run_time(input_tensor(graph, op, 0, "input", MOVABLE), "input")
    y = output_tensor(graph, op, (x.dtype,))
    begin = constant_ints(graph, op, 1, "begin")
    end = constant_ints(graph, op, 2, "end")
    steps = constant_ints(graph, op, 3, "strides") if len(op.inputs) > 3 else (1,) * len(begin)
    options = op.options
    if options.get("ellipsis_mask", 0) or options.get("new_axis_mask", 0) or options.get("offset", False):
        raise OpNotSupported("ellipsis_mask, new_axis_mask and offset are not supported")
    rank = len(x.shape)
    if not len(begin) == len(end) == len(steps) <= rank:
        raise OpNotSupported("begin, end and strides differ in length or exceed the input's rank")
    strides = contiguous_strides(x.shape)
    offset, dims, in_strides, kept = 0, [], [], []
    for axis in range(rank):
        if axis < len(begin):
            start, count = slice_bounds(
                x.shape[axis], begin[axis], end[axis], steps[axis], bool(options.get("begin_mask", 0) >> axis & 1),
                bool(options.get("end_mask", 0) >> axis & 1), bool(options.get("shrink_axis_mask", 0) >> axis & 1),
                bool(options.get("offset", False)))
            step = steps[axis]
            if not options.get("shrink_axis_mask", 0) >> axis & 1:
                kept.append(count)
        else:
            start, count, step = 0, x.shape[axis], 1
            kept.append(count)
        offset += start * strides[axis]
        dims.append(count)
        in_strides.append(step * strides[axis])
    if tuple(kept) != tuple(y.shape):
        raise OpNotSupported(f"output {list(y.shape)} does not match the slice {kept}")
    call_dims = copy_dims(dims, in_strides, contiguous_strides(tuple(dims)), ELEMENT_BYTES[x.dtype])
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_copy_s8",
        arguments=kernel_arguments("tinyml_copy_s8", dims="&dims",
                                   input=as_bytes(pointer_plus(tensor_ref(x), offset), x, True),
                                   output=as_bytes(tensor_ref(y), y, False)), reads=(x.index,),
        writes=(y.index,), summary=f"{describe(x)} -> {describe(y)}; begin {list(begin)}, end {list(end)}, "
                                   f"strides {list(steps)}",
        locals=(LocalConst("tinyml_copy_dims", "dims", call_dims),))


def lower_concatenation(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    y = output_tensor(graph, op, MOVABLE)
    inputs = [input_tensor(graph, op, n, f"input {n}", (y.dtype,)) for n in range(len(op.inputs))]
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise OpNotSupported("a fused activation")
    for tensor in inputs:
        if per_tensor_quantization(tensor) != per_tensor_quantization(y):
            raise OpNotSupported(f"input '{tensor.name}' is quantized unlike the output (TFLite Micro needs them "
                                 "equal)")
    rank = len(y.shape)
    axis = op.options.get("axis", 0)
    axis = axis + rank if axis < 0 else axis
    out_strides = contiguous_strides(y.shape)
    position, calls, locals_ = 0, [], []
    for number, tensor in enumerate(inputs):
        if len(tensor.shape) != rank or any(a != b for d, (a, b) in enumerate(zip(tensor.shape, y.shape)) if d != axis):
            raise OpNotSupported(f"input {list(tensor.shape)} does not fit output {list(y.shape)} along axis {axis}")
        name = f"dims{number}"
        locals_.append(LocalConst("tinyml_copy_dims", name, copy_dims(
            tensor.shape, contiguous_strides(tensor.shape), out_strides, ELEMENT_BYTES[y.dtype])))
        calls.append(("tinyml_copy_s8", kernel_arguments(
            "tinyml_copy_s8", dims=f"&{name}", input=as_bytes(tensor_ref(tensor), tensor, True),
            output=as_bytes(pointer_plus(tensor_ref(y), position * out_strides[axis]), y, False))))
        position += tensor.shape[axis]
    if position != y.shape[axis]:
        raise OpNotSupported(f"inputs add up to {position} along axis {axis}, the output has {y.shape[axis]}")
    reads, constants = _operand_io(inputs)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=calls[0][0], arguments=calls[0][1],
        more_calls=tuple(calls[1:]), reads=reads, writes=(y.index,), constants=constants,
        summary=" ++ ".join(describe(t) for t in inputs) + f" -> {describe(y)} along axis {axis}",
        locals=tuple(locals_))


def quantized_alike(tensors: list[Tensor], y: Tensor) -> None:
    for tensor in tensors:
        if per_tensor_quantization(tensor) != per_tensor_quantization(y):
            raise OpNotSupported(f"'{tensor.name}' is quantized unlike '{y.name}' (TFLite Micro copies the bytes, "
                                 "so a converter makes them equal)")


def _axis(op: Operator, value: int, rank: int) -> int:
    axis = value + rank if value < 0 else value
    if not 0 <= axis < rank:
        raise OpNotSupported(f"axis {value} outside a rank-{rank} tensor")
    return axis


def lower_slice(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """SLICE: begin and size per axis (a size of -1 runs to the end), stride 1."""
    x = run_time(input_tensor(graph, op, 0, "input", MOVABLE), "input")
    y = output_tensor(graph, op, (x.dtype,))
    begin = constant_ints(graph, op, 1, "begin")
    size = constant_ints(graph, op, 2, "size")
    rank = len(x.shape)
    if not len(begin) == len(size) == rank:
        raise OpNotSupported(f"begin {list(begin)} and size {list(size)} do not fit a rank-{rank} input")
    counts = tuple(x.shape[d] - begin[d] if size[d] == -1 else size[d] for d in range(rank))
    if any(b < 0 or c < 0 or b + c > n for b, c, n in zip(begin, counts, x.shape)):
        raise OpNotSupported(f"begin {list(begin)} and size {list(size)} reach outside {list(x.shape)}")
    if counts != tuple(y.shape):
        raise OpNotSupported(f"output {list(y.shape)} does not match the slice {list(counts)}")
    strides = contiguous_strides(x.shape)
    offset = sum(b * s for b, s in zip(begin, strides))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_copy_s8",
        arguments=kernel_arguments("tinyml_copy_s8", dims="&dims",
                                   input=as_bytes(pointer_plus(tensor_ref(x), offset), x, True),
                                   output=as_bytes(tensor_ref(y), y, False)), reads=(x.index,), writes=(y.index,),
        summary=f"{describe(x)} -> {describe(y)}; begin {list(begin)}, size {list(size)}",
        locals=(LocalConst("tinyml_copy_dims", "dims", copy_dims(counts, strides, contiguous_strides(counts),
                                                                 ELEMENT_BYTES[x.dtype])),))


def lower_pack(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """PACK: N inputs of one shape stacked along a new axis, each copied into its place."""
    y = output_tensor(graph, op, MOVABLE)
    inputs = [input_tensor(graph, op, n, f"input {n}", (y.dtype,)) for n in range(len(op.inputs))]
    quantized_alike(inputs, y)
    axis = _axis(op, op.options.get("axis", 0), len(y.shape))
    shape = tuple(inputs[0].shape)
    if any(tuple(t.shape) != shape for t in inputs) or tuple(y.shape) != shape[:axis] + (len(inputs),) + shape[axis:]:
        raise OpNotSupported(f"{len(inputs)} inputs of {list(shape)} stacked along axis {axis} are not {list(y.shape)}")
    out_strides = contiguous_strides(y.shape)
    place = out_strides[:axis] + out_strides[axis + 1:]
    locals_ = (LocalConst("tinyml_copy_dims", "dims", copy_dims(shape, contiguous_strides(shape), place,
                                                                ELEMENT_BYTES[y.dtype])),)
    calls = [("tinyml_copy_s8", kernel_arguments(
        "tinyml_copy_s8", dims="&dims", input=as_bytes(tensor_ref(t), t, True),
        output=as_bytes(pointer_plus(tensor_ref(y), n * out_strides[axis]), y, False))) for n, t in enumerate(inputs)]
    reads, constants = _operand_io(inputs)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=calls[0][0], arguments=calls[0][1],
        more_calls=tuple(calls[1:]), reads=reads, writes=(y.index,), constants=constants,
        summary=f"{len(inputs)} x {describe(inputs[0])} -> {describe(y)} stacked along axis {axis}", locals=locals_)


def lower_split(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """SPLIT (axis, input), SPLIT_V (input, sizes, axis) and UNPACK (input; the axis dropped): each
    output copied from its place along the axis."""
    position = {"SPLIT": 1, "SPLIT_V": 0, "UNPACK": 0}[op.opcode]
    x = run_time(input_tensor(graph, op, position, "input", MOVABLE), "input")
    outputs = [checked(graph.tensors[i], f"output {n}", (x.dtype,)) for n, i in enumerate(op.outputs)]
    quantized_alike(outputs, x)
    declared = op.options.get("num" if op.opcode == "UNPACK" else "num_splits", len(outputs))
    if declared != len(outputs):
        raise OpNotSupported(f"its options give {declared} outputs, the op has {len(outputs)}")
    rank = len(x.shape)
    if op.opcode == "UNPACK":
        axis = _axis(op, op.options.get("axis", 0), rank)
        expected = [tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:])] * x.shape[axis]
    else:
        at = 0 if op.opcode == "SPLIT" else 2
        axes = constant_ints(graph, op, at, "axis")
        if len(axes) != 1:
            raise OpNotSupported(f"axis {list(axes)} is not one value")
        axis = _axis(op, axes[0], rank)
        if op.opcode == "SPLIT":
            if len(outputs) < 1 or x.shape[axis] % len(outputs):
                raise OpNotSupported(f"{x.shape[axis]} does not split into {len(outputs)} equal parts")
            sizes = [x.shape[axis] // len(outputs)] * len(outputs)
        else:
            sizes = list(constant_ints(graph, op, 1, "size_splits"))
            if sizes.count(-1) == 1:
                sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
            if len(sizes) != len(outputs) or sum(sizes) != x.shape[axis] or min(sizes, default=0) < 0:
                raise OpNotSupported(f"size_splits {list(sizes)} do not split {x.shape[axis]} into "
                                     f"{len(outputs)} outputs")
        expected = [tuple(x.shape[:axis]) + (size,) + tuple(x.shape[axis + 1:]) for size in sizes]
    if [tuple(t.shape) for t in outputs] != expected:
        raise OpNotSupported(f"outputs {[list(t.shape) for t in outputs]} are not {[list(s) for s in expected]}")
    strides = contiguous_strides(x.shape)
    in_strides = strides[:axis] + strides[axis + 1:] if op.opcode == "UNPACK" else strides
    calls, locals_, start = [], [], 0
    for n, (tensor, shape) in enumerate(zip(outputs, expected)):
        locals_.append(LocalConst("tinyml_copy_dims", f"dims{n}", copy_dims(shape, in_strides, contiguous_strides(shape),
                                                                            ELEMENT_BYTES[x.dtype])))
        calls.append(("tinyml_copy_s8", kernel_arguments(
            "tinyml_copy_s8", dims=f"&dims{n}", input=as_bytes(pointer_plus(tensor_ref(x), start * strides[axis]), x, True),
            output=as_bytes(tensor_ref(tensor), tensor, False))))
        start += 1 if op.opcode == "UNPACK" else shape[axis]
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=calls[0][0], arguments=calls[0][1],
        more_calls=tuple(calls[1:]), reads=(x.index,), writes=tuple(t.index for t in outputs),
        summary=f"{describe(x)} -> " + ", ".join(describe(t) for t in outputs) + f" along axis {axis}",
        locals=tuple(locals_))


def lower_pad(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int8, or int16 padded with 0 (its zero point: int16 activations are symmetric)."""
    x = run_time(input_tensor(graph, op, 0, "input", MOVABLE), "input")
    y = output_tensor(graph, op, (x.dtype,))
    paddings = constant_ints(graph, op, 1, "paddings")
    rank = len(x.shape)
    if len(paddings) != 2 * rank or any(p < 0 for p in paddings):
        raise OpNotSupported(f"paddings {list(paddings)} do not fit a rank-{rank} input")
    before = paddings[0::2]
    expected = tuple(x.shape[d] + paddings[2 * d] + paddings[2 * d + 1] for d in range(rank))
    if expected != tuple(y.shape):
        raise OpNotSupported(f"output {list(y.shape)} is not the padded input {list(expected)}")
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        value_tensor = checked(graph.tensors[op.inputs[2]], "pad value", (x.dtype,))
        if value_tensor.data is None:
            raise OpNotSupported("its pad value is computed at run time")
        value = int(np.asarray(value_tensor.data).reshape(-1)[0])
    else:
        value = per_tensor_quantization(y)[1]
    if x.dtype == "int16" and value != 0:
        raise OpNotSupported(f"its int16 pad value is {value}; the engine fills int16 with 0 only")
    out_strides = contiguous_strides(y.shape)
    offset = sum(b * s for b, s in zip(before, out_strides))
    element = ELEMENT_BYTES[x.dtype]
    dims = copy_dims(x.shape, contiguous_strides(x.shape), out_strides, element)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_fill_s8",
        arguments=kernel_arguments("tinyml_fill_s8", output=as_bytes(tensor_ref(y), y, False),
                                   size=elements(y) * element, value=value),
        more_calls=(("tinyml_copy_s8", kernel_arguments(
            "tinyml_copy_s8", dims="&dims", input=as_bytes(tensor_ref(x), x, True),
            output=as_bytes(pointer_plus(tensor_ref(y), offset), y, False))),),
        reads=(x.index,), writes=(y.index,),
        summary=f"{describe(x)} -> {describe(y)}; paddings {list(paddings)}, value {value}",
        locals=(LocalConst("tinyml_copy_dims", "dims", dims),))


def lower_gather(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """GATHER (params, indices) along its axis; EMBEDDING_LOOKUP (indices, table): rows of the table,
    which is GATHER along axis 0."""
    lookup = op.opcode == "EMBEDDING_LOOKUP"
    params = input_tensor(graph, op, 1 if lookup else 0, "value" if lookup else "params")
    indices = input_tensor(graph, op, 0 if lookup else 1, "lookup" if lookup else "indices", dtypes=("int32",))
    y = output_tensor(graph, op)
    if op.options.get("batch_dims", 0):
        raise OpNotSupported("batch_dims other than 0")
    rank = len(params.shape)
    axis = op.options.get("axis", 0)
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise OpNotSupported(f"axis {op.options.get('axis')} outside a rank-{rank} input")
    outer = int(np.prod(params.shape[:axis], dtype=np.int64))
    inner = int(np.prod(params.shape[axis + 1:], dtype=np.int64))
    axis_size, count = params.shape[axis], elements(indices)
    expected = tuple(params.shape[:axis]) + tuple(indices.shape) + tuple(params.shape[axis + 1:])
    if expected != tuple(y.shape):
        raise OpNotSupported(f"output {list(y.shape)} is not {list(expected)}")
    if indices.data is not None and np.any((indices.data < 0) | (indices.data >= axis_size)):
        raise OpNotSupported(f"a constant index is outside [0, {axis_size})")
    reads, constants = _operand_io([params, indices])
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_gather_s8",
        arguments=kernel_arguments("tinyml_gather_s8", params=tensor_ref(params), indices=tensor_ref(indices),
                                   output=tensor_ref(y), outer=outer, axis_size=axis_size, inner=inner, count=count),
        reads=reads, writes=(y.index,), constants=constants,
        summary=f"{describe(params)}[{describe(indices)}] along axis {axis} -> {describe(y)}")


def lower_gather_nd(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """GATHER_ND with constant indices: each index tuple (the last axis of indices, k long) picks a
    slice of params; with params seen as [prod(shape[:k])][slice], that is GATHER along axis 0 by the
    tuples' flat indices, computed at build time (a table in flash)."""
    params = input_tensor(graph, op, 0, "params")
    indices = input_tensor(graph, op, 1, "indices", dtypes=("int32",))
    y = output_tensor(graph, op)
    if indices.data is None:
        raise OpNotSupported(f"its indices '{indices.name}' are computed at run time (the engine takes constant ones)")
    tuples = np.asarray(indices.data).reshape(-1, indices.shape[-1] if indices.shape else 1)
    k = tuples.shape[1]
    if not indices.shape or k > len(params.shape):
        raise OpNotSupported(f"indices {list(indices.shape)} do not index params {list(params.shape)}")
    expected = tuple(indices.shape[:-1]) + tuple(params.shape[k:])
    if expected != tuple(y.shape):
        raise OpNotSupported(f"output {list(y.shape)} is not {list(expected)}")
    if np.any((tuples < 0) | (tuples >= np.array(params.shape[:k]))):
        raise OpNotSupported(f"a constant index is outside params {list(params.shape)}")
    flat = tuples @ np.array(contiguous_strides(tuple(params.shape[:k])), dtype=np.int64)
    table = ConstTable(f"op{op.index}_flat_indices", "int32_t", tuple(int(v) for v in flat))
    reads, constants = _operand_io([params])
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_gather_s8",
        arguments=kernel_arguments("tinyml_gather_s8", params=tensor_ref(params), indices=table.name,
                                   output=tensor_ref(y), outer=1,
                                   axis_size=int(np.prod(params.shape[:k], dtype=np.int64)),
                                   inner=int(np.prod(params.shape[k:], dtype=np.int64)), count=len(flat)),
        reads=reads, writes=(y.index,), constants=constants, tables=(table,),
        summary=f"{describe(params)}[{len(flat)} index tuples of {k}] -> {describe(y)}")
