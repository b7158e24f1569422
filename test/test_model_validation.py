"""The model validator on the mutants of issue 12: each one edit of a real model, read from its
bytes, refused with a message naming the operator (index, type), the tensor (index, name) and what
is wrong; and the engine, called on the unverified model, refusing it with its own typed error
instead of a ZeroDivisionError, IndexError or OverflowError. Also what must stay accepted."""

import dataclasses
import math

import numpy as np
import pytest

from conftest import shared_model_path
from model_edits import edited, operator, option, tensor, with_tensor_type_byte
from platformio_tinyml.engine import UnsupportedModelError, generate_engine
from platformio_tinyml.graph import ModelFormatError, model_problems, read_model, verify_model
from platformio_tinyml.graph.quantization_checks import MAX_SCALE
from platformio_tinyml.pipeline import Int8Model, generate_schedule
from tflite_writer import OpSpec, TensorSpec, write_model

HELLO, KWS, SPEECH, RESNET = ("hello_world_int8.tflite", "kws_ref_model.tflite",
                              "micro_speech_quantized.tflite", "pretrainedResnet_quant.tflite")
KWS_OUTPUT = "tensor 34 'Identity'"
KWS_FC_BIAS = "tensor 1 'functional_1/dense/BiasAdd/ReadVariableOp/resource'"
SCALE_RULE = "scales must be finite, positive and at most 2^64 (about 1.8e19)"


def mutant(name: str, *edits) -> tuple[bytes, object]:
    data = edited(shared_model_path(name), *edits)
    return data, read_model(data, name)


def invalid(name: str, detail: str) -> str:
    return f"{name}: invalid TFLite model: {detail}"


def refused(model, message: str) -> None:
    """`message` is among the problems, and verify_model raises with it."""
    assert message in model_problems(model)
    with pytest.raises(ModelFormatError) as raised:
        verify_model(model)
    assert message in str(raised.value).splitlines()


def engine_refusal(model, data: bytes, tmp_path) -> str:
    """The engine's own error for an unverified model: typed, listing the op, nothing written."""
    with pytest.raises(UnsupportedModelError) as raised:
        generate_engine(model, data, tmp_path, "cortex-m4")
    assert not list(tmp_path.iterdir())
    return str(raised.value)


@pytest.mark.parametrize("name", [HELLO, KWS, SPEECH, RESNET])
def test_the_real_models_are_accepted_as_read_and_as_rewritten(name):
    assert model_problems(read_model(shared_model_path(name).read_bytes(), name)) == []
    assert model_problems(mutant(name)[1]) == []


def test_a_1d_bias_with_the_depthwise_filters_axis_is_accepted_as_tflite_micro_does(tmp_path):
    """Older converters write a depthwise bias quantized along dimension 3 (person_detect.tflite);
    TFLite Micro runs it, so the build does too."""
    data, model = mutant(SPEECH, tensor(0, quantized_dimension=3))
    assert model.subgraphs[0].tensors[0].quantization.quantized_dimension == 3
    assert model_problems(model) == []
    generate_engine(model, data, tmp_path, "cortex-m4")


def test_a_softmax_shape_with_a_zero_dimension(tmp_path):
    data, model = mutant(SPEECH, tensor(9, shape=(1, 0)))
    refused(model, invalid(SPEECH, "operator 3 (SOFTMAX), output 0 = tensor 9 'labels_softmax': shape [1, 0] "
                                   "has a dimension of 0; every dimension must be at least 1"))
    assert ("SOFTMAX (once: op 3; output 'labels_softmax'): tensor 9 'labels_softmax' has shape [1, 0]; every "
            "dimension must be at least 1") in engine_refusal(model, data, tmp_path)


@pytest.mark.parametrize("shape", [(0, 12), (1, -7)])
def test_an_output_shape_tflite_micro_refuses(shape, tmp_path):
    data, model = mutant(KWS, tensor(34, shape=shape))
    bad = min(shape)
    refused(model, invalid(KWS, f"operator 12 (SOFTMAX), output 0 = {KWS_OUTPUT}: shape {list(shape)} has a "
                                f"dimension of {bad}; every dimension must be at least 1"))
    assert "SOFTMAX (once: op 12; output 'Identity')" in engine_refusal(model, data, tmp_path)


