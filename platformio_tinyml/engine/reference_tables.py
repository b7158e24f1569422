"""256-entry tables for elementwise int8 ops, computed by TFLite Micro's reference kernels.

An int8 -> int8 (or int8 -> float) elementwise op has 256 possible inputs, so its whole behaviour
is a table. The engine builds a one-op model with the op's exact quantization and options (with
the flatbuffer writer, no TensorFlow), runs it once on all 256 inputs in TFLite Micro's host
interpreter (the `tflite-micro` package, the same reference the firmware is verified against), and
compiles the answers in. The table is bit-exact by construction, whatever arithmetic the reference
uses (gemmlowp fixed point for TANH and LOGISTIC, its own for HARD_SWISH, RSQRT, ...).

Inputs the reference refuses at run time (RSQRT of a non-positive value) are found by running
each input alone; they are marked invalid and the kernel then fails the invoke as TFLite Micro does.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

import numpy as np

INPUTS = np.arange(-128, 128, dtype=np.int8)


class ReferenceUnavailable(Exception):
    """TFLite Micro's reference could not compute the table (not installed, or refuses the op)."""


@dataclass(frozen=True)
class Table:
    values: tuple            # 256 outputs, for inputs -128..127 (ints, or floats for float32)
    invalid: tuple[bool, ...]  # True where the reference refuses that input

    @property
    def any_invalid(self) -> bool:
        return any(self.invalid)


def _interpreter_class():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as missing:
        raise ReferenceUnavailable(
            "its look-up table is computed by TFLite Micro's reference interpreter, and the "
            f"tflite-micro package cannot be imported in {sys.executable} ({missing}); install it "
            "with: pip install 'platformio-tinyml[convert]'") from None
    return runtime.Interpreter


class _QuietStderr:
    """TFLite Micro prints its refusals on C's stderr; keep them out of the build output."""

    def __enter__(self):
        try:
            sys.stderr.flush()
            self.saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        except OSError:
            self.saved = None
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            os.dup2(self.saved, 2)
            os.close(self.saved)


def _one_op_model(opcode: str, options_type: str, options: tuple, input_quant: tuple[float, int],
                  output_dtype: str, output_quant: tuple[float, int] | None, count: int,
                  dequantize_first: bool = False) -> bytes:
    """x (int8) -> op -> y; with dequantize_first, x -> DEQUANTIZE -> op on float32 -> y (a float
    island the converter leaves: the op's float output is still a function of one int8 value)."""
    from .tflite_writer import OpSpec, TensorSpec, write_model

    x = TensorSpec((count,), "int8", scale=(input_quant[0],), zero_point=(input_quant[1],), name="x")
    if output_quant is None:
        y = TensorSpec((count,), output_dtype, name="y")
    else:
        y = TensorSpec((count,), output_dtype, scale=(output_quant[0],), zero_point=(output_quant[1],), name="y")
    if dequantize_first:
        f = TensorSpec((count,), "float32", name="f")
        ops = [OpSpec("DEQUANTIZE", (0,), (2,)), OpSpec(opcode, (2,), (1,), options_type, dict(options))]
        return write_model([x, y, f], ops, (0,), (1,))
    op = OpSpec(opcode, (0,), (1,), options_type, dict(options))
    return write_model([x, y], [op], (0,), (1,))


def _run(interpreter, values: np.ndarray) -> np.ndarray:
    interpreter.set_input(values, 0)
    interpreter.invoke()
    return np.array(interpreter.get_output(0)).reshape(-1)


