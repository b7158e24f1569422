"""Ops that rearrange int8 blocks of a tensor, as strided box copies (tinyml_copy_s8) planned at build
time: DEPTH_TO_SPACE and SPACE_TO_DEPTH (one six-axis copy), SPACE_TO_BATCH_ND (a fill, then one
copy per block offset), BATCH_TO_SPACE_ND (one copy per block offset,
crops left out) and MIRROR_PAD (the input into the middle, then each padded axis mirrored from the
output itself, reading it backwards), BROADCAST_TO (input strides 0 where it repeats), REVERSE_V2
(negative strides along the reversed axes), FILL (the value's one byte, stride 0) and ZEROS_LIKE (a
fill with the raw value 0, as TFLite Micro's). Like TFLite Micro, none of them requantizes."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from ...graph import Graph, Operator, Tensor
from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, kernel_arguments
from ..symbols import tensor_ref
from .data_movement import copy_dims, pointer_plus, quantized_alike
from .elementwise import broadcast_strides
from .operands import (OpNotSupported, constant_ints, contiguous_strides, describe, elements, input_tensor,
                       output_tensor, run_time)


class Box(NamedTuple):
    """One strided copy: `counts` elements read from `source` + in_offset along in_strides, written to
    the output + out_offset along out_strides."""
    counts: tuple[int, ...]
    source: str
    in_offset: int
    in_strides: tuple[int, ...]
    out_offset: int
    out_strides: tuple[int, ...]


def _copies(op: Operator, x: Tensor, y: Tensor, boxes: list[Box], summary: str,
            fill: int | None = None) -> KernelCall:
    """The op as its copies, after a fill of the whole output with `fill` where given."""
    calls, locals_ = [], []
    if fill is not None:
        calls.append(("tinyml_fill_s8", kernel_arguments("tinyml_fill_s8", output=tensor_ref(y), size=elements(y),
                                                         value=fill)))
    boxes = [box for box in boxes if all(count > 0 for count in box.counts)]
    for n, box in enumerate(boxes):
        name = "dims" if len(boxes) == 1 else f"dims{n}"
        locals_.append(LocalConst("tinyml_copy_dims", name, copy_dims(box.counts, box.in_strides, box.out_strides)))
        calls.append(("tinyml_copy_s8", kernel_arguments(
            "tinyml_copy_s8", dims=f"&{name}", input=pointer_plus(box.source, box.in_offset),
            output=pointer_plus(tensor_ref(y), box.out_offset))))
    if not calls:
        raise OpNotSupported(f"output {list(y.shape)} is empty")
    return KernelCall(op_index=op.index, opcode=op.opcode, function=calls[0][0], arguments=calls[0][1],
                      more_calls=tuple(calls[1:]), reads=(x.index,), writes=(y.index,),
                      summary=f"{describe(x)} -> {describe(y)}; {summary}", locals=tuple(locals_))


def _block_size(op: Operator) -> int:
    block = op.options.get("block_size", 0)
    if block < 1:
        raise OpNotSupported(f"block_size {block} is not positive")
    return block


def _nhwc(x: Tensor) -> tuple[int, int, int, int]:
    if len(x.shape) != 4:
        raise OpNotSupported(f"input '{x.name}' has shape {list(x.shape)}; TFLite Micro takes 4-D NHWC")
    return tuple(x.shape)


def _operands(graph: Graph, op: Operator) -> tuple[Tensor, Tensor]:
    x = run_time(input_tensor(graph, op, 0, "input"), "input")
    y = output_tensor(graph, op)
    quantized_alike([x], y)
    return x, y


def _expect_shape(y: Tensor, expected) -> None:
    if tuple(y.shape) != tuple(expected):
        raise OpNotSupported(f"output {list(y.shape)} is not {list(expected)}")


def lower_depth_to_space(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """output[n, h*b + i, w*b + j, c] = input[n, h, w, (i*b + j)*C' + c], C' = C / b^2: the output,
    seen as [N, H, b, W, b, C'], read from the input with matching strides."""
    x, y = _operands(graph, op)
    batches, height, width, depth = _nhwc(x)
    block = _block_size(op)
    if depth % (block * block):
        raise OpNotSupported(f"depth {depth} is not a multiple of block_size^2 = {block * block}")
    out_depth = depth // (block * block)
    _expect_shape(y, (batches, height * block, width * block, out_depth))
    view = (batches, height, block, width, block, out_depth)
    in_strides = (height * width * depth, width * depth, block * out_depth, depth, out_depth, 1)
    box = Box(view, tensor_ref(x), 0, in_strides, 0, contiguous_strides(view))
    return _copies(op, x, y, [box], f"block {block}")


def lower_space_to_depth(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """output[n, h, w, (i*b + j)*C + c] = input[n, h*b + i, w*b + j, c]: the output, seen as
    [N, H/b, W/b, b, b, C], read from the input with matching strides."""
    x, y = _operands(graph, op)
    batches, height, width, depth = _nhwc(x)
    block = _block_size(op)
    if height % block or width % block:
        raise OpNotSupported(f"height {height} and width {width} are not multiples of block_size {block}")
    _expect_shape(y, (batches, height // block, width // block, depth * block * block))
    view = (batches, height // block, width // block, block, block, depth)
    in_strides = (height * width * depth, block * width * depth, block * depth, width * depth, depth, 1)
    box = Box(view, tensor_ref(x), 0, in_strides, 0, contiguous_strides(view))
    return _copies(op, x, y, [box], f"block {block}")


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _block_operands(graph: Graph, op: Operator, margins_role: str):
    """x, y, the block shape and the (before, after) margins of each spatial axis: [N, spatial..., C]
    with one or two spatial axes, as TFLite Micro takes."""
    x, y = _operands(graph, op)
    block = constant_ints(graph, op, 1, "block_shape")
    margins = constant_ints(graph, op, 2, margins_role)
    if len(x.shape) not in (3, 4) or len(block) != len(x.shape) - 2 or len(margins) != 2 * len(block):
        raise OpNotSupported(f"block_shape {list(block)} and {margins_role} {list(margins)} do not fit input "
                             f"{list(x.shape)} (TFLite Micro takes [N, H, C] or [N, H, W, C])")
    if min(block) < 1 or min(margins) < 0:
        raise OpNotSupported(f"block_shape {list(block)} or {margins_role} {list(margins)} is not positive")
    return x, y, block, tuple(zip(margins[0::2], margins[1::2]))


class _BlockPart(NamedTuple):
    counts: tuple[int, ...]
    fine_offset: int
    fine_strides: tuple[int, ...]
    coarse_offset: int
    coarse_strides: tuple[int, ...]


def _block_parts(fine_shape, coarse_shape, block, margins) -> list[_BlockPart]:
    """What SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND share, one part per block offset (row-major over
    the block): coarse batch (offset * N + n), row q along a spatial axis, is fine batch n's row
    q*b + offset - before (before: the axis's padding or crop), where that is inside the fine tensor."""
    batches, fine_spatial = fine_shape[0], tuple(fine_shape[1:-1])
    fine_strides, coarse_strides = contiguous_strides(fine_shape), contiguous_strides(coarse_shape)
    befores = [before for before, _ in margins]
    parts = []
    for flat, offset in enumerate(itertools.product(*(range(b) for b in block))):
        lows = [max(0, _ceil_div(before - o, b)) for o, b, before in zip(offset, block, befores)]
        highs = [min(q, _ceil_div(before + size - o, b))
                 for q, o, b, size, before in zip(coarse_shape[1:-1], offset, block, fine_spatial, befores)]
        starts = [low * b + o - before for low, o, b, before in zip(lows, offset, block, befores)]
        parts.append(_BlockPart(
            (batches,) + tuple(high - low for low, high in zip(lows, highs)) + (fine_shape[-1],),
            sum(start * stride for start, stride in zip(starts, fine_strides[1:-1])),
            (fine_strides[0],) + tuple(b * stride for b, stride in zip(block, fine_strides[1:-1])) + (1,),
            flat * batches * coarse_strides[0] + sum(low * stride for low, stride in zip(lows, coarse_strides[1:-1])),
            coarse_strides))
    return parts


def lower_space_to_batch_nd(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """The input, padded, cut into blocks: output batch (offset * N + n) holds every block's element at
    `offset`. The padding is the raw value 0, as TFLite Micro's (which leaves its pad value unset;
    TensorFlow Lite's pads with the zero point, the real value 0)."""
    x, y, block, pads = _block_operands(graph, op, "paddings")
    batches, spatial, depth = x.shape[0], tuple(x.shape[1:-1]), x.shape[-1]
    padded = [size + before + after for size, (before, after) in zip(spatial, pads)]
    if any(p % b for p, b in zip(padded, block)):
        raise OpNotSupported(f"the padded spatial shape {padded} is not a multiple of block_shape {list(block)}")
    _expect_shape(y, (batches * int(np.prod(block)),) + tuple(p // b for p, b in zip(padded, block)) + (depth,))
    boxes = [Box(part.counts, tensor_ref(x), part.fine_offset, part.fine_strides, part.coarse_offset,
                 part.coarse_strides) for part in _block_parts(x.shape, y.shape, block, pads)]
    padding = any(before or after for before, after in pads)
    return _copies(op, x, y, boxes, f"block {list(block)}, paddings {[list(p) for p in pads]}",
                   fill=0 if padding else None)


def lower_batch_to_space_nd(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """The inverse: input batch (offset * N + n) holds output batch n's elements at `offset` of each
    block; the crops are left out."""
    x, y, block, crops = _block_operands(graph, op, "crops")
    count = int(np.prod(block))
    if x.shape[0] % count:
        raise OpNotSupported(f"batch {x.shape[0]} is not a multiple of the block's {count} elements")
    batches, spatial, depth = x.shape[0] // count, tuple(x.shape[1:-1]), x.shape[-1]
    out_spatial = tuple(size * b - before - after for size, b, (before, after) in zip(spatial, block, crops))
    if min(out_spatial) < 1:
        raise OpNotSupported(f"crops {[list(c) for c in crops]} leave nothing of {list(x.shape)}")
    _expect_shape(y, (batches,) + out_spatial + (depth,))
    boxes = [Box(part.counts, tensor_ref(x), part.coarse_offset, part.coarse_strides, part.fine_offset,
                 part.fine_strides) for part in _block_parts(y.shape, x.shape, block, crops)]
    return _copies(op, x, y, boxes, f"block {list(block)}, crops {[list(c) for c in crops]}")


def lower_mirror_pad(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """REFLECT leaves the edge out of the mirror image (abc -> cb|abc|ba), SYMMETRIC repeats it
    (abc -> ba|abc|cb). After the input is copied into the middle, each axis in turn is padded from the
    output itself: the axes before it already padded (their whole extent), those after it not yet."""
    x, y = _operands(graph, op)
    paddings = constant_ints(graph, op, 1, "paddings")
    rank = len(x.shape)
    if len(paddings) != 2 * rank or min(paddings, default=0) < 0:
        raise OpNotSupported(f"paddings {list(paddings)} do not fit a rank-{rank} input")
    mode = op.options.get("mode", "REFLECT")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise OpNotSupported(f"mirror mode {mode} is neither REFLECT nor SYMMETRIC")
    edge = 1 if mode == "REFLECT" else 0  # how far from the edge the mirror image starts
    pads = tuple(zip(paddings[0::2], paddings[1::2]))
    for size, (before, after) in zip(x.shape, pads):
        if max(before, after) > size - edge:
            raise OpNotSupported(f"paddings {[list(p) for p in pads]} reach beyond a {mode} image of "
                                 f"{list(x.shape)} (at most {'the size - 1' if edge else 'the size'} per side)")
    _expect_shape(y, (size + before + after for size, (before, after) in zip(x.shape, pads)))
    out_strides = contiguous_strides(y.shape)
    middle = sum(before * stride for (before, _), stride in zip(pads, out_strides))
    boxes = [Box(tuple(x.shape), tensor_ref(x), 0, contiguous_strides(x.shape), middle, out_strides)]
    for d, (size, (before, after)) in enumerate(zip(x.shape, pads)):
        extents = tuple(y.shape[:d]) + (0,) + tuple(x.shape[d + 1:])
        corner = sum(before * stride for (before, _), stride in zip(pads[d + 1:], out_strides[d + 1:]))
        backwards = out_strides[:d] + (-out_strides[d],) + out_strides[d + 1:]
        # Output row i < before mirrors row 2*before - 1 + edge - i; row before + size + j mirrors
        # before + size - 1 - edge - j: both read backwards from their first row.
        for count, first_out, first_in in ((before, 0, 2 * before - 1 + edge),
                                           (after, before + size, before + size - 1 - edge)):
            counts = extents[:d] + (count,) + extents[d + 1:]
            boxes.append(Box(counts, tensor_ref(y), corner + first_in * out_strides[d], backwards,
                             corner + first_out * out_strides[d], out_strides))
    return _copies(op, x, y, boxes, f"{mode} paddings {[list(p) for p in pads]}")


def lower_broadcast_to(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x, y = _operands(graph, op)
    shape = constant_ints(graph, op, 1, "shape")
    _expect_shape(y, shape)
    box = Box(tuple(shape), tensor_ref(x), 0, broadcast_strides(x, tuple(shape)), 0, contiguous_strides(shape))
    return _copies(op, x, y, [box], f"broadcast to {list(shape)}")


def lower_reverse(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x, y = _operands(graph, op)
    _expect_shape(y, x.shape)
    axes = sorted({a + len(x.shape) if a < 0 else a for a in constant_ints(graph, op, 1, "axis")})
    if any(not 0 <= a < len(x.shape) for a in axes):
        raise OpNotSupported(f"axis {axes} outside a rank-{len(x.shape)} input")
    if axes != list(range(axes[0], axes[0] + len(axes))):
        raise OpNotSupported(f"axes {axes} are not consecutive (TFLite Micro reverses consecutive axes only)")
    strides = contiguous_strides(x.shape)
    start = sum((x.shape[a] - 1) * strides[a] for a in axes)
    reversed_strides = tuple(-s if d in axes else s for d, s in enumerate(strides))
    box = Box(tuple(x.shape), tensor_ref(x), start, reversed_strides, 0, strides)
    return _copies(op, x, y, [box], f"reversed along axes {axes}")


def lower_fill(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """FILL (dims, value): the value's byte copied to every element (a constant value too: converters
    fold a FILL of constants, and one left is a copy all the same)."""
    dims = constant_ints(graph, op, 0, "dims")
    value = input_tensor(graph, op, 1, "value")
    y = output_tensor(graph, op)
    quantized_alike([value], y)
    if elements(value) != 1:
        raise OpNotSupported(f"value '{value.name}' has {elements(value)} elements, not one")
    _expect_shape(y, dims)
    box = Box(tuple(dims), tensor_ref(value), 0, (0,) * len(dims), 0, contiguous_strides(dims))
    call = _copies(op, value, y, [box], f"filled with {describe(value)}")
    return call if value.data is None else replace(call, reads=(), constants=(value.index,))


def lower_zeros_like(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = input_tensor(graph, op, 0, "input")
    y = output_tensor(graph, op)
    _expect_shape(y, x.shape)
    return KernelCall(op_index=op.index, opcode=op.opcode, function="tinyml_fill_s8",
                      arguments=kernel_arguments("tinyml_fill_s8", output=tensor_ref(y), size=elements(y), value=0),
                      reads=(), writes=(y.index,), summary=f"{describe(y)} = 0, the shape of {describe(x)}")
