"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (int8 NHWC) -> tinyml_resize_nearest_s8 and
tinyml_resize_bilinear_s8, with what TFLite Micro's reference computes per pixel computed once per
output row and column at build time:
- nearest: the source index (in float32: the scale, the offset of half-pixel centres, floor or, with
  align_corners, round half away from zero, clamped to the image);
- bilinear: the two neighbours and the weight of the second in 1/1024ths (TFLite's integer
  ResizeBilinearInteger: a Q10 scale rounded to nearest, the half-pixel shift in Q10).
Like TFLite Micro, neither requantizes: the output is quantized as the input."""

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


def _c_divide(a: int, b: int) -> int:
    """a / b for b > 0 as C's integer division, truncating toward zero."""
    return a // b if a >= 0 else -(-a // b)


def bilinear_sources(input_size: int, output_size: int, align_corners: bool,
                     half_pixel_centers: bool) -> tuple[int, ...]:
    """(lower index, upper index, upper's weight in 1/1024ths) for each output index along one axis,
    flattened."""
    one = 1 << 10
    if align_corners and output_size > 1:
        scale = (one * (input_size - 1) + (output_size - 1) // 2) // (output_size - 1)
    else:
        scale = (one * input_size + output_size // 2) // output_size
    sources = []
    for index in range(output_size):
        scaled = index * scale + scale // 2 - (1 << 9) if half_pixel_centers else index * scale
        lower = max(_c_divide(scaled, one), 0)
        upper = min(_c_divide(scaled + one - 1, one), input_size - 1)
        if lower > input_size - 1:
            raise OpNotSupported(f"resizing {input_size} to {output_size} along an axis, TFLite Micro's integer "
                                 "kernel reads past the input (its Q10 scale rounds up); resize in two steps")
        sources += [lower, upper, scaled - one * lower]
    return tuple(sources)


def lower_resize(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    bilinear = op.opcode == "RESIZE_BILINEAR"
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
    if align_corners and half_pixel_centers:
        raise OpNotSupported("align_corners and half_pixel_centers are both set (TFLite Micro takes one at most)")
    sources = bilinear_sources if bilinear else nearest_sources
    rows = sources(height, size[0], align_corners, half_pixel_centers)
    columns = sources(width, size[1], align_corners, half_pixel_centers)
    tables = (ConstTable(f"op{op.index}_source_rows", "int32_t", rows),
              ConstTable(f"op{op.index}_source_columns", "int32_t", columns))
    modes = [name for name, on in (("align_corners", align_corners), ("half_pixel_centers", half_pixel_centers)) if on]
    function = "tinyml_resize_bilinear_s8" if bilinear else "tinyml_resize_nearest_s8"
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function,
        arguments=kernel_arguments(function, input=tensor_ref(x), output=tensor_ref(y),
                                   rows=tables[0].name, columns=tables[1].name, batches=batches,
                                   input_height=height, input_width=width, depth=depth, output_height=size[0],
                                   output_width=size[1]),
        reads=(x.index,), writes=(y.index,), tables=tables,
        summary=f"{describe(x)} -> {describe(y)}; {'bilinear' if bilinear else 'nearest'}"
                f"{', ' + ', '.join(modes) if modes else ''}")
