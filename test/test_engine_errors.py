"""What a user sees for a model the engine cannot run: one message naming every op type, how often
it occurs, and tensors; never a traceback from deep inside."""

import numpy as np
import pytest

from platformio_tinyml.engine import UnsupportedModelError, generate_engine, supported_ops
from platformio_tinyml.graph import read_model
from tflite_writer import OpSpec, TensorSpec, write_model


def test_supported_ops():
    assert supported_ops() == {
        "ABS", "ADD", "ADD_N", "ARG_MAX", "ARG_MIN", "AVERAGE_POOL_2D", "BATCH_MATMUL", "BATCH_TO_SPACE_ND", "BROADCAST_ARGS",
        "BROADCAST_TO", "CAST", "CEIL", "CONCATENATION", "CONV_2D", "COS", "CUMSUM", "DEPTHWISE_CONV_2D",
        "DEPTH_TO_SPACE", "DEQUANTIZE", "DIV", "ELU", "EMBEDDING_LOOKUP", "EQUAL", "EXP", "EXPAND_DIMS",
        "FILL", "FLOOR", "FULLY_CONNECTED", "GATHER", "GATHER_ND", "GREATER", "GREATER_EQUAL", "HARD_SWISH",
        "L2_NORMALIZATION", "LEAKY_RELU", "LESS", "LESS_EQUAL", "LOG", "LOGICAL_AND", "LOGICAL_NOT",
        "LOGICAL_OR", "LOGISTIC", "MAXIMUM", "MAX_POOL_2D", "MEAN", "MINIMUM", "MIRROR_PAD", "MUL", "NEG",
        "NOT_EQUAL", "PACK", "PAD", "PADV2", "PRELU", "QUANTIZE", "REDUCE_MAX", "REDUCE_MIN", "RELU",
        "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "REVERSE_V2", "ROUND", "RSQRT",
        "SELECT_V2", "SHAPE", "SIN", "SLICE", "SOFTMAX", "SPACE_TO_BATCH_ND", "SPACE_TO_DEPTH", "SPLIT",
        "SPLIT_V", "SQRT", "SQUARE", "SQUARED_DIFFERENCE", "SQUEEZE", "STRIDED_SLICE", "SUB", "SUM", "SVDF", "TANH",
        "TRANSPOSE", "TRANSPOSE_CONV", "UNIDIRECTIONAL_SEQUENCE_LSTM", "UNPACK", "ZEROS_LIKE"}


def model_with_problems() -> bytes:
    q = dict(scale=(0.1,), zero_point=(0,))
    tensors = [TensorSpec((1, 8), **q, name="x"), TensorSpec((1, 8), **q, name="sign_1"),
               TensorSpec((1, 8), **q, name="sign_2"), TensorSpec((1, 8), "float32", name="float_in"),
               TensorSpec((1, 8), "float32", name="float_softmax"),
               TensorSpec((1, 8), **q, name="y"), TensorSpec((1, 8), **q, name="z"),
               TensorSpec((1, 3), **q, name="w", data=np.ones((1, 3), np.int8))]
    ops = [OpSpec("SIGN", (0,), (1,)), OpSpec("SIGN", (1,), (2,)),
           OpSpec("SOFTMAX", (3,), (4,), "SoftmaxOptions", {"beta": 1.0}),
           OpSpec("ADD", (0, 7), (5,), "AddOptions", {"fused_activation_function": "NONE"}),
           OpSpec("SOFTMAX", (5,), (6,), "SoftmaxOptions", {"beta": 1.0})]
    return write_model(tensors, ops, (0, 3), (2, 4, 6))


def test_every_problem_is_named_with_its_op_count_and_tensors(tmp_path):
    data = model_with_problems()
    with pytest.raises(UnsupportedModelError) as raised:
        generate_engine(read_model(data, "bad.tflite"), data, tmp_path, "cortex-m4")
    message = str(raised.value)
    assert message.startswith("bad.tflite: the engine cannot run this model:")
    assert "SIGN (2 times: op 0, 1; output 'sign_1', 'sign_2'): the engine has no kernel for this op" in message
    assert "SOFTMAX (once: op 2; output 'float_softmax'): input tensor 'float_in' is float32" in message
    assert "ADD (once: op 3; output 'y'): [1, 3] does not broadcast to [1, 8]" in message
    assert "SOFTMAX (once: op 4; output 'z'): output 'z' has scale" in message
    assert len(raised.value.problems) == 4
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_an_unknown_core_is_named(tmp_path):
    data = model_with_problems()
    with pytest.raises(ValueError, match="no CMSIS-NN kernel path known for core 'riscv'"):
        generate_engine(read_model(data), data, tmp_path, "riscv")


def test_a_table_op_tflite_micro_refuses_is_named(tmp_path):
    """LOGISTIC's int8 output must be quantized 1/256, -128 in TFLite Micro: its table cannot be made."""
    tensors = [TensorSpec((4,), scale=(0.1,), zero_point=(0,), name="x"),
               TensorSpec((4,), scale=(0.1,), zero_point=(0,), name="sigmoid")]
    data = write_model(tensors, [OpSpec("LOGISTIC", (0,), (1,))], (0,), (1,))
    with pytest.raises(UnsupportedModelError, match="LOGISTIC .*TFLite Micro's reference refuses"):
        generate_engine(read_model(data, "bad.tflite"), data, tmp_path, "cortex-m4")