def test_a_scale_of_zero(tmp_path):
    """A zero output scale of the convolution feeding ADD (add_scaling divided by it)."""
    data, model = mutant(RESNET, tensor(24, scale=(0.0,)))
    name = "tensor 24 'model/batch_normalization_2/FusedBatchNormV3;model/conv2d_2/BiasAdd/ReadVariableOp/resource;model/conv2d_2/BiasAdd;model/conv2d_2/Conv2D'"
    refused(model, invalid(RESNET, f"operator 2 (CONV_2D), output 0 = {name} has quantization scale 0.0 "
                                   f"(number 0); {SCALE_RULE}"))
    message = engine_refusal(model, data, tmp_path)
    assert "has quantization scale 0.0; scales must be finite and positive" in message
    assert "ADD (once: op 3;" in message and "CONV_2D (once: op 2;" in message  # all listed at once


def test_an_rsqrt_with_no_inputs(tmp_path):
    data, model = mutant(HELLO, operator(2, opcode="RSQRT", inputs=(), options_type="NONE", options={}))
    refused(model, invalid(HELLO, "operator 2 (RSQRT) has 0 inputs; RSQRT takes 1"))
    assert "RSQRT (once: op 2; output 'StatefulPartitionedCall:0'): it has no inputs" in engine_refusal(
        model, data, tmp_path)


def test_a_weight_scale_of_minus_infinity(tmp_path):
    scales = list(read_model(shared_model_path(KWS).read_bytes()).subgraphs[0].tensors[17].quantization.scale)
    data, model = mutant(KWS, tensor(17, scale=(-math.inf, *scales[1:])))
    refused(model, invalid(KWS, "operator 0 (CONV_2D), input 1 = tensor 17 'functional_1/conv2d/Conv2D' has "
                                f"quantization scale -inf (number 0); {SCALE_RULE}"))
    message = engine_refusal(model, data, tmp_path)
    assert "CONV_2D (once: op 0; output 'functional_1/activation/Relu;" in message
    assert ("'): tensor 17 'functional_1/conv2d/Conv2D' has quantization scale -inf; scales must be finite and "
            "positive") in message


@pytest.mark.parametrize("scale", [math.inf, -0.5])
def test_a_bias_scale_that_is_infinite_or_negative(scale):
    _, model = mutant(KWS, tensor(1, scale=(scale,)))
    refused(model, invalid(KWS, f"operator 11 (FULLY_CONNECTED), input 2 = {KWS_FC_BIAS} has quantization scale "
                                f"{scale!r} (number 0); {SCALE_RULE}"))


def test_a_conv_2d_with_a_fourth_input():
    _, model = mutant(KWS, operator(0, inputs=(0, 17, 3, 3)))
    refused(model, invalid(KWS, "operator 0 (CONV_2D) has 4 inputs; CONV_2D takes 2 or 3"))


def test_a_bias_of_type_100():
    data = with_tensor_type_byte(shared_model_path(KWS).read_bytes(), 1, 100)
    refused(read_model(data, KWS), invalid(KWS, f"operator 11 (FULLY_CONNECTED), input 2 = {KWS_FC_BIAS}: element "
                                                "type 100 is not a TFLite tensor type"))


def test_a_depthwise_conv_without_its_bias():
    """TFLite Micro's depthwise Prepare releases the bias whether it exists or not: -1 crashes it."""
    _, model = mutant(SPEECH, operator(1, inputs=(4, 8, -1)))
    refused(model, invalid(SPEECH, "operator 1 (DEPTHWISE_CONV_2D), input 2 is absent (-1); DEPTHWISE_CONV_2D "
                                   "needs it (TFLite Micro's depthwise kernel always reads its bias)"))


def test_conv_2d_and_fully_connected_may_omit_their_bias():
    _, model = mutant(KWS, operator(0, inputs=(0, 17, -1)), operator(11, inputs=(32, 16)))
    assert model_problems(model) == []


def test_a_softmax_carrying_depthwise_options():
    kws = read_model(shared_model_path(KWS).read_bytes())
    depthwise = kws.subgraphs[0].operators[1]
    _, model = mutant(KWS, operator(12, options_type=depthwise.options_type, options=dict(depthwise.options)))
    refused(model, invalid(KWS, "operator 12 (SOFTMAX) carries DepthwiseConv2DOptions; SOFTMAX reads SoftmaxOptions"))


def test_an_activation_tensor_with_a_constant_buffer():
    name = "tensor 7 'sequential/dense/MatMul;sequential/dense/Relu;sequential/dense/BiasAdd'"
    _, model = mutant(HELLO, tensor(7, data=np.zeros((1, 16), np.int8)))
    refused(model, invalid(HELLO, f"operator 0 (FULLY_CONNECTED), output 0 = {name}: the tensor is a constant "
                                  "(its buffer 7 holds data) and an operator cannot write into it"))


