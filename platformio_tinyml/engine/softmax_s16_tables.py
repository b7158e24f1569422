"""The two look-up tables of int16 SOFTMAX, as TFLite Micro's Prepare generates them (gen_lut):
exp(x) on [-10, 0] and 1 / (1 + x) on [0, 1], 512 segments and a last value each, int16 over the
output range [-1, 1]. Computed in single precision as the reference does: float arithmetic in numpy
float32 and the exponential from the C library's expf, the function TFLite Micro's host build calls."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache
from typing import Callable

import numpy as np

SEGMENTS = 512
F = np.float32


def _expf() -> Callable[[np.float32], np.float32]:
    library = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    function = library.expf
    function.argtypes, function.restype = [ctypes.c_float], ctypes.c_float
    return lambda x: F(function(float(x)))


def _round(x: np.float32) -> np.float32:
    """TfLiteRound: to nearest, halves away from zero."""
    return F(np.sign(x) * np.floor(np.abs(x) + F(0.5)))


def _lut(func, input_min: float, input_max: float) -> tuple[int, ...]:
    input_min, input_max = F(input_min), F(input_max)
    step = F((input_max - input_min) / F(SEGMENTS))
    half_step = F(step / F(2))
    scaling = F(F(65536) / F(F(1) - F(-1)))
    values = []
    for i in range(SEGMENTS):
        at = F(input_min + F(F(i) * step))
        value, midpoint, following = func(at), func(F(at + half_step)), func(F(input_min + F(F(i + 1) * step)))
        sample = _round(F(value * scaling))
        interpolated = _round(F(F(F(following * scaling) + _round(F(value * scaling))) / F(2)))
        error = F(interpolated - _round(F(midpoint * scaling)))
        bias = _round(F(error / F(2)))
        values.append(int(min(max(F(sample - bias), F(-32768)), F(32767))))
    values.append(int(min(max(_round(F(func(input_max) * scaling)), F(-32768)), F(32767))))
    return tuple(values)


@lru_cache(maxsize=1)
def softmax_s16_tables() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(exp table, 1 / (1 + x) table), 513 int16 values each."""
    return _lut(_expf(), -10.0, 0.0), _lut(lambda x: F(F(1) / F(F(1) + x)), 0.0, 1.0)