def test_a_reduce_max_requantizing_is_named(tmp_path):
    """TFLite Micro's REDUCE_MAX requires its output quantized as its input; so does ours."""
    tensors = [TensorSpec((2, 4), scale=(0.1,), zero_point=(0,), name="x"),
               TensorSpec((1,), "int32", name="axis", data=np.array([1], np.int32)),
               TensorSpec((2,), scale=(0.2,), zero_point=(0,), name="row_max")]
    data = write_model(tensors, [OpSpec("REDUCE_MAX", (0, 1), (2,), "ReducerOptions", {"keep_dims": False})],
                       (0,), (2,))
    with pytest.raises(UnsupportedModelError, match="REDUCE_MAX .*output 'row_max' is quantized unlike input 'x'"):
        generate_engine(read_model(data, "bad.tflite"), data, tmp_path, "cortex-m4")


def test_a_mirror_pad_wider_than_its_image_is_named(tmp_path):
    """REFLECT can mirror at most size - 1 values per side (TensorFlow refuses more)."""
    q = dict(scale=(0.1,), zero_point=(3,))
    tensors = [TensorSpec((1, 3), **q, name="x"),
               TensorSpec((2, 2), "int32", name="paddings", data=np.array([[0, 0], [3, 0]], np.int32)),
               TensorSpec((1, 6), **q, name="padded")]
    data = write_model(tensors, [OpSpec("MIRROR_PAD", (0, 1), (2,), "MirrorPadOptions", {"mode": "REFLECT"})],
                       (0,), (2,))
    with pytest.raises(UnsupportedModelError, match=r"MIRROR_PAD .*paddings \[\[0, 0\], \[3, 0\]\] reach beyond "
                                                    r"a REFLECT image of \[1, 3\] \(at most the size - 1 per side\)"):
        generate_engine(read_model(data, "bad.tflite"), data, tmp_path, "cortex-m4")


def test_a_bilinear_resize_reading_past_its_input_is_named(tmp_path):
    """1 row to 55: TFLite Micro's Q10 scale (19/1024) rounds up and its last rows read row 1."""
    q = dict(scale=(0.1,), zero_point=(0,))
    tensors = [TensorSpec((1, 1, 1, 2), **q, name="x"),
               TensorSpec((2,), "int32", name="size", data=np.array([55, 1], np.int32)),
               TensorSpec((1, 55, 1, 2), **q, name="resized")]
    data = write_model(tensors, [OpSpec("RESIZE_BILINEAR", (0, 1), (2,), "ResizeBilinearOptions", {})], (0,), (2,))
    with pytest.raises(UnsupportedModelError, match="RESIZE_BILINEAR .*resizing 1 to 55 along an axis, TFLite Micro's "
                                                    "integer kernel reads past the input"):
        generate_engine(read_model(data, "bad.tflite"), data, tmp_path, "cortex-m4")


def test_an_l2_normalization_not_written_at_one_128th_is_named(tmp_path):
    tensors = [TensorSpec((1, 8), scale=(0.1,), zero_point=(0,), name="x"),
               TensorSpec((1, 8), scale=(0.01,), zero_point=(0,), name="unit")]
    data = write_model(tensors, [OpSpec("L2_NORMALIZATION", (0,), (1,), "L2NormOptions", {})], (0,), (1,))
    with pytest.raises(UnsupportedModelError, match="L2_NORMALIZATION .*writes scale 1/128, zero point 0"):
        generate_engine(read_model(data, "bad.tflite"), data, tmp_path, "cortex-m4")


def test_a_transpose_conv_to_a_size_its_input_does_not_make_is_named(tmp_path):
    """SAME, stride 2: an input of 4 rows makes 7 or 8 output rows, not 10."""
    q = dict(scale=(0.1,), zero_point=(0,))
    tensors = [TensorSpec((4,), "int32", name="output_shape", data=np.array([1, 10, 8, 2], np.int32)),
               TensorSpec((2, 3, 3, 1), scale=(0.02,), zero_point=(0,), name="w", data=np.ones((2, 3, 3, 1), np.int8)),
               TensorSpec((1, 4, 4, 1), **q, name="x"), TensorSpec((1, 10, 8, 2), **q, name="up")]
    options = {"padding": "SAME", "stride_w": 2, "stride_h": 2, "fused_activation_function": "NONE"}
    data = write_model(tensors, [OpSpec("TRANSPOSE_CONV", (0, 1, 2), (3,), "TransposeConvOptions", options)], (2,), (3,))
    with pytest.raises(UnsupportedModelError, match="TRANSPOSE_CONV .*does not take input 4x4 to output 10x8"):
        generate_engine(read_model(data, "bad.tflite"), data, tmp_path, "cortex-m4")


def test_an_int8_exp_is_not_counted_as_supported():
    """TFLite Micro runs EXP on float32 only; a converter's int8 EXP is named by the op check."""
    from platformio_tinyml.engine import supported_ops

    q = dict(scale=(0.1,), zero_point=(0,))
    int8_exp = write_model([TensorSpec((4,), **q, name="x"), TensorSpec((4,), **q, name="e")],
                           [OpSpec("EXP", (0,), (1,))], (0,), (1,))
    assert "EXP" in supported_ops() and "EXP" not in supported_ops(read_model(int8_exp))
