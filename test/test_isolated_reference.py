"""TFLite Micro's reference runs in a child process: its crash, abort, hang or refusal becomes one
ReferenceError that says so, and the build's own Python lives on. The crashes are real: mutants of
real models that TFLite Micro's C++ cannot survive (the validator refuses them first in a build)."""

import ctypes
import os
import time

import numpy as np
import pytest
from conftest import shared_model_path
from model_edits import edited, operator

from platformio_tinyml.golden import reference_check, reference_outputs
from platformio_tinyml.graph import read_model
from platformio_tinyml.isolated_reference import ReferenceError, run_isolated


def _zeros(data: bytes):
    graph = read_model(data).subgraphs[0]
    return tuple(np.zeros(graph.tensors[i].shape, graph.tensors[i].dtype) for i in graph.inputs)


def test_a_result_comes_back_and_an_exception_becomes_a_refusal():
    assert run_isolated(sum, [1, 2, 3], what="m") == 6
    with pytest.raises(ReferenceError, match=r"^TFLite Micro's reference interpreter refuses m: ZeroDivisionError"):
        run_isolated(divmod, 1, 0, what="m")


@pytest.mark.parametrize("death, says", [(os.abort, "killed by SIGABRT"),
                                         (lambda: ctypes.string_at(0), "killed by SIGSEGV")])
def test_a_crash_of_the_child_is_named_and_the_parent_lives(death, says):
    with pytest.raises(ReferenceError) as raised:
        run_isolated(death, what="models/m.tflite")
    assert str(raised.value).startswith(f"TFLite Micro's reference interpreter crashed on models/m.tflite ({says})")


def test_a_hang_is_stopped_at_the_timeout():
    with pytest.raises(ReferenceError, match="did not finish on m within 1 s"):
        run_isolated(time.sleep, 30, what="m", timeout=1)


def test_tflite_micro_crashing_on_a_depthwise_conv_without_bias_is_a_clear_error():
    data = edited(shared_model_path("micro_speech_quantized.tflite"), operator(1, inputs=(4, 8, -1)))
    with pytest.raises(ReferenceError) as raised:
        reference_check(data, _zeros(data), "speech.tflite")
    assert str(raised.value).startswith("TFLite Micro's reference interpreter crashed on speech.tflite (killed by SIG")


def test_a_model_it_runs_gives_its_outputs():
    data = shared_model_path("hello_world_int8.tflite").read_bytes()
    reference_check(data, _zeros(data), "hello")
    [sample] = reference_outputs(data, [_zeros(data)], 1)
    assert sample.expected[0].shape == (1, 1)
