"""Elementwise int8 ops -> tinyml_lut_s8 with a 256-entry table computed at build time by TFLite
Micro's reference (see reference_tables); QUANTIZE from float -> tinyml_quantize_f32_s8; CAST of int8
to float32 by a float table, to int16 or int32 by tinyml_cast_s8."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...graph import Graph, Operator
from ..cores import KernelPath
from ..kernel_call import ConstTable, KernelCall, c_float, kernel_arguments
from ..reference_tables import ReferenceUnavailable, reference_table
from ..symbols import tensor_ref
from .int16 import is_int16, lower_piecewise_s16, lower_rsqrt_s16, lower_sigmoid_s16
from .operands import (OpNotSupported, checked, describe, elements, input_tensor, output_tensor,
                       per_tensor_quantization, run_time)

# Ops TFLite Micro runs on float32 only: in an int8 model they come as DEQUANTIZE -> op (-> QUANTIZE)
# islands, each output a function of one int8 value, so they are tables too (lower_dequantized_table_op).
FLOAT_ISLAND_OPS = ("CEIL", "COS", "EXP", "FLOOR", "LOG", "ROUND", "SIN", "SQRT", "SQUARE")
# int8 -> int8 ops whose every output depends on one input element only.
TABLE_OPS = ("ABS", "ELU", "HARD_SWISH", "LEAKY_RELU", "LOGISTIC", "QUANTIZE", "RELU", "RELU6", "RSQRT",
             "TANH")


def _table_call(graph: Graph, op: Operator, x, y, output_quant, dequantize_first: bool = False) -> KernelCall:
    if x.shape != y.shape:
        raise OpNotSupported(f"input {list(x.shape)} and output {list(y.shape)} differ in shape")
    options = tuple(sorted((key, value) for key, value in op.options.items()))
    try:
        table = reference_table(op.opcode, op.options_type, options, per_tensor_quantization(x), y.dtype,
                                output_quant, dequantize_first)
    except ReferenceUnavailable as why:
        raise OpNotSupported(str(why)) from None
    name = f"op{op.index}_table"
    if y.dtype == "float32":
        tables = (ConstTable(name, "float", tuple(c_float(v) for v in table.values)),)
        function = "tinyml_lut_s8_f32"
        arguments = kernel_arguments(function, input=tensor_ref(x), output=tensor_ref(y), size=elements(y),
                                     table=name)
    else:
        tables = [ConstTable(name, "int8_t", table.values)]
        invalid = "NULL"
        if table.any_invalid:
            bits = [sum(1 << b for b in range(8) if table.invalid[8 * byte + b]) for byte in range(32)]
            tables.append(ConstTable(f"op{op.index}_invalid_inputs", "uint8_t", tuple(bits)))
            invalid = tables[-1].name
        tables = tuple(tables)
        function = "tinyml_lut_s8"
        arguments = kernel_arguments(function, input=tensor_ref(x), output=tensor_ref(y), size=elements(y),
                                     table=name, invalid=invalid)
    refused = sum(table.invalid)
    note = f"; {refused} input value(s) refused as TFLite Micro does" if refused else ""
    return KernelCall(op_index=op.index, opcode=op.opcode, function=function, arguments=arguments,
                      reads=(x.index,), writes=(y.index,),
                      summary=f"{describe(x)} -> {describe(y)}; 256-entry table from TFLite Micro{note}",
                      tables=tables)


def lower_table_op(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    if op.opcode in ("LOGISTIC", "TANH") and is_int16(graph, op):
        return lower_sigmoid_s16(graph, op, path)
    if op.opcode == "RSQRT" and is_int16(graph, op):
        return lower_rsqrt_s16(graph, op, path)
    if op.opcode in ("RELU", "LEAKY_RELU") and is_int16(graph, op):
        return lower_piecewise_s16(graph, op, path)
    if op.opcode == "QUANTIZE":
        return lower_quantize(graph, op, path)
    if 0 <= op.inputs[0] < len(graph.tensors) and graph.tensors[op.inputs[0]].dtype == "float32":
        return lower_dequantized_table_op(graph, op, path)
    x = run_time(input_tensor(graph, op, 0, "input"), "input")
    y = output_tensor(graph, op)
    return _table_call(graph, op, x, y, per_tensor_quantization(y))


def lower_dequantized_table_op(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """An elementwise op on float32 whose input is the DEQUANTIZE of an int8 tensor q (the island
    DEQUANTIZE -> ELU -> QUANTIZE the converter leaves): its float output is a function of q's int8
    value, so it reads q through a 256-entry float table that TFLite Micro computes by running
    DEQUANTIZE -> op itself (bit-exact with the reference's expm1f, tanhf, ... on the host)."""
    f = graph.tensors[op.inputs[0]]
    y = checked(graph.tensors[op.outputs[0]], "output", ("float32",))
    producer = next((other for other in graph.operators if f.index in other.outputs), None)
    if producer is None or producer.opcode != "DEQUANTIZE":
        raise OpNotSupported(f"input tensor '{f.name}' is float32 and not the DEQUANTIZE of an int8 tensor")
    q = run_time(input_tensor(graph, producer, 0, "input"), "input")
    if q.shape != f.shape:
        raise OpNotSupported(f"input {list(q.shape)} and output {list(f.shape)} differ in shape")
    call = _table_call(graph, op, q, y, None, dequantize_first=True)
    return replace(call, summary=f"DEQUANTIZE({describe(q)}) -> {describe(y)} float; "
                                 "256-entry table from TFLite Micro")


def lower_quantize(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    x = run_time(input_tensor(graph, op, 0, "input", dtypes=("int8", "float32")), "input")
    y = output_tensor(graph, op, ("int8",) if x.dtype == "int8" else ("int8", "int16"))
    if x.dtype == "int8":
        return _table_call(graph, op, x, y, per_tensor_quantization(y))
    if x.shape != y.shape:
        raise OpNotSupported(f"input {list(x.shape)} and output {list(y.shape)} differ in shape")
    scale, zero_point = per_tensor_quantization(y)
    function = f"tinyml_quantize_f32_s{8 if y.dtype == 'int8' else 16}"
    arguments = kernel_arguments(function, input=tensor_ref(x), output=tensor_ref(y),
                                 size=elements(y), scale=c_float(scale), zero_point=zero_point)
    return KernelCall(op_index=op.index, opcode=op.opcode, function=function,
                      arguments=arguments, reads=(x.index,), writes=(y.index,),
                      summary=f"{describe(x)} float -> {describe(y)} {y.dtype}")


def lower_dequantize(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """int8: a 256-entry table from TFLite Micro; int16: computed (tinyml_dequantize_s16_f32)."""
    x = run_time(input_tensor(graph, op, 0, "input", ("int8", "int16")), "input")
    y = checked(graph.tensors[op.outputs[0]], "output", ("float32",))
    if x.dtype == "int8":
        return _table_call(graph, op, x, y, None)
    if x.shape != y.shape:
        raise OpNotSupported(f"input {list(x.shape)} and output {list(y.shape)} differ in shape")
    scale, zero_point = per_tensor_quantization(x)
    arguments = kernel_arguments("tinyml_dequantize_s16_f32", input=tensor_ref(x), output=tensor_ref(y),
                                 size=elements(y), scale=repr(float(np.float32(scale))), zero_point=zero_point)
    return KernelCall(op_index=op.index, opcode=op.opcode, function="tinyml_dequantize_s16_f32",
                      arguments=arguments, reads=(x.index,), writes=(y.index,),
                      summary=f"{describe(x)} int16 -> {describe(y)} float")


def lower_neg(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """NEG on float32 only (TFLite Micro has no int8 NEG): a float island between DEQUANTIZE and
    QUANTIZE, as the converter leaves in Keras' LayerNormalization."""
    x = run_time(input_tensor(graph, op, 0, "input", dtypes=("float32",)), "input")
    y = checked(graph.tensors[op.outputs[0]], "output", ("float32",))
    if x.shape != y.shape:
        raise OpNotSupported(f"input {list(x.shape)} and output {list(y.shape)} differ in shape")
    return KernelCall(op_index=op.index, opcode=op.opcode, function="tinyml_neg_f32",
                      arguments=kernel_arguments("tinyml_neg_f32", input=tensor_ref(x), output=tensor_ref(y),
                                                 size=elements(y)),
                      reads=(x.index,), writes=(y.index,), summary=f"{describe(x)} -> {describe(y)} (float)")


def lower_cast(graph: Graph, op: Operator, path: KernelPath) -> KernelCall:
    """CAST of int8: the raw values as float32 (a 256-entry table from TFLite Micro), int16 or int32."""
    x = run_time(input_tensor(graph, op, 0, "input"), "input")
    y = output_tensor(graph, op, dtypes=("float32", "int16", "int32"))
    if y.dtype == "float32":
        return _table_call(graph, op, x, y, None)
    if x.shape != y.shape:
        raise OpNotSupported(f"input {list(x.shape)} and output {list(y.shape)} differ in shape")
    return KernelCall(op_index=op.index, opcode=op.opcode, function="tinyml_cast_s8",
                      arguments=kernel_arguments("tinyml_cast_s8", input=tensor_ref(x), output=tensor_ref(y),
                                                 size=elements(y), output_bytes=2 if y.dtype == "int16" else 4),
                      reads=(x.index,), writes=(y.index,), summary=f"{describe(x)} -> {describe(y)}, sign-extended")
