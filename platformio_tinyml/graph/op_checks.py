"""Per-op checks (see op_rules): operand counts, absent inputs, the options table and its values,
and operand types, each message naming the operator and, where one is involved, the tensor."""

from __future__ import annotations

import math

from .model import Graph, Operator, Tensor
from .op_rules import OP_RULES, WEIGHT_TYPES, WEIGHTED_OPS, WINDOW_FIELDS, OpRule
from .problems import op_label, operand
from .quantization_checks import per_channel_axis
from .schema import ACTIVATION, FC_WEIGHTS_FORMAT, PADDING
from .elementwise_checks import elementwise_problems
from .window_checks import window_problems

ENUM_FIELDS = {"padding": PADDING, "fused_activation_function": ACTIVATION, "weights_format": FC_WEIGHTS_FORMAT}


def op_problems(graph: Graph) -> list[str]:
    details = []
    for op in graph.operators:
        rule = OP_RULES.get(op.opcode)
        if rule is None:
            continue
        found = _count_problems(op, rule) + _options_problems(op, rule)
        if all(0 <= index < len(graph.tensors) for index in (*op.inputs, *op.outputs) if index != -1):
            found += _type_problems(graph, op, rule) + _weight_problems(graph, op)
            positive = all(d >= 1 for i in (*op.inputs, *op.outputs) if i != -1 for d in graph.tensors[i].shape)
            if not found and positive:  # shapes are compared once operands, options and dimensions are sound
                found += window_problems(graph, op) + elementwise_problems(graph, op)
        details += found
    return details


def _count_problems(op: Operator, rule: OpRule) -> list[str]:
    fewest, most = rule.inputs
    details = []
    if not fewest <= len(op.inputs) <= most:
        wanted = f"{fewest}" if fewest == most else f"{fewest} or {most}" if most - fewest == 1 else f"at least {fewest}"
        details.append(f"{op_label(op)} has {len(op.inputs)} inputs; {op.opcode} takes {wanted}")
    if rule.several_outputs and not op.outputs:
        details.append(f"{op_label(op)} has no outputs; {op.opcode} has at least 1")
    elif not rule.several_outputs and len(op.outputs) != 1:
        details.append(f"{op_label(op)} has {len(op.outputs)} outputs; {op.opcode} has exactly 1")
    for position, index in enumerate(op.inputs):
        if index == -1 and position not in rule.optional:
            details.append(f"{op_label(op)}, input {position} is absent (-1); {op.opcode} needs it"
                           + (" (TFLite Micro's depthwise kernel always reads its bias)"
                              if op.opcode == "DEPTHWISE_CONV_2D" and position == 2 else ""))
    return details


def _options_problems(op: Operator, rule: OpRule) -> list[str]:
    if op.options_type == "NONE" and rule.options != "NONE":
        if rule.options_required:
            return [f"{op_label(op)} has no options table; {op.opcode} needs {rule.options}"]
        return []
    if op.options_type != rule.options:
        wanted = "no options" if rule.options == "NONE" else f"{rule.options} (or none)" \
            if not rule.options_required else rule.options
        return [f"{op_label(op)} carries {op.options_type}; {op.opcode} reads {wanted}"]
    details = [f"{op_label(op)}: {key} is {value}, not a TFLite value ({', '.join(ENUM_FIELDS[key])})"
               for key, value in op.options.items() if key in ENUM_FIELDS and isinstance(value, int)]
    details += [f"{op_label(op)}: {key} is {op.options[key]}; it must be at least 1"
                for key in WINDOW_FIELDS.get(op.options_type, ()) if op.options[key] < 1]
    if op.opcode == "SOFTMAX" and not (math.isfinite(op.options["beta"]) and op.options["beta"] > 0):
        details.append(f"{op_label(op)}: beta is {op.options['beta']!r}; it must be finite and positive")
    return details


def _type_problems(graph: Graph, op: Operator, rule: OpRule) -> list[str]:
    if not op.outputs:
        return []
    output = graph.tensors[op.outputs[0]]
    return [f"{operand(op, 'input', position, graph.tensors[op.inputs[position]])} is "
            f"{graph.tensors[op.inputs[position]].dtype} but output 0 is {output.dtype}; "
            f"{op.opcode} needs them of one type"
            for position in rule.same_type
            if position < len(op.inputs) and op.inputs[position] != -1
            and graph.tensors[op.inputs[position]].dtype != output.dtype]


def _weight_problems(graph: Graph, op: Operator) -> list[str]:
    """Weights and bias of the input's type family, filters quantized along the op's own axis."""
    if op.opcode not in WEIGHTED_OPS or len(op.inputs) < 2 or op.inputs[0] == -1:
        return []
    weights_at, bias_at, channel_axis = WEIGHTED_OPS[op.opcode]
    x = graph.tensors[op.inputs[0]]
    if x.dtype not in WEIGHT_TYPES:
        return [f"{operand(op, 'input', 0, x)} is {x.dtype}; {op.opcode} runs on "
                f"{', '.join(WEIGHT_TYPES)} inputs"]
    weight_types, bias_types = WEIGHT_TYPES[x.dtype]
    details = []
    operands = [(weights_at, weight_types, "weights")]
    if bias_at < len(op.inputs) and op.inputs[bias_at] != -1:
        operands.append((bias_at, bias_types, "bias"))
    for position, types, role in operands:
        tensor = graph.tensors[op.inputs[position]]
        if tensor.dtype not in types:
            details.append(f"{operand(op, 'input', position, tensor)} is {tensor.dtype}; with {x.dtype} "
                           f"input, {op.opcode}'s {role} must be {' or '.join(types)}")
    weights = graph.tensors[op.inputs[weights_at]]
    if _per_channel(weights) and per_channel_axis(weights) != channel_axis:
        details.append(f"{operand(op, 'input', weights_at, weights)} is quantized per channel along "
                       f"dimension {weights.quantization.quantized_dimension}; {op.opcode} needs "
                       f"dimension {channel_axis}")
    return details


def _per_channel(tensor: Tensor) -> bool:
    return tensor.quantization is not None and len(tensor.quantization.scale) > 1
