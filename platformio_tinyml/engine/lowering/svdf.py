"""SVDF (int8 input, weights and output; int16 time weights and state, as the TFLite converter
quantizes it) -> tinyml_svdf_s8, with TFLite Micro's Prepare done at build time: the two effective
scales (input x feature weights into the state's scale, state x time weights into the output's),
each computed in float as TFLite Micro computes them. Like TFLite Micro's integer kernel, the fused
activation is not applied (its int8 output is clamped to the int8 range only).

The state is a variable tensor: kept from one inference to the next (codegen places it outside the
arena)."""

from __future__ import annotations

import numpy as np

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, c_struct, kernel_arguments
from ..quantization import quantize_multiplier
from ..symbols import tensor_ref
from .operands import (OpNotSupported, constant, describe, input_tensor, output_tensor, per_tensor_quantization,
                       shape_of_rank, symmetric_filter_scales, variable_state)


def _effective_scale(a: float, b: float, c: float) -> tuple[int, int]:
    """TFLite Micro's double(a * b / c), the product and quotient in float."""
    return quantize_multiplier(float(np.float32(np.float32(a) * np.float32(b)) / np.float32(c)))


def lower_svdf(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    rank = int(op.options.get("rank", 0))
    x = input_tensor(graph, op, 0, "input")
    batches, input_size = shape_of_rank(x, 2, "input")
    feature = constant(input_tensor(graph, op, 1, "feature weights"), "feature weights")
    filters, feature_columns = shape_of_rank(feature, 2, "feature weights")
    time = constant(input_tensor(graph, op, 2, "time weights", dtypes=("int16",)), "time weights")
    time_rows, memory = shape_of_rank(time, 2, "time weights")
    bias = constant(input_tensor(graph, op, 3, "bias", dtypes=("int32",)), "bias")
    y = output_tensor(graph, op)
    if rank < 1 or filters % rank:
        raise OpNotSupported(f"its rank {rank} does not divide its {filters} filters")
    units = filters // rank
    if feature_columns != input_size or time_rows != filters or tuple(bias.shape) != (units,) \
            or tuple(y.shape) != (batches, units):
        raise OpNotSupported(f"feature weights {list(feature.shape)}, time weights {list(time.shape)}, bias "
                             f"{list(bias.shape)} and output {list(y.shape)} do not fit input {list(x.shape)} "
                             f"with rank {rank}")
    state = variable_state(graph, op, 4, "state", "int16", batches * memory * filters)
    (feature_scale,), (time_scale,) = symmetric_filter_scales(feature), per_tensor_quantization(time)[:1]
    (in_scale, in_zp), (state_scale, state_zp), (out_scale, out_zp) = (
        per_tensor_quantization(t) for t in (x, state, y))
    feature_mul = _effective_scale(in_scale, feature_scale, state_scale)
    output_mul = _effective_scale(state_scale, time_scale, out_scale)
    params = c_struct(batches=batches, input_size=input_size, filters=filters, rank=rank, memory=memory,
                      input_zero_point=in_zp, state_zero_point=state_zp, output_zero_point=out_zp,
                      feature_multiplier=feature_mul[0], feature_shift=feature_mul[1],
                      output_multiplier=output_mul[0], output_shift=output_mul[1])
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_svdf_s8",
        arguments=kernel_arguments("tinyml_svdf_s8", params="&params", input=tensor_ref(x),
                                   weights_feature=tensor_ref(feature), weights_time=tensor_ref(time),
                                   bias=tensor_ref(bias), state=tensor_ref(state), output=tensor_ref(y)),
        reads=(x.index,), writes=(y.index,), constants=(feature.index, time.index, bias.index),
        summary=f"{describe(x)} -> {describe(y)}; {filters} filters of rank {rank}, memory {memory}; "
                f"state {describe(state)}",
        locals=(LocalConst("tinyml_svdf_params", "params", params),), state=(state.index,))
