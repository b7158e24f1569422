"""Quantization maths, padding and scratch sizes: the integers TFLite Micro and CMSIS-NN compute."""

import math

import pytest

from platformio_tinyml.engine.cores import KernelPath, kernel_path
from platformio_tinyml.engine.padding import leading_padding
from platformio_tinyml.graph.window_checks import output_size
from platformio_tinyml.engine.quantization import (activation_range, add_scaling, quantize_multiplier,
                                                   softmax_input_scaling, tflite_round)


def test_round_goes_away_from_zero_on_halves():
    assert [tflite_round(v) for v in (0.5, 1.5, 2.5, -0.5, -2.5, 2.4)] == [1, 2, 3, -1, -3, 2]


@pytest.mark.parametrize("real, expected", [
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.75, (3 << 29, 0)),
    (0.0, (0, 0)),
    (2.0 ** -40, (0, 0)),                       # flushed to zero below 2**-31
    (1.0 - 2.0 ** -33, (1 << 30, 1)),           # rounds up to 2**31: halved, shift bumped
])
def test_quantize_multiplier(real, expected):
    assert quantize_multiplier(real) == expected


def test_quantize_multiplier_reconstructs_within_half_a_step():
    for real in (0.0003, 0.0123, 0.77, 3.9, 1234.5):
        multiplier, shift = quantize_multiplier(real)
        assert 1 << 30 <= multiplier < 1 << 31
        assert abs(multiplier * 2.0 ** (shift - 31) - real) <= 2.0 ** (shift - 32)


def test_activation_ranges():
    assert activation_range("NONE", 0.1, 5) == (-128, 127)
    assert activation_range("RELU", 0.1, -128) == (-128, 127)
    assert activation_range("RELU", 0.1, 3) == (3, 127)
    assert activation_range("RELU6", 0.05, -128) == (-128, -8)  # 6 / 0.05 = 120 above the zero point
    assert activation_range("RELU_N1_TO_1", 0.01, 0) == (-100, 100)
    with pytest.raises(ValueError, match="TANH"):
        activation_range("TANH", 0.1, 0)


def test_softmax_scaling_of_the_kws_model():
    # KWS's softmax input scale; firmware built with these matches TFLM on every board.
    assert softmax_input_scaling(1.0, 0.14469251036643982) == (1242899200, 24, -124)
    multiplier, shift, diff_min = softmax_input_scaling(1.0, 0.25)
    assert (multiplier, shift) == (1 << 30, 25)  # 0.25 * 2**26 = 2**24 = 0.5 * 2**25
    assert diff_min == -math.floor(31 * 2 ** 26 / 2 ** 25)


def test_add_rescales_to_twice_the_larger_input_scale():
    (m1, s1), (m2, s2), (_, out_shift) = add_scaling(0.5, 0.25, 1.0)
    assert (m1, s1) == (1 << 30, 0)    # 0.5 / 1.0
    assert (m2, s2) == (1 << 30, -1)   # 0.25 / 1.0
    assert out_shift == -19            # 1.0 / (2**20 * 1.0) = 2**-20


@pytest.mark.parametrize("padding, size, kernel, stride, out, lead", [
    ("SAME", 49, 10, 2, 25, 4), ("SAME", 10, 4, 2, 5, 1), ("VALID", 10, 3, 1, 8, 0),
    ("SAME", 5, 3, 1, 5, 1), ("VALID", 25, 25, 25, 1, 0), ("SAME", 4, 1, 3, 2, 0),
])
def test_output_size_and_padding(padding, size, kernel, stride, out, lead):
    assert output_size(padding, size, kernel, stride) == out
    assert leading_padding(stride, 1, size, kernel, out) == lead


def test_kernel_paths_of_the_boards():
    assert kernel_path("cortex-m4") is KernelPath.DSP
    assert kernel_path("cortex-m7") is KernelPath.DSP
    assert kernel_path("cortex-m55") is KernelPath.MVE
    assert kernel_path("host") is KernelPath.PLAIN_C
    with pytest.raises(ValueError, match="xtensa"):
        kernel_path("xtensa")
