"""CONV_2D with a 1x1 filter, stride 1, no padding and 16, 32, 48 or 64 input channels (int8) on
Helium -> our tinyml_pointwise_conv_s8_mve: the input offset times each filter's sum folded into the
bias at build time (CMSIS-NN sums the filter row again for every four outputs), each filter row held
in vector registers while the input rows pass (tinyml_pointwise.c)."""

from __future__ import annotations

import numpy as np

from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_struct, kernel_arguments
from ..symbols import tensor_ref
from .convolution import ConvOperands
from .operands import describe, folded_bias

STEP = 16  # bytes of depth per VMLADAVA
MAX_DEPTH = 4 * STEP  # a filter row in four vector registers


def own_pointwise_applies(path: KernelPath, operands: ConvOperands, requantization) -> bool:
    """Only where no shift is to the left: the kernel requantizes for right shifts only; only whole
    16-byte steps (a partial last step would need predicated loads no bit-exact test covers yet)."""
    _, k_h, k_w, depth = operands.filter.shape
    return (path is KernelPath.MVE and (k_h, k_w) == (1, 1) and operands.stride_hw == (1, 1)
            and operands.padding_hw == (0, 0) and operands.dilation_hw == (1, 1) and depth <= MAX_DEPTH
            and depth % STEP == 0 and max(requantization[1].values) <= 0)


def lower_own_pointwise(op, operands: ConvOperands, requantization) -> KernelCall:
    x, w, b, y = operands.input, operands.filter, operands.bias, operands.output
    units, depth = w.shape[0], w.shape[3]
    rows = int(np.prod(x.shape[:3]))
    sums = np.asarray(w.data, dtype=np.int64).reshape(units, depth).sum(axis=1)
    tables = (ConstTable(f"op{op.index}_folded_bias", "int32_t", folded_bias(b, sums, operands.input_zero_point)),
              *requantization)
    low, high = operands.activation
    params = c_struct(rows=rows, depth=depth, units=units, output_offset=operands.output_zero_point,
                      activation_min=low, activation_max=high)
    function = "tinyml_pointwise_conv_s8_mve"
    arguments = kernel_arguments(function, params="&params", input=tensor_ref(x), filter=tensor_ref(w),
                                 bias=tables[0].name, multiplier=tables[1].name, shift=tables[2].name,
                                 output=tensor_ref(y))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function, arguments=arguments,
        reads=(x.index,), writes=(y.index,), constants=(w.index,),
        summary=(f"{describe(x)} -> {describe(y)}; 1x1 filter: {rows} x {depth} by {units}, "
                 "input offset folded into the bias"),
        locals=(LocalConst("tinyml_pointwise_params", "params", params),), tables=tables)
