"""CONV_2D with a 1x1 filter, stride 1, no padding and at most 64 input channels (int8) on Helium ->
our tinyml_pointwise_conv_s8_mve: the input offset times each filter's sum folded into the bias at
build time (CMSIS-NN sums the filter row again for every four outputs), each filter row padded to
whole 16-byte steps and held in vector registers while the input rows pass (tinyml_pointwise.c)."""

from __future__ import annotations

import numpy as np

from ..cores import KernelPath
from ..fixed_point import wrap_int32
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_struct, kernel_arguments
from ..symbols import tensor_ref
from .convolution import ConvOperands
from .operands import describe

STEP = 16  # bytes of depth per VMLADAVA
MAX_DEPTH = 4 * STEP  # a filter row in four vector registers


def own_pointwise_applies(path: KernelPath, operands: ConvOperands, requantization) -> bool:
    """Only where no shift is to the left: the kernel requantizes for right shifts only."""
    _, k_h, k_w, depth = operands.filter.shape
    return (path is KernelPath.MVE and (k_h, k_w) == (1, 1) and operands.stride_hw == (1, 1)
            and operands.padding_hw == (0, 0) and operands.dilation_hw == (1, 1) and depth <= MAX_DEPTH
            and depth % STEP == 0  # the partial last step is not yet covered by a bit-exact test
            and max(requantization[1].values) <= 0)


def lower_own_pointwise(op, operands: ConvOperands, requantization) -> KernelCall:
    x, w, b, y = operands.input, operands.filter, operands.bias, operands.output
    units, depth = w.shape[0], w.shape[3]
    rows = int(np.prod(x.shape[:3]))
    weights = np.asarray(w.data, dtype=np.int64).reshape(units, depth)
    bias = np.zeros(units, np.int64) if b is None else np.asarray(b.data, dtype=np.int64).reshape(-1)
    folded = tuple(wrap_int32(int(v)) for v in bias - operands.input_zero_point * weights.sum(axis=1))
    padded = np.zeros((units, -(-depth // STEP) * STEP), np.int64)
    padded[:, :depth] = weights
    name = f"op{op.index}"
    tables = (ConstTable(f"{name}_filter_padded", "int8_t", tuple(int(v) for v in padded.reshape(-1))),
              ConstTable(f"{name}_folded_bias", "int32_t", folded), *requantization)
    low, high = operands.activation
    params = c_struct(rows=rows, depth=depth, units=units, output_offset=operands.output_zero_point,
                      activation_min=low, activation_max=high)
    function = "tinyml_pointwise_conv_s8_mve"
    arguments = kernel_arguments(function, params="&params", input=tensor_ref(x), filter=tables[0].name,
                                 bias=tables[1].name, multiplier=tables[2].name, shift=tables[3].name,
                                 output=tensor_ref(y))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function, arguments=arguments,
        reads=(x.index,), writes=(y.index,), constants=(),
        summary=(f"{describe(x)} -> {describe(y)}; 1x1 filter: {rows} x {depth} by {units}, "
                 "input offset folded into the bias"),
        locals=(LocalConst("tinyml_pointwise_params", "params", params),), tables=tables)
