"""SOFTMAX (int8 in, int8 out with scale 1/256 and zero point -128) -> tinyml_softmax_s8, on the last
dimension, with its 256 exponentials computed here (softmax_table.py) rather than per element at
run time as CMSIS-NN's arm_softmax_s8 does; the arithmetic around them is the same."""

from __future__ import annotations

import numpy as np

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_struct, kernel_arguments
from ..quantization import quantize_multiplier, softmax_input_scaling
from ..softmax_s16_tables import softmax_s16_tables
from ..softmax_table import softmax_exp_table
from ..symbols import tensor_ref
from .int16 import is_int16
from .operands import OpNotSupported, describe, elements, input_tensor, output_tensor, per_tensor_quantization

OUTPUT_QUANTIZATION = (1.0 / 256, -128)


def lower_softmax_s16(graph: Graph, op: Operator) -> KernelCall:
    """int16 SOFTMAX (output scale 2^-15, zero points 0) -> CMSIS-NN's arm_softmax_s16 with TFLite
    Micro's two tables and input scaling (input scale x beta / (10 / 65535), in double), then
    tinyml_softmax_s16_saturate (a probability of 1.0 as TFLite Micro gives it)."""
    x, y = input_tensor(graph, op, 0, "input", ("int16",)), output_tensor(graph, op, ("int16",))
    (in_scale, in_zp), (out_scale, out_zp) = per_tensor_quantization(x), per_tensor_quantization(y)
    if in_zp or out_zp or abs(out_scale - 2.0 ** -15) > 1e-3 * 2.0 ** -15:
        raise OpNotSupported(f"int16 softmax needs zero points 0 and output scale 2^-15 (input zero point "
                             f"{in_zp}, output {out_scale:.6g}, {out_zp})")
    multiplier, shift = quantize_multiplier(float(np.float32(in_scale)) * float(np.float32(op.options.get("beta", 1.0)))
                                            / (10.0 / 65535.0))
    exp_table, reciprocal_table = softmax_s16_tables()
    # The same for every int16 softmax (no scale enters them): one copy in flash, shared by name.
    tables = (ConstTable("softmax_s16_exp", "int16_t", exp_table),
              ConstTable("softmax_s16_one_over_one_plus_x", "int16_t", reciprocal_table))
    row_size = x.shape[-1] if x.shape else 1
    rows = elements(x) // row_size
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="arm_softmax_s16",
        arguments=kernel_arguments("arm_softmax_s16", input=tensor_ref(x), num_rows=rows, row_size=row_size,
                                   mult=multiplier, shift=shift, softmax_params="&luts", output=tensor_ref(y)),
        more_calls=(("tinyml_softmax_s16_saturate",
                     kernel_arguments("tinyml_softmax_s16_saturate", output=tensor_ref(y), size=elements(y))),),
        reads=(x.index,), writes=(y.index,),
        summary=f"{describe(x)} -> {describe(y)} int16; {rows} row(s) of {row_size}", tables=tables,
        locals=(LocalConst("cmsis_nn_softmax_lut_s16", "luts",
                           c_struct(exp_lut=tables[0].name, one_by_one_lut=tables[1].name)),))


def lower_softmax(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    if is_int16(graph, op):
        return lower_softmax_s16(graph, op)
    x = input_tensor(graph, op, 0, "input")
    y = output_tensor(graph, op)
    in_scale, _ = per_tensor_quantization(x)
    out_scale, out_zp = per_tensor_quantization(y)
    if (abs(out_scale - OUTPUT_QUANTIZATION[0]) > 1e-8 * OUTPUT_QUANTIZATION[0]
            or out_zp != OUTPUT_QUANTIZATION[1]):
        raise OpNotSupported(f"output '{y.name}' has scale {out_scale} and zero point {out_zp}; "
                             "int8 softmax needs 1/256 and -128")
    row_size = x.shape[-1] if x.shape else 1
    rows = elements(x) // row_size
    multiplier, left_shift, diff_min = softmax_input_scaling(op.options.get("beta", 1.0), in_scale)
    table = ConstTable(f"op{op.index}_exp", "int32_t", softmax_exp_table(multiplier, left_shift, diff_min))
    arguments = kernel_arguments("tinyml_softmax_s8", input=tensor_ref(x), rows=rows, row_size=row_size,
                                 exp_table=table.name, output=tensor_ref(y))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_softmax_s8", arguments=arguments,
        reads=(x.index,), writes=(y.index,),
        summary=f"{describe(x)} -> {describe(y)}; {rows} row(s) of {row_size}", tables=(table,))
