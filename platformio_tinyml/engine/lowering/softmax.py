"""SOFTMAX (int8 in, int8 out with scale 1/256 and zero point -128) -> arm_softmax_s8, on the last
dimension."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import KernelCall, kernel_arguments
from ..quantization import softmax_input_scaling
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
    arguments = kernel_arguments("arm_softmax_s8", input=tensor_ref(x), num_rows=rows, row_size=row_size,
                                 mult=multiplier, shift=left_shift, diff_min=diff_min, output=tensor_ref(y))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="arm_softmax_s8", arguments=arguments,
        reads=(x.index,), writes=(y.index,),
        summary=f"{describe(x)} -> {describe(y)}; {rows} row(s) of {row_size}",
        returns_status=False)
