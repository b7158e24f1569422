"""Groups of ops of one int8 input: elementwise chains become one table (issue 14 item 1), row
chains such as LayerNorm one loop over the rows (item 2). Which ops are grouped, which must not
be, and what the schedule says. The outputs are checked against TFLite Micro on every board by
test_engine_bit_exact's transformer op zoos, which hold a GELU chain, a per-channel group, a
two-input product and two LayerNorms next to the single ops."""

import numpy as np
import pytest

from op_zoo import transformer_op_zoo
from tflite_writer import OpSpec, TensorSpec, write_model
from platformio_tinyml.engine.cores import KernelPath
from platformio_tinyml.engine.kernel_call import KernelCall
from platformio_tinyml.engine.lowering import lower_graph
from platformio_tinyml.engine.row_groups import find_row_groups
from platformio_tinyml.engine.table_groups import find_table_groups
from platformio_tinyml.graph import read_model

pytest.importorskip("tflite_micro", reason="the tables are computed by TFLite Micro's reference (tflite-micro)")

SHAPE = (1, 4, 8)
ADD = ("AddOptions", {"fused_activation_function": "NONE"})
MUL = ("MulOptions", {"fused_activation_function": "NONE"})


def activation(scale=0.05, zero_point=3, shape=SHAPE):
    return TensorSpec(shape, scale=(scale,), zero_point=(zero_point,))


def constant(values, scale=0.02):
    data = np.asarray(values, dtype=np.int8)
    return TensorSpec(data.shape, scale=(scale,), zero_point=(0,), data=data)


def graph_of(tensors, ops, inputs, outputs):
    return read_model(write_model(tensors, ops, inputs, outputs)).subgraphs[0]


def chain_graph(extra_reader: bool = False):
    """x -> +c -> *c -> tanh -> y; with extra_reader the +c result is also a graph output."""
    tensors = [activation(), activation(0.08), activation(0.1), activation(1 / 128, 0), constant([5]), constant([40])]
    ops = [OpSpec("ADD", (0, 4), (1,), *ADD), OpSpec("MUL", (1, 5), (2,), *MUL), OpSpec("TANH", (2,), (3,))]
    return graph_of(tensors, ops, (0,), (3, 1) if extra_reader else (3,))


def test_a_chain_of_one_input_is_one_group():
    assert [(g.input, g.output, g.ops) for g in find_table_groups(chain_graph())] == [(0, 3, (0, 1, 2))]


def test_a_result_read_outside_the_group_ends_it():
    # The ADD's result is a graph output: the group is what follows it, read from it.
    assert [(g.input, g.output, g.ops) for g in find_table_groups(chain_graph(extra_reader=True))] == \
        [(0, 1, (0,)), (1, 3, (1, 2))]


def test_two_run_time_inputs_are_not_grouped():
    tensors = [activation(), activation(), activation(0.1), activation(0.1)]
    ops = [OpSpec("MUL", (0, 1), (2,), *MUL), OpSpec("MUL", (2, 2), (3,), *MUL)]
    groups = find_table_groups(graph_of(tensors, ops, (0, 1), (3,)))
    assert [(g.input, g.ops) for g in groups] == [(2, (1,))]  # the square of x * z, not x * z


def test_an_op_that_broadcasts_its_input_is_not_grouped():
    # [1,4,1] * [8] -> [1,4,8]: an output element is not a function of one input element.
    row = (1, 4, 1)
    tensors = [activation(shape=row), activation(0.1), constant(np.arange(8))]
    ops = [OpSpec("MUL", (0, 2), (1,), *MUL)]
    assert find_table_groups(graph_of(tensors, ops, (0,), (1,))) == []


def test_a_lone_table_op_stays_as_it_is():
    tensors = [activation(), activation(1 / 128, 0)]
    assert find_table_groups(graph_of(tensors, [OpSpec("TANH", (0,), (1,))], (0,), (1,))) == []


def fused_steps(seed: int, path=KernelPath.DSP) -> dict[int, KernelCall]:
    graph = read_model(transformer_op_zoo(seed)).subgraphs[0]
    return {step.op_index: step for step in lower_graph(graph, path) if isinstance(step, KernelCall)}