def test_a_huge_scale(tmp_path):
    """3.4e38 on the weights: the validator refuses it; the engine alone refuses the multiplier's
    shift instead of generating an undefined 127-bit shift."""
    data, model = mutant(HELLO, tensor(2, scale=(3.4e38,)))
    huge = float(np.float32(3.4e38))
    refused(model, invalid(HELLO, "operator 2 (FULLY_CONNECTED), input 1 = tensor 2 'sequential/dense_2/MatMul' has "
                                  f"quantization scale {huge!r} (number 0); {SCALE_RULE}"))
    assert huge > MAX_SCALE
    message = engine_refusal(model, data, tmp_path)
    assert "FULLY_CONNECTED (once: op 2; output 'StatefulPartitionedCall:0'): the requantization multiplier" in message
    assert "the kernels apply at most 30 (are the scales right?)" in message


def test_a_zero_point_of_two_to_the_31():
    _, model = mutant(HELLO, tensor(0, zero_point=(2 ** 31,)))
    refused(model, invalid(HELLO, "operator 0 (FULLY_CONNECTED), input 0 = tensor 0 'serving_default_dense_input:0' "
                                  "has zero point 2147483648 (number 0), outside the int8 range [-128, 127]"))


@pytest.mark.parametrize("key, value, op", [("stride_w", 0, 0), ("stride_h", -1, 0), ("dilation_w_factor", 0, 1),
                                            ("dilation_h_factor", -1, 1)])
def test_a_stride_or_dilation_below_one(key, value, op):
    _, model = mutant(KWS, option(op, key, value))
    opcode = ("CONV_2D", "DEPTHWISE_CONV_2D")[op]
    refused(model, invalid(KWS, f"operator {op} ({opcode}): {key} is {value}; it must be at least 1"))


def test_a_softmax_beta_of_nan_names_the_op_not_the_board(tmp_path):
    data, model = mutant(KWS, option(12, "beta", math.nan))
    refused(model, invalid(KWS, "operator 12 (SOFTMAX): beta is nan; it must be finite and positive"))
    with pytest.raises(UnsupportedModelError) as raised:
        generate_schedule(Int8Model(data, model, "test", None), "cortex-m4", tmp_path, lambda line: None)
    message = str(raised.value)
    assert "board build.cpu" not in message
    assert "SOFTMAX (once: op 12; output 'Identity'): softmax beta nan is not finite and positive" in message


def test_an_unknown_core_is_the_boards_problem(tmp_path):
    data, model = mutant(HELLO)
    with pytest.raises(UnsupportedModelError, match="board build.cpu: no CMSIS-NN kernel path known for core 'z80'"):
        generate_schedule(Int8Model(data, model, "test", None), "z80", tmp_path, lambda line: None)


def test_a_conv_output_size_its_padding_and_stride_do_not_give():
    """The kernels index by these shapes: a mismatch would read or write past a tensor."""
    _, model = mutant(KWS, tensor(22, shape=(1, 13, 3, 64)))
    refused(model, invalid(KWS, "operator 0 (CONV_2D), output 0 = tensor 22 'functional_1/activation/Relu;"
                           + model.subgraphs[0].tensors[22].name.split(";", 1)[1] + "' is 13x3 (HxW), but SAME "
                           "padding of a 49x10 input with a 10x4 window, stride 2x2 and dilation 1x1 gives 25x5"))


def test_a_depthwise_output_with_other_channels_than_its_filter():
    _, model = mutant(KWS, tensor(23, shape=(1, 25, 5, 32)))
    name = model.subgraphs[0].tensors[23].name
    refused(model, invalid(KWS, f"operator 1 (DEPTHWISE_CONV_2D), output 0 = tensor 23 '{name}' has 32 channels; "
                                "the filter makes 64"))


def test_a_bias_with_fewer_values_than_output_channels():
    def shorter_bias(tensors, ops):
        bias = tensors[3]
        tensors[3] = dataclasses.replace(bias, shape=(32,), data=bias.data[:32], scale=bias.scale[:32],
                                         zero_point=bias.zero_point[:32])
    _, model = mutant(KWS, shorter_bias)
    name = model.subgraphs[0].tensors[3].name
    refused(model, invalid(KWS, f"operator 0 (CONV_2D), input 2 = tensor 3 '{name}' has shape [32]; the bias "
                                "needs one value per output channel (64)"))