@functools.lru_cache(maxsize=None)
def reference_table(opcode: str, options_type: str, options: tuple, input_quant: tuple[float, int],
                    output_dtype: str, output_quant: tuple[float, int] | None,
                    dequantize_first: bool = False) -> Table:
    """The op's output for every int8 input. options: sorted (key, value) pairs. dequantize_first:
    the op runs on float32, on the DEQUANTIZE of the int8 input (input_quant). Raises
    ReferenceUnavailable when tflite-micro is missing or refuses the op's parameters."""
    interpreter_class = _interpreter_class()
    model = _one_op_model(opcode, options_type, options, input_quant, output_dtype, output_quant, 256,
                          dequantize_first)
    with _QuietStderr():
        try:
            interpreter = interpreter_class.from_bytes(model)
        except Exception as error:  # noqa: BLE001 - the package raises plain RuntimeErrors
            raise ReferenceUnavailable(f"TFLite Micro's reference refuses the op's parameters ({error})") from None
        try:
            outputs = _run(interpreter, INPUTS)
            invalid = (False,) * 256
        except Exception:  # noqa: BLE001 - some inputs are refused: find which, one at a time
            single = interpreter_class.from_bytes(
                _one_op_model(opcode, options_type, options, input_quant, output_dtype, output_quant, 1,
                              dequantize_first))
            outputs, flags = [], []
            for value in INPUTS:
                try:
                    outputs.append(_run(single, np.array([value], dtype=np.int8))[0])
                    flags.append(False)
                except Exception:  # noqa: BLE001
                    outputs.append(0)
                    flags.append(True)
            if all(flags):
                raise ReferenceUnavailable("TFLite Micro's reference refuses every input value") from None
            outputs, invalid = np.array(outputs), tuple(flags)
    if output_dtype == "float32":
        values = tuple(float(np.float32(v)) for v in outputs)
    else:
        values = tuple(int(v) for v in outputs)
    return Table(values=values, invalid=invalid)


@dataclass(frozen=True)
class GroupTable:
    """A table group's outputs for every int8 value of its input: `values[c][v + 128]` is the output
    at channel c (along `axis` of the input's shape; one channel when axis is None) for input v."""
    values: np.ndarray              # int8, [channels, 256]
    axis: int | None
    invalid: tuple[bool, ...]       # True where the reference refuses that input value


def _group_model(graph, group) -> bytes:
    """The group's ops alone, with their tensors' exact types, quantization and constants."""
    from .tflite_writer import OpSpec, TensorSpec, write_model

    ops = [graph.operators[index] for index in group.ops]
    used = [group.input] + sorted({i for op in ops for i in (*op.inputs, *op.outputs)} - {group.input})
    number = {index: n for n, index in enumerate(used)}
    specs = []
    for index in used:
        tensor = graph.tensors[index]
        quant = tensor.quantization
        specs.append(TensorSpec(tuple(tensor.shape), tensor.dtype, name=tensor.name or f"t{index}",
                                scale=tuple(quant.scale) if quant else (),
                                zero_point=tuple(quant.zero_point) if quant else (),
                                quantized_dimension=quant.quantized_dimension if quant else 0,
                                data=None if tensor.data is None else np.array(tensor.data)))
    op_specs = [OpSpec(op.opcode, tuple(number[i] for i in op.inputs), tuple(number[i] for i in op.outputs),
                       op.options_type, dict(op.options)) for op in ops]
    return write_model(specs, op_specs, (0,), (number[group.output],))


def group_table(graph, group) -> GroupTable | None:
    """Runs the group in TFLite Micro's reference once per input value (the input filled with it),
    so every output element's answer is the reference's own. None when the answers vary along more
    than one axis (not a table); raises ReferenceUnavailable when the reference refuses the group."""
    interpreter_class = _interpreter_class()
    model = _group_model(graph, group)
    shape = tuple(graph.tensors[group.input].shape)
    answers = np.zeros((256, *shape), dtype=np.int8)
    invalid = []
    with _QuietStderr():
        try:
            interpreter = interpreter_class.from_bytes(model)
        except Exception as error:  # noqa: BLE001 - the package raises plain RuntimeErrors
            raise ReferenceUnavailable(f"TFLite Micro's reference refuses the ops ({error})") from None
        for n, value in enumerate(INPUTS):
            try:
                answers[n] = _run(interpreter, np.full(shape, value, dtype=np.int8)).reshape(shape)
                invalid.append(False)
            except Exception:  # noqa: BLE001 - this input refused (RSQRT of a non-positive value)
                invalid.append(True)
                interpreter = interpreter_class.from_bytes(model)
    if all(invalid):
        raise ReferenceUnavailable("TFLite Micro's reference refuses every input value") from None
    flat = answers.reshape(256, -1)
    if (flat == flat[:, :1]).all():
        return GroupTable(values=flat[:, :1].T.copy(), axis=None, invalid=tuple(invalid))
    if any(invalid):
        return None
    for axis, size in enumerate(shape):
        if size == 1:
            continue
        by_channel = np.moveaxis(answers, axis + 1, 1).reshape(256, size, -1)
        if (by_channel == by_channel[:, :, :1]).all():
            return GroupTable(values=by_channel[:, :, 0].T.copy(), axis=axis, invalid=tuple(invalid))
    return None
