"""What a user sees for a model the engine cannot run: one message naming every op type, how often
it occurs, and tensors; never a traceback from deep inside."""

import numpy as np
import pytest

from platformio_tinyml.engine import UnsupportedModelError, generate_engine, supported_ops
from platformio_tinyml.graph import read_model
from tflite_writer import OpSpec, TensorSpec, write_model


def test_supported_ops():
    assert supported_ops() == {"ADD", "AVERAGE_POOL_2D", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
                               "MAX_POOL_2D", "MUL", "RESHAPE", "SOFTMAX"}


def model_with_problems() -> bytes:
    q = dict(scale=(0.1,), zero_point=(0,))
    tensors = [TensorSpec((1, 8), **q, name="x"), TensorSpec((1, 8), **q, name="tanh_1"),
               TensorSpec((1, 8), **q, name="tanh_2"), TensorSpec((1, 8), "float32", name="float_in"),
               TensorSpec((1, 8), "float32", name="float_softmax"),
               TensorSpec((1, 8), **q, name="y"), TensorSpec((1, 8), **q, name="z"),
               TensorSpec((1, 8), **q, name="w", data=np.ones((1, 8), np.int8))]
    ops = [OpSpec("TANH", (0,), (1,)), OpSpec("TANH", (1,), (2,)),
           OpSpec("SOFTMAX", (3,), (4,), "SoftmaxOptions", {"beta": 1.0}),
           OpSpec("ADD", (0, 7), (5,), "AddOptions", {"fused_activation_function": "NONE"}),
           OpSpec("SOFTMAX", (5,), (6,), "SoftmaxOptions", {"beta": 1.0})]
    return write_model(tensors, ops, (0, 3), (2, 4, 6))


def test_every_problem_is_named_with_its_op_count_and_tensors(tmp_path):
    data = model_with_problems()
    with pytest.raises(UnsupportedModelError) as raised:
        generate_engine(read_model(data, "bad.tflite"), data, tmp_path, "cortex-m4")
    message = str(raised.value)
    assert message.startswith("bad.tflite: the int8 engine cannot run this model:")
    assert "TANH (2 times: op 0, 1; output 'tanh_1', 'tanh_2'): the engine has no kernel for this op" in message
    assert "SOFTMAX (once: op 2; output 'float_softmax'): input tensor 'float_in' is float32" in message
    assert "ADD (once: op 3; output 'y'): an input is a constant" in message
    assert "SOFTMAX (once: op 4; output 'z'): output 'z' has scale" in message
    assert len(raised.value.problems) == 4
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_an_unknown_core_is_named(tmp_path):
    data = model_with_problems()
    with pytest.raises(ValueError, match="no CMSIS-NN kernel path known for core 'riscv'"):
        generate_engine(read_model(data), data, tmp_path, "riscv")