def test_a_fully_connected_output_its_weights_cannot_fill():
    _, model = mutant(HELLO, tensor(8, shape=(1, 8)))
    refused(model, invalid(HELLO, "operator 1 (FULLY_CONNECTED), output 0 = tensor 8 'sequential/dense_1/MatMul;"
                                  "sequential/dense_1/Relu;sequential/dense_1/BiasAdd' has shape [1, 8]; 1 rows of "
                                  "16 units make 16 elements, the last dimension being the 16 units"))


def test_a_fully_connected_output_without_its_units_dimension():
    """The fuzzer's hello_world_int8.tflite#78: a scalar output. TFLite Micro reads the units from the
    output's last dimension, so it computed nothing where the engine computed one value."""
    _, model = mutant(HELLO, tensor(9, shape=()))
    refused(model, invalid(HELLO, "operator 2 (FULLY_CONNECTED), output 0 = tensor 9 'StatefulPartitionedCall:0' has "
                                  "shape []; 1 rows of 1 units make 1 elements, the last dimension being the 1 units"))


def test_a_softmax_output_of_another_shape_than_its_input():
    """The fuzzer's kws_ref_model.tflite#853: TFLite Micro walks the shapes as given and computed other
    values than the engine for a [1, 1, 12] output of a [1, 12] input."""
    _, model = mutant(KWS, tensor(34, shape=(1, 1, 12)))
    refused(model, invalid(KWS, f"operator 12 (SOFTMAX), output 0 = {KWS_OUTPUT} has shape [1, 1, 12]; SOFTMAX's "
                                f"output has its input's shape, [1, 12]"))


def test_a_binary_op_output_that_is_not_the_broadcast_of_its_inputs():
    tensors = [TensorSpec((1, 4), name="a", scale=(0.1,), zero_point=(0,)),
               TensorSpec((3, 1), name="b", scale=(0.1,), zero_point=(0,)),
               TensorSpec((1, 4), name="sum", scale=(0.2,), zero_point=(0,))]
    data = write_model(tensors, [OpSpec("ADD", (0, 1), (2,), "AddOptions", {})], [0, 1], [2])
    refused(read_model(data, "add.tflite"), invalid("add.tflite", "operator 0 (ADD), output 0 = tensor 2 'sum' has "
                                                    "shape [1, 4]; ADD's output has the broadcast of [1, 4] and "
                                                    "[3, 1], [3, 4]"))


def test_a_zero_channel_count_is_one_message_not_a_division_by_zero():
    """The fuzzer's kws_ref_model.tflite#124: the shape checks divided by the zero dimension."""
    _, model = mutant(KWS, tensor(26, shape=(1, 25, 5, 0)))
    problems = model_problems(model)
    assert any("shape [1, 25, 5, 0] has a dimension of 0" in problem for problem in problems), problems


def _zoo_mutant(tmp_path, *edits):
    from op_zoo import op_zoo

    path = tmp_path / "op_zoo_1.tflite"
    path.write_bytes(op_zoo(1))
    return read_model(edited(path, *edits), path.name)


def test_a_depthwise_multiplier_other_than_the_filters(tmp_path):
    """The fuzzer's op_zoo_1.tflite#1316: depth_multiplier 0. TFLite Micro loops over the option's
    value (and computed nothing); the engine takes the filter's."""
    model = _zoo_mutant(tmp_path, option(4, "depth_multiplier", 0))
    refused(model, invalid("op_zoo_1.tflite", "operator 4 (DEPTHWISE_CONV_2D): depth_multiplier is 0, but the "
                                              "filter makes 2 channels of the input's 2: 1 per channel"))


def test_a_dilation_too_large_to_index(tmp_path):
    """The fuzzer's op_zoo_1.tflite#1506 and kws_ref_model.tflite#3094: with SAME padding the output
    size ignores the dilation; at 65,536 TFLite Micro's 16-bit paddings gave other outputs than the
    engine, at 2^31 - 1 CMSIS-NN's index arithmetic overflowed."""
    model = _zoo_mutant(tmp_path, option(2, "dilation_h_factor", 2**31 - 1))
    assert any("the dilated window is 4,294,967,295 wide along h (dilation 2,147,483,647); TFLite Micro runs "
               "windows of at most 32,767" in problem for problem in model_problems(model)), model_problems(model)
