"""DEPTHWISE_CONV_2D (int8, depth multiplier 1, one batch, no dilation) on the DSP and Helium cores
-> our tinyml_depthwise_conv_s8_dsp / _mve, with the work CMSIS-NN's kernels repeat per output done
at build time: the input offset times each channel's filter sum folded into the bias, a row of the
input zero point for the taps outside the input (so no tap is bounds-tested in the loop), and the
filter and tables laid out as the core's loop reads them (tinyml_depthwise.c)."""

from __future__ import annotations

import numpy as np

from ..cores import KernelPath
from ..fixed_point import wrap_int32
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_struct, kernel_arguments
from ..symbols import tensor_ref
from .convolution import ConvOperands, window_summary
from .operands import describe, folded_bias

MAX_TAPS = 32  # TINYML_DEPTHWISE_MAX_TAPS
HELIUM_GROUP = 8  # channels a Helium step takes: four even, then four odd


def own_depthwise_applies(path: KernelPath, multiplier: int, batches: int, filter_hw, operands: ConvOperands,
                          requantization) -> bool:
    """Where our kernel runs: only where no shift is to the left (both kernels requantize for right
    shifts only), and on the DSP cores where every shift is and every doubled sum fits an int32 (its
    SMMULR requantization)."""
    if not (path in (KernelPath.DSP, KernelPath.MVE) and multiplier == 1 and batches == 1
            and operands.dilation_hw == (1, 1) and filter_hw[0] * filter_hw[1] <= MAX_TAPS):
        return False
    if path is KernelPath.MVE:
        return max(requantization[1].values) <= 0
    weights, folded = _weights_and_folded_bias(operands)
    largest = np.abs(folded) + 128 * np.abs(weights).sum(axis=0)
    return max(requantization[1].values) < 0 and int(largest.max()) < (1 << 30)


def _weights_and_folded_bias(operands: ConvOperands) -> tuple[np.ndarray, np.ndarray]:
    """The filter as [taps, channels], and each channel's folded bias (operands.folded_bias)."""
    _, k_h, k_w, channels = operands.filter.shape
    weights = np.asarray(operands.filter.data, dtype=np.int64).reshape(k_h * k_w, channels)
    return weights, np.array(folded_bias(operands.bias, weights.sum(axis=0), operands.input_zero_point))


def _doubled_weight_words(weights: np.ndarray) -> tuple[int, ...]:
    """[taps, channels] -> per group of four channels, per tap, the words (2w[c] | 2w[c + 2] << 16) and
    (2w[c + 1] | 2w[c + 3] << 16); channels past the last weigh 0."""
    taps, channels = weights.shape
    padded = np.zeros((taps, -(-channels // 4) * 4), np.int64)
    padded[:, :channels] = 2 * weights
    quads = padded.reshape(taps, -1, 4).transpose(1, 0, 2)  # [group, tap, lane]
    low, high = quads[..., 0:2] & 0xFFFF, quads[..., 2:4]
    words = (high << 16) | low  # [group, tap, (c|c+2, c+1|c+3)]
    return tuple(wrap_int32(int(v)) for v in words.reshape(-1))


def _even_then_odd(values, channels: int) -> tuple[int, ...]:
    """Per-channel values in Helium's order: each group of eight as its even channels, then its odd ones
    (0 past the last channel)."""
    padded = np.zeros(-(-channels // HELIUM_GROUP) * HELIUM_GROUP, np.int64)
    padded[:channels] = values
    groups = padded.reshape(-1, HELIUM_GROUP)
    return tuple(int(v) for v in np.concatenate([groups[:, 0::2], groups[:, 1::2]], axis=1).reshape(-1))


def lower_own_depthwise(op, path: KernelPath, operands: ConvOperands, requantization) -> KernelCall:
    x, w, y = operands.input, operands.filter, operands.output
    _, in_h, in_w, channels = x.shape
    _, k_h, k_w, _ = w.shape
    _, out_h, out_w, _ = y.shape
    weights, folded = _weights_and_folded_bias(operands)
    multipliers, shifts = (table.values for table in requantization)
    name = f"op{op.index}"
    padding_row = ConstTable(f"{name}_padding_row", "int8_t", (operands.input_zero_point,) * channels)
    if path is KernelPath.MVE:
        function = "tinyml_depthwise_conv_s8_mve"
        tables = [ConstTable(f"{name}_{what}_even_odd", "int32_t", _even_then_odd(values, channels))
                  for what, values in (("folded_bias", folded), ("multiplier", multipliers), ("shift", shifts))]
        arguments = kernel_arguments(function, params="&params", input=tensor_ref(x), filter=tensor_ref(w),
                                     bias=tables[0].name, multiplier=tables[1].name, shift=tables[2].name,
                                     output=tensor_ref(y))
        constants = (w.index,)
    else:
        function, constants = "tinyml_depthwise_conv_s8_dsp", ()
        requant = tuple(v for m, s in zip(multipliers, shifts) for v in (m, -s - 1))
        tables = [ConstTable(f"{name}_doubled_weights", "int32_t", _doubled_weight_words(weights)),
                  ConstTable(f"{name}_doubled_folded_bias", "int32_t",
                             tuple(2 * int(v) for v in folded) + (0,) * (-channels % 4)),
                  ConstTable(f"{name}_multiplier_exponent_less_one", "int32_t", requant)]
        arguments = kernel_arguments(function, params="&params", input=tensor_ref(x), filter=tables[0].name,
                                     bias=tables[1].name, requant=tables[2].name, output=tensor_ref(y))
    (pad_h, pad_w), (stride_h, stride_w) = operands.padding_hw, operands.stride_hw
    low, high = operands.activation
    params = c_struct(input_height=in_h, input_width=in_w, channels=channels, filter_height=k_h, filter_width=k_w,
                      stride_height=stride_h, stride_width=stride_w, padding_height=pad_h, padding_width=pad_w,
                      output_height=out_h, output_width=out_w, output_offset=operands.output_zero_point,
                      activation_min=low, activation_max=high, padding_row=padding_row.name)
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function=function, arguments=arguments,
        reads=(x.index,), writes=(y.index,), constants=constants,
        summary=(f"{describe(x)} -> {describe(y)}; {window_summary(operands)}, depth multiplier 1, "
                 "input offset folded into the bias"),
        locals=(LocalConst("tinyml_depthwise_params", "params", params),), tables=(padding_row, *tables))
