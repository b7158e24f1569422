"""FULLY_CONNECTED (int8) -> arm_fully_connected_s8 (per-tensor weights), or, for weights quantized
per output channel (as the TFLite converter makes Keras Dense layers), CMSIS-NN's 1x1 convolution
over [rows, depth] seen as a 1 x rows image of depth channels: the same sums, each output channel
requantized by its own multiplier (input_scale * filter_scale[c] / output_scale in double).

On MVE the per-tensor kernel wants each weight row's sum (TFLite Micro computes it into the arena
when the model is prepared); here it is computed at build time and kept in flash. On the DSP cores a
single row by per-channel weights goes to our tinyml_fully_connected_s8 instead (CMSIS-NN's 1x1
convolution is slow for one row; for several, which it takes two at a time, it is faster), the
input offset times those sums folded into the bias at build time."""

from __future__ import annotations

import numpy as np

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_dims, c_struct, kernel_arguments
from ..quantization import activation_range, fully_connected_multiplier, per_channel_multipliers
from ..scratch import conv_wrapper_bytes
from ..symbols import tensor_ref
from .int16 import is_int16, lower_fully_connected_s16
from .operands import (OpNotSupported, constant, describe, elements, folded_bias, input_tensor, output_tensor,
                       per_tensor_quantization, shape_of_rank, symmetric_filter_scales)


def lower_fully_connected(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    options = op.options
    if options.get("weights_format", "DEFAULT") != "DEFAULT":
        raise OpNotSupported(f"weights format {options['weights_format']}")
    if is_int16(graph, op):
        return lower_fully_connected_s16(graph, op, path)
    x = input_tensor(graph, op, 0, "input")
    w = constant(input_tensor(graph, op, 1, "weights"), "weights")
    b = input_tensor(graph, op, 2, "bias", dtypes=("int32",), optional=True)
    if b is not None:
        constant(b, "bias")
    y = output_tensor(graph, op)
    output_depth, accum_depth = shape_of_rank(w, 2, "weights")
    if elements(x) % accum_depth:
        raise OpNotSupported(f"input {list(x.shape)} is not a whole number of rows of {accum_depth}")
    batches = elements(x) // accum_depth
    scales = symmetric_filter_scales(w)
    if len(scales) != 1:
        return _per_channel(op, path, x, w, b, y, batches, accum_depth, output_depth, scales)
    in_scale, in_zp = per_tensor_quantization(x)
    out_scale, out_zp = per_tensor_quantization(y)
    multiplier, shift = fully_connected_multiplier(in_scale, scales[0], out_scale)
    act_min, act_max = activation_range(options["fused_activation_function"], out_scale, out_zp)

    tables = ()
    context = c_struct(buf="NULL", size=0)
    if path is KernelPath.MVE:
        sums = np.asarray(w.data, dtype=np.int32).sum(axis=1)
        tables = (ConstTable(f"op{op.index}_weight_row_sums", "int32_t", tuple(int(s) for s in sums)),)
        context = c_struct(buf=f"(void *){tables[0].name}", size=4 * output_depth)
    locals_ = (
        LocalConst("cmsis_nn_context", "context", context),
        LocalConst("cmsis_nn_fc_params", "fc_params",
                   c_struct(input_offset=-in_zp, filter_offset=0, output_offset=out_zp,
                            activation={"min": act_min, "max": act_max})),
        LocalConst("cmsis_nn_per_tensor_quant_params", "quant_params",
                   c_struct(multiplier=multiplier, shift=shift)),
        LocalConst("cmsis_nn_dims", "input_dims", c_dims(batches, 1, 1, accum_depth)),
        LocalConst("cmsis_nn_dims", "filter_dims", c_dims(accum_depth, 1, 1, output_depth)),
        LocalConst("cmsis_nn_dims", "bias_dims", c_dims(1, 1, 1, output_depth)),
        LocalConst("cmsis_nn_dims", "output_dims", c_dims(batches, 1, 1, output_depth)),
    )
    arguments = kernel_arguments(
        "arm_fully_connected_s8", ctx="&context", fc_params="&fc_params", quant_params="&quant_params",
        input_dims="&input_dims", input_data=tensor_ref(x), filter_dims="&filter_dims", filter_data=tensor_ref(w),
        bias_dims="&bias_dims", bias_data=tensor_ref(b) if b is not None else "NULL", output_dims="&output_dims",
        output_data=tensor_ref(y))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="arm_fully_connected_s8", arguments=arguments,
        reads=(x.index,), writes=(y.index,), constants=tuple(t.index for t in (w, b) if t is not None),
        summary=f"{describe(x)} -> {describe(y)}; {batches} x {accum_depth} by {output_depth}",
        locals=locals_, tables=tables)


