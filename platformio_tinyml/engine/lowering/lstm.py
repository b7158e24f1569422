"""UNIDIRECTIONAL_SEQUENCE_LSTM (int8 activations and weights, int16 cell state) -> tinyml_lstm_s8,
with TFLite Micro's Prepare (lstm_eval_common.cc) done at build time: each gate's two products
requantized to int16 Q3.12 (input scale x weight scale / 2^-12), the cell update's and the hidden
state's multiplications of Q0.15 gate outputs (double-precision scales), tanh's input scaling from
the cell state's power-of-two scale, the quantized cell clip; and, beyond TFLite Micro, the input and
hidden zero points times each weight row's sum folded into the biases.

The hidden and cell states are variable tensors: the model's state, kept from one inference to the
next as TFLite Micro keeps them (codegen places them outside the arena)."""

from __future__ import annotations

import numpy as np

from ...graph import Graph, Operator, Tensor
from ..cores import KernelPath
from ..fixed_point import wrap_int32
from ..kernel_call import ConstTable, KernelCall, LocalConst, c_struct, kernel_arguments
from ..quantization import checked_log2, fully_connected_multiplier, quantize_multiplier
from ..symbols import scratch_ref, tensor_ref
from .operands import (OpNotSupported, constant, describe, input_tensor, output_tensor, per_tensor_quantization,
                       shape_of_rank, symmetric_filter_scales, variable_state)

GATES = ("forget", "input", "cell", "output")  # the kernel's order, TFLite Micro's evaluation order
INPUT_WEIGHTS = {"input": 1, "forget": 2, "cell": 3, "output": 4}  # positions in lstm_shared.h
RECURRENT_WEIGHTS = {"input": 5, "forget": 6, "cell": 7, "output": 8}
BIASES = {"input": 12, "forget": 13, "cell": 14, "output": 15}
HIDDEN_STATE, CELL_STATE = 18, 19
VARIANTS = (("peephole connections", (9, 10, 11)), ("a projection layer", (16, 17)),
            ("layer normalization", (20, 21, 22, 23)))
GATE_INPUT_SCALE = 2.0 ** -12   # the gates' int16 inputs: Q3.12
GATE_OUTPUT_SCALE = 2.0 ** -15  # their outputs: Q0.15


def _present(op: Operator, position: int) -> bool:
    return position < len(op.inputs) and op.inputs[position] >= 0


def _refuse_variants(op: Operator) -> None:
    """TFLite Micro's kernel runs the standard LSTM (a Keras LSTM layer) only."""
    if not all(_present(op, position) for position in (INPUT_WEIGHTS["input"], RECURRENT_WEIGHTS["input"],
                                                         BIASES["input"])):
        raise OpNotSupported("it is a CIFG LSTM (no input gate), which TFLite Micro's kernel does not run")
    for what, positions in VARIANTS:
        if any(_present(op, position) for position in positions):
            raise OpNotSupported(f"it has {what}, which TFLite Micro's LSTM kernel does not run")


def _weights(graph: Graph, op: Operator, position: int, role: str, shape: tuple[int, int]) -> tuple[Tensor, float]:
    tensor = constant(input_tensor(graph, op, position, role), role)
    if tuple(tensor.shape) != shape:
        raise OpNotSupported(f"its {role} '{tensor.name}' has shape {list(tensor.shape)}, not {list(shape)}")
    scales = symmetric_filter_scales(tensor)
    if len(scales) != 1:
        raise OpNotSupported(f"its {role} '{tensor.name}' is quantized per channel; LSTM weights have one scale")
    return tensor, scales[0]


def _mul_scaling(input1_scale: float, input2_scale: float, output_scale: float) -> tuple[int, int]:
    """TFLite Micro's CreateInterGateMulParams: the scales' product and quotient in double."""
    return quantize_multiplier(float(np.float32(input1_scale)) * float(np.float32(input2_scale))
                               / float(np.float32(output_scale)))


def _row_sums(weights: Tensor) -> np.ndarray:
    return weights.data.astype(np.int64).sum(axis=1)


