"""AVERAGE_POOL_2D and MAX_POOL_2D (int8, or int16) -> CMSIS-NN's arm_avgpool_s8 / arm_max_pool_s8
(arm_avgpool_s16 / arm_max_pool_s16)."""

from __future__ import annotations

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import KernelCall, LocalConst, c_dims, c_struct, kernel_arguments
from ..padding import leading_padding
from ..quantization import activation_range
from ..scratch import avgpool_bytes
from ..symbols import scratch_ref, tensor_ref
from .operands import (OpNotSupported, describe, input_tensor, output_tensor, per_tensor_quantization,
                       shape_of_rank)

POOL_KERNELS = {"AVERAGE_POOL_2D": "arm_avgpool_s8", "MAX_POOL_2D": "arm_max_pool_s8"}
POOL_KERNELS_S16 = {"AVERAGE_POOL_2D": "arm_avgpool_s16", "MAX_POOL_2D": "arm_max_pool_s16"}


def lower_pool_2d(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = input_tensor(graph, op, 0, "input", ("int8", "int16"))
    y = output_tensor(graph, op, (x.dtype,))
    function = (POOL_KERNELS if x.dtype == "int8" else POOL_KERNELS_S16)[op.opcode]
    n, in_h, in_w, channels = shape_of_rank(x, 4, "input")
    _, out_h, out_w, _ = shape_of_rank(y, 4, "output")
    if n != 1:
        raise OpNotSupported(f"batch of {n}; the pooling kernels take one image")
    if per_tensor_quantization(x) != per_tensor_quantization(y):
        raise OpNotSupported("input and output quantization differ (TFLite requires them equal)")
    options = op.options
    stride_h, stride_w = options["stride_h"], options["stride_w"]
    filter_h, filter_w = options["filter_height"], options["filter_width"]
    pad_h = leading_padding(stride_h, 1, in_h, filter_h, out_h)
    pad_w = leading_padding(stride_w, 1, in_w, filter_w, out_w)
    act_min, act_max = activation_range(options["fused_activation_function"], *per_tensor_quantization(y), x.dtype)
    scratch = avgpool_bytes(path, channels) if op.opcode == "AVERAGE_POOL_2D" else 0  # s16: the same
    locals_ = (
        LocalConst("cmsis_nn_context", "context",
                   c_struct(buf=scratch_ref(op.index) if scratch else "NULL", size=scratch)),
        LocalConst("cmsis_nn_pool_params", "pool_params",
                   c_struct(stride={"w": stride_w, "h": stride_h}, padding={"w": pad_w, "h": pad_h},
                            activation={"min": act_min, "max": act_max})),
        LocalConst("cmsis_nn_dims", "input_dims", c_dims(1, in_h, in_w, channels)),
        LocalConst("cmsis_nn_dims", "filter_dims", c_dims(1, filter_h, filter_w, 1)),
        LocalConst("cmsis_nn_dims", "output_dims", c_dims(1, out_h, out_w, channels)),
    )
    data = ({"src": tensor_ref(x), "dst": tensor_ref(y)} if function == "arm_max_pool_s16"  # its header's names
            else {"input_data": tensor_ref(x), "output_data": tensor_ref(y)})
    arguments = kernel_arguments(function, ctx="&context", pool_params="&pool_params", input_dims="&input_dims",
                                 filter_dims="&filter_dims", output_dims="&output_dims", **data)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function, arguments=arguments,
        reads=(x.index,), writes=(y.index,),
        summary=(f"{describe(x)} -> {describe(y)}; {filter_h}x{filter_w} window, stride "
                 f"{stride_h}x{stride_w}, padding {pad_h}x{pad_w}"),
        locals=locals_, scratch_bytes=scratch)