def replaced_ops(step: KernelCall) -> list[int]:
    """The model op indices a fused step's comment names: 'ops 48 MUL, 49 MUL, ...'."""
    named = step.summary.split("; ops ", 1)[1]
    return [int(item.split()[0]) for item in named.split(", ") if item.split()[0].isdigit()]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_zoos_groups_become_tables_that_name_the_ops_they_replace(seed):
    graph = read_model(transformer_op_zoo(seed)).subgraphs[0]
    steps = fused_steps(seed)
    tables = [step for step in steps.values() if step.opcode == "FUSED_TABLE"]
    (gelu,) = [step for step in tables if len(replaced_ops(step)) == 8]
    assert [graph.operators[i].opcode for i in replaced_ops(gelu)] == \
        ["MUL", "MUL", "MUL", "ADD", "MUL", "TANH", "ADD", "MUL"]
    assert gelu.function == "tinyml_lut_s8"
    assert not set(replaced_ops(gelu)[:-1]) & set(steps)
    (channels,) = [step for step in tables if step.function == "tinyml_lut_channels_s8"]
    assert [graph.operators[i].opcode for i in replaced_ops(channels)] == ["ADD", "MUL"]
    # x * z reads two run-time inputs: it stays a multiply; only the shift after it is a table.
    products = [op for op in graph.operators if op.opcode == "MUL" and len(set(op.inputs)) == 2
                and all(i in graph.inputs for i in op.inputs)]
    assert products and all(steps[op.index].opcode == "MUL" for op in products)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_zoos_layer_norms_are_row_loops_except_on_helium(seed):
    graph = read_model(transformer_op_zoo(seed)).subgraphs[0]
    rows = [step for step in fused_steps(seed).values() if step.opcode == "FUSED_ROWS"]
    assert [[graph.operators[i].opcode for i in replaced_ops(step)] for step in rows] == [
        ["MEAN", "SQUARED_DIFFERENCE", "MEAN", "ADD", "RSQRT", "MUL", "MUL", "MUL", "SUB", "ADD"],
        ["MEAN", "SUB", "MUL", "MEAN", "ADD", "RSQRT", "MUL", "MUL", "ADD"]]
    tf_style, onnx_style = ("\n".join(step.body) for step in rows)
    assert "_row[" not in tf_style  # every value of a row is in registers
    assert "_row[c] = (int8_t)" in onnx_style  # x - mean is read again after the variance
    assert not [step for step in fused_steps(seed, KernelPath.MVE).values() if step.opcode == "FUSED_ROWS"]


def test_a_reduction_over_another_axis_or_a_constant_varying_across_rows_is_no_row_group():
    per_row = (1, 4, 1)
    axes_last, axes_rows = (TensorSpec((1,), "int32", data=np.array([v], np.int32)) for v in (-1, 1))
    reducer = ("ReducerOptions", {"keep_dims": True})
    across_rows = constant(np.arange(4).reshape(1, 4, 1))

    def graph(axes, shift):
        tensors = [activation(), activation(shape=per_row), activation(shape=per_row), axes, shift]
        ops = [OpSpec("MEAN", (0, 3), (1,), *reducer), OpSpec("ADD", (1, 4), (2,), *ADD)]
        return graph_of(tensors, ops, (0,), (2,))

    assert [g.ops for g in find_row_groups(graph(axes_last, constant([2])))] == [(0, 1)]
    assert find_row_groups(graph(axes_rows, constant([2]))) == []
    assert find_row_groups(graph(axes_last, across_rows)) == []


def test_a_group_whose_table_would_be_too_large_runs_op_by_op():
    """A bias add along 32 channels would take 8 KB of tables: it stays an ADD."""
    tensors = [activation(shape=(1, 2, 32)), activation(0.08, shape=(1, 2, 32)), constant(np.arange(32) - 16)]
    graph = graph_of(tensors, [OpSpec("ADD", (0, 2), (1,), *ADD)], (0,), (1,))
    assert len(find_table_groups(graph)) == 1
    (step,) = lower_graph(graph, KernelPath.DSP)
    assert step.opcode == "ADD"


@pytest.mark.parametrize("seed", [1, 2])
def test_constants_no_table_takes_have_their_terms_computed_at_build_time_except_on_helium(seed):
    graph = read_model(transformer_op_zoo(seed)).subgraphs[0]
    last_four = graph.operators[-4:]  # add_constant_operands: x + c, c + x, x - c, c - x
    steps = fused_steps(seed)
    assert [steps[op.index].function for op in last_four] == ["tinyml_add_constant_s8"] * 3 + ["tinyml_binary_s8"]
    periods = [int(steps[op.index].arguments[3].split()[-1]) for op in last_four[:3]]
    assert periods == [24, 72, 24]
    helium = fused_steps(seed, KernelPath.MVE)
    assert {helium[op.index].function for op in last_four} == {"tinyml_binary_s8"}
