"""SOFTMAX (int8 in, int8 out with scale 1/256 and zero point -128) -> tinyml_softmax_s8, on the last
dimension, with its 256 exponentials computed here (softmax_table.py) rather than per element at
run time as CMSIS-NN's arm_softmax_s8 does; the arithmetic around them is the same."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, kernel_arguments
from ..quantization import softmax_input_scaling
from ..softmax_table import softmax_exp_table
from ..symbols import tensor_ref
from .operands import OpNotSupported, describe, elements, input_tensor, output_tensor, per_tensor_quantization

OUTPUT_QUANTIZATION = (1.0 / 256, -128)


def lower_softmax(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
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
