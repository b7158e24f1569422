"""RESIZE_NEAREST_NEIGHBOR (int8 NHWC) -> tinyml_resize_nearest_s8, with the source row of every
output row and the source column of every output column computed at build time as TFLite Micro's
reference computes them (in float32: the scale, the offset of half-pixel centres, floor or, with
align_corners, round half away from zero, clamped to the image). Like TFLite Micro, it copies bytes
and does not requantize."""

from __future__ import annotations

import math

import numpy as np

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, kernel_arguments
from ..symbols import tensor_ref
from .data_movement import quantized_alike
from .operands import OpNotSupported, constant_ints, describe, input_tensor, output_tensor, run_time


def nearest_sources(input_size: int, output_size: int, align_corners: bool,
                    half_pixel_centers: bool) -> tuple[int, ...]:
    """The input index each output index along one axis reads."""
    f32 = np.float32
    if align_corners and output_size > 1:
        scale = f32(input_size - 1) / f32(output_size - 1)
    else:
        scale = f32(input_size) / f32(output_size)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    sources = []
    for index in range(output_size):
        scaled = f32(f32(index) + offset) * scale
        # std::round rounds half away from zero; the product is never negative, and adding 0.5 in
        # double precision cannot round up a float32 just below a half.
        picked = math.floor(float(scaled) + 0.5) if align_corners else math.floor(float(scaled))
        picked = min(picked, input_size - 1)
        sources.append(max(0, picked) if half_pixel_centers else picked)
    return tuple(sources)


def lower_resize_nearest(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = run_time(input_tensor(graph, op, 0, "input"), "input")
    y = output_tensor(graph, op)
    quantized_alike([x], y)
    if len(x.shape) != 4:
        raise OpNotSupported(f"input '{x.name}' has shape {list(x.shape)}; TFLite Micro takes 4-D NHWC")
    size = constant_ints(graph, op, 1, "size")
    batches, height, width, depth = x.shape
    if len(size) != 2 or min(size) < 1 or tuple(y.shape) != (batches, size[0], size[1], depth):
        raise OpNotSupported(f"size {list(size)} and output {list(y.shape)} do not resize {list(x.shape)}")
    align_corners = bool(op.options.get("align_corners", False))
    half_pixel_centers = bool(op.options.get("half_pixel_centers", False))
    rows = nearest_sources(height, size[0], align_corners, half_pixel_centers)
    columns = nearest_sources(width, size[1], align_corners, half_pixel_centers)
    tables = (ConstTable(f"op{op.index}_source_rows", "int32_t", rows),
              ConstTable(f"op{op.index}_source_columns", "int32_t", columns))
    modes = [name for name, on in (("align_corners", align_corners), ("half_pixel_centers", half_pixel_centers)) if on]
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_resize_nearest_s8",
        arguments=kernel_arguments("tinyml_resize_nearest_s8", input=tensor_ref(x), output=tensor_ref(y),
                                   rows=tables[0].name, columns=tables[1].name, batches=batches,
                                   input_height=height, input_width=width, depth=depth, output_height=size[0],
                                   output_width=size[1]),
        reads=(x.index,), writes=(y.index,), tables=tables,
        summary=f"{describe(x)} -> {describe(y)}; nearest{', ' + ', '.join(modes) if modes else ''}")
