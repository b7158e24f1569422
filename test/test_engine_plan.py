"""The offline memory planner (pure) and the buffer lifetimes it is given."""

import random

import pytest

from conftest import shared_model_path
from platformio_tinyml.engine.cores import KernelPath
from platformio_tinyml.engine.lifetimes import arena_buffers
from platformio_tinyml.engine.lowering import lower_graph
from platformio_tinyml.engine.plan import ALIGNMENT, Buffer, lower_bound, plan_arena
from platformio_tinyml.graph import read_model_file


def assert_valid(buffers, plan):
    for buffer in buffers:
        offset = plan.offsets[buffer.name]
        assert offset % ALIGNMENT == 0
        assert offset + buffer.size <= plan.size
    for i, a in enumerate(buffers):
        for b in buffers[i + 1:]:
            if a.overlaps_in_time(b) and a.size and b.size:
                a_start, b_start = plan.offsets[a.name], plan.offsets[b.name]
                assert a_start + a.size <= b_start or b_start + b.size <= a_start, (a, b)


def test_a_chain_reuses_memory_like_ping_pong():
    buffers = [Buffer("in", 100, 0, 0), Buffer("a", 200, 0, 1), Buffer("b", 200, 1, 2), Buffer("out", 50, 2, 3)]
    plan = plan_arena(buffers)
    assert_valid(buffers, plan)
    assert plan.lower_bound == 400
    assert plan.size == 416  # a and b side by side (200 -> 208 aligned), in and out fit beside them


def test_scratch_live_in_one_step_only_shares_space_with_later_tensors():
    buffers = [Buffer("x", 64, 0, 1), Buffer("scratch0", 1000, 0, 0), Buffer("y", 1000, 1, 1)]
    plan = plan_arena(buffers)
    assert_valid(buffers, plan)
    assert plan.size == 1008 + 64  # scratch and y share bytes; x sits beside them
    assert plan.offsets["scratch0"] == plan.offsets["y"]


def test_empty_and_zero_sized():
    assert plan_arena([]).size == 0
    plan = plan_arena([Buffer("nothing", 0, 0, 3), Buffer("x", 10, 0, 3)])
    assert plan.size == 16 and plan.lower_bound == 10


def test_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        plan_arena([Buffer("x", 1, 0, 0), Buffer("x", 1, 1, 1)])


@pytest.mark.parametrize("seed", range(20))
def test_random_schedules_never_overlap_and_stay_near_the_bound(seed):
    rng = random.Random(seed)
    buffers = []
    for number in range(rng.randint(1, 30)):
        first = rng.randint(0, 20)
        buffers.append(Buffer(f"b{number}", rng.choice([0, 1, 15, 16, 17, 100, 1000, 4096]) + rng.randint(0, 64),
                              first, first + rng.randint(0, 5)))
    plan = plan_arena(buffers)
    assert_valid(buffers, plan)
    assert lower_bound(buffers) <= plan.size <= 2 * (sum(b.size for b in buffers) + ALIGNMENT * len(buffers))


def test_lifetimes_of_kws_alias_the_reshape_and_keep_inputs_and_outputs_live():
    graph = read_model_file(shared_model_path("kws_ref_model.tflite")).subgraphs[0]
    steps = lower_graph(graph, KernelPath.DSP)
    buffers, holder = arena_buffers(graph, steps)
    by_name = {b.name: b for b in buffers}
    pool, flat = graph.operators[10].inputs[0], graph.operators[10].outputs[0]  # the RESHAPE
    assert holder[pool] == holder[flat]
    assert by_name[holder[flat]].last == 11  # read by the FULLY_CONNECTED after the alias
    assert by_name[holder[graph.inputs[0]]].first == 0
    assert by_name[holder[graph.outputs[0]]].last == len(steps) - 1
    assert by_name["S_op0_scratch"].first == by_name["S_op0_scratch"].last == 0
    plan = plan_arena(buffers)
    assert_valid(buffers, plan)
    assert plan.size == plan.lower_bound == 16000  # two 8000-byte activations ping-pong; scratch fits beside