def lower_lstm(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    _refuse_variants(op)
    options = op.options
    x = input_tensor(graph, op, 0, "input")
    y = output_tensor(graph, op)
    time_major = bool(options.get("time_major", False))
    leading, second, input_size = shape_of_rank(x, 3, "input")
    time_steps, batches = (leading, second) if time_major else (second, leading)
    if options.get("fused_activation_function", "TANH") != "TANH":
        raise OpNotSupported(f"its cell activation is {options['fused_activation_function']}; the engine runs "
                             f"TANH (a Keras LSTM's)")
    state_size = shape_of_rank(input_tensor(graph, op, INPUT_WEIGHTS["forget"], "input-to-forget weights"), 2,
                               "input-to-forget weights")[0]
    in_scale, in_zp = per_tensor_quantization(x)
    hidden = variable_state(graph, op, HIDDEN_STATE, "hidden state", "int8", batches * state_size)
    cell = variable_state(graph, op, CELL_STATE, "cell state", "int16", batches * state_size)
    hidden_scale, hidden_zp = per_tensor_quantization(hidden)
    cell_scale, _ = per_tensor_quantization(cell)
    if tuple(y.shape) != (leading, second, state_size):
        raise OpNotSupported(f"its output has shape {list(y.shape)}, not {[leading, second, state_size]}")

    weights, multipliers, biases = {}, {}, []
    for gate in GATES:
        w, w_scale = _weights(graph, op, INPUT_WEIGHTS[gate], f"input-to-{gate} weights", (state_size, input_size))
        r, r_scale = _weights(graph, op, RECURRENT_WEIGHTS[gate], f"recurrent-to-{gate} weights",
                              (state_size, state_size))
        bias = constant(input_tensor(graph, op, BIASES[gate], f"{gate} gate bias", dtypes=("int32",)),
                        f"{gate} gate bias")
        if tuple(bias.shape) != (state_size,):
            raise OpNotSupported(f"its {gate} gate bias has shape {list(bias.shape)}, not [{state_size}]")
        weights[gate] = (w, r)
        multipliers[gate] = (fully_connected_multiplier(in_scale, w_scale, GATE_INPUT_SCALE),
                             fully_connected_multiplier(hidden_scale, r_scale, GATE_INPUT_SCALE))
        biases.append(bias.data.astype(np.int64) - in_zp * _row_sums(w))
    biases += [-hidden_zp * _row_sums(weights[gate][1]) for gate in GATES]

    power, _ = checked_log2(cell_scale)  # TFLite Micro uses it even when the scale is no power of two
    tanh_shift = 15 + power - 3
    tanh_multiplier, tanh_shift = (3, -tanh_shift) if tanh_shift < 0 else (0, tanh_shift)
    cell_clip = float(options.get("cell_clip", 0.0))
    quantized_clip = int(min(max(float(np.float32(cell_clip)) / float(np.float32(cell_scale)), -32768.0), 32767.0))
    forget_mul = _mul_scaling(GATE_OUTPUT_SCALE, cell_scale, cell_scale)
    update_mul = _mul_scaling(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, cell_scale)
    hidden_mul = _mul_scaling(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, hidden_scale)
    params = c_struct(
        batches=batches, time_steps=time_steps, input_size=input_size, state_size=state_size,
        time_major=int(time_major),
        input_multipliers=[multipliers[g][0][0] for g in GATES], input_shifts=[multipliers[g][0][1] for g in GATES],
        recurrent_multipliers=[multipliers[g][1][0] for g in GATES],
        recurrent_shifts=[multipliers[g][1][1] for g in GATES],
        forget_multiplier=forget_mul[0], forget_shift=forget_mul[1],
        update_multiplier=update_mul[0], update_shift=update_mul[1],
        hidden_multiplier=hidden_mul[0], hidden_shift=hidden_mul[1], hidden_zero_point=hidden_zp,
        tanh_multiplier=tanh_multiplier, tanh_shift=tanh_shift, cell_clip=quantized_clip if cell_clip > 0 else 0)
    table = ConstTable(f"op{op.index}_biases", "int32_t",
                       tuple(wrap_int32(int(v)) for row in biases for v in row))
    gate_weights = {f"input_to_{g}": tensor_ref(weights[g][0]) for g in GATES}
    gate_weights.update({f"recurrent_to_{g}": tensor_ref(weights[g][1]) for g in GATES})
    return KernelCall(
        op_index=op.index, opcode=op.opcode, function="tinyml_lstm_s8",
        arguments=kernel_arguments("tinyml_lstm_s8", params="&params", input=tensor_ref(x), **gate_weights,
                                   biases=table.name, hidden=tensor_ref(hidden), cell=tensor_ref(cell),
                                   scratch=f"(int16_t *){scratch_ref(op.index)}", output=tensor_ref(y)),
        reads=(x.index,), writes=(y.index,),
        constants=tuple(t.index for g in GATES for t in weights[g]),
        summary=f"{describe(x)} -> {describe(y)}; {time_steps} steps, {batches} batch rows, "
                f"{state_size} cells{', time major' if time_major else ''}; state {describe(hidden)}, "
                f"{describe(cell)}",
        locals=(LocalConst("tinyml_lstm_params", "params", params),), tables=(table,),
        scratch_bytes=5 * state_size * 2, state=(hidden.index, cell.index))