def _per_channel(op: Operator, path: KernelPath, x, w, b, y, rows: int, depth: int, units: int, scales):
    if len(scales) != units or (w.quantization and w.quantization.quantized_dimension != 0):
        raise OpNotSupported(f"weights '{w.name}' have {len(scales)} scales for {units} output channels")
    in_scale, in_zp = per_tensor_quantization(x)
    out_scale, out_zp = per_tensor_quantization(y)
    multipliers, shifts = per_channel_multipliers(in_scale, tuple(scales), out_scale, units)
    tables = (ConstTable(f"op{op.index}_multiplier", "int32_t", multipliers),
              ConstTable(f"op{op.index}_shift", "int32_t", shifts))
    act_min, act_max = activation_range(op.options["fused_activation_function"], out_scale, out_zp)
    if path is KernelPath.DSP and rows == 1:
        return _per_channel_dsp(op, x, w, b, y, rows, depth, units, tables, (out_zp, act_min, act_max), in_zp)
    scratch = conv_wrapper_bytes(path, (1, rows, depth), (1, 1), (1, 1), (0, 0), (1, 1))
    locals_ = (
        LocalConst("cmsis_nn_context", "context", c_struct(buf="NULL", size=scratch)),
        LocalConst("cmsis_nn_conv_params", "conv_params",
                   c_struct(input_offset=-in_zp, output_offset=out_zp, stride={"w": 1, "h": 1},
                            padding={"w": 0, "h": 0}, dilation={"w": 1, "h": 1},
                            activation={"min": act_min, "max": act_max})),
        LocalConst("cmsis_nn_per_channel_quant_params", "quant_params",
                   c_struct(multiplier=f"(int32_t *){tables[0].name}", shift=f"(int32_t *){tables[1].name}")),
        LocalConst("cmsis_nn_dims", "input_dims", c_dims(1, 1, rows, depth)),
        LocalConst("cmsis_nn_dims", "filter_dims", c_dims(units, 1, 1, depth)),
        LocalConst("cmsis_nn_dims", "bias_dims", c_dims(1, 1, 1, units)),
        LocalConst("cmsis_nn_dims", "output_dims", c_dims(1, 1, rows, units)),
    )
    arguments = kernel_arguments(
        "arm_convolve_1x1_s8_fast", ctx="&context", conv_params="&conv_params", quant_params="&quant_params",
        input_dims="&input_dims", input_data=tensor_ref(x), filter_dims="&filter_dims", filter_data=tensor_ref(w),
        bias_dims="&bias_dims", bias_data=tensor_ref(b) if b is not None else "NULL", output_dims="&output_dims",
        output_data=tensor_ref(y))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="arm_convolve_1x1_s8_fast", arguments=arguments,
        reads=(x.index,), writes=(y.index,), constants=tuple(t.index for t in (w, b) if t is not None),
        summary=f"{describe(x)} -> {describe(y)}; {rows} x {depth} by {units}, weights per channel",
        locals=locals_, tables=tables, scratch_bytes=scratch)


def _per_channel_dsp(op: Operator, x, w, b, y, rows: int, depth: int, units: int, tables, output, in_zp: int):
    """tinyml_fully_connected_s8: the input offset times each unit's weight sum is folded into the
    bias at build time (modulo 2^32, as the int32 sum wraps), so the kernel multiplies raw bytes."""
    out_zp, act_min, act_max = output
    folded = folded_bias(b, np.asarray(w.data, dtype=np.int64).reshape(units, depth).sum(axis=1), in_zp)
    tables = (*tables, ConstTable(f"op{op.index}_folded_bias", "int32_t", folded))
    arguments = kernel_arguments(
        "tinyml_fully_connected_s8", input=tensor_ref(x), weights=tensor_ref(w), bias=tables[2].name,
        multiplier=tables[0].name, shift=tables[1].name, rows=rows, depth=depth, units=units,
        output_offset=out_zp, activation_min=act_min, activation_max=act_max, output=tensor_ref(y))
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_fully_connected_s8", arguments=arguments,
        reads=(x.index,), writes=(y.index,), constants=(w.index,),
        summary=f"{describe(x)} -> {describe(y)}; {rows} x {depth} by {units}, weights per channel, "
                "input offset folded into the bias",
        tables=tables)
