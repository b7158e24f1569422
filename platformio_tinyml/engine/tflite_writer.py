"""A minimal TFLite flatbuffer writer: builds models op by op without TensorFlow (the engine builds
one-op models with it to compute look-up tables in TFLite Micro; the tests build op zoos).

Uses the flatbuffers runtime's Builder with the slot numbers of platformio_tinyml.graph.schema,
so it writes exactly the fields our reader and TFLite Micro read. Constant data is 16-byte aligned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flatbuffers
import numpy as np

from ..graph.flatbuffer import BOOL, FLOAT32, INT8, INT32
from ..graph.schema import BUILTIN_OPERATORS, BUILTIN_OPTIONS, OPTIONS_FIELDS, TensorType

OPCODES = {name: code for code, name in BUILTIN_OPERATORS.items()}
PREPEND_SCALAR = {INT8: "PrependInt8Slot", INT32: "PrependInt32Slot", FLOAT32: "PrependFloat32Slot",
                  BOOL: "PrependBoolSlot"}


@dataclass
class TensorSpec:
    shape: tuple[int, ...]
    dtype: str = "int8"
    scale: tuple[float, ...] = ()
    zero_point: tuple[int, ...] = ()
    data: np.ndarray | None = None
    quantized_dimension: int = 0
    name: str = ""
    is_variable: bool = False  # a state tensor (an LSTM's), kept by the interpreter between invocations


@dataclass
class OpSpec:
    opcode: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options_type: str = "NONE"
    options: dict = field(default_factory=dict)


def _vector(builder: flatbuffers.Builder, values, dtype, alignment: int | None = None) -> int:
    array = np.ascontiguousarray(values, dtype=dtype)
    builder.StartVector(array.itemsize, array.size, alignment or array.itemsize)
    builder.head -= array.nbytes
    builder.Bytes[builder.head:builder.head + array.nbytes] = array.tobytes()
    return builder.EndVector()


def _table(builder: flatbuffers.Builder, slots: int, fields: list[tuple[str, int, object]]) -> int:
    """fields: (Builder method, slot, value); offsets must already be built."""
    builder.StartObject(slots)
    for method, slot, value in fields:
        if method == "offset":
            builder.PrependUOffsetTRelativeSlot(slot, value, 0)
        else:
            getattr(builder, method)(slot, value, 0)
    return builder.EndObject()


def _options(builder: flatbuffers.Builder, op: OpSpec) -> int | None:
    if op.options_type == "NONE":
        return None
    fields = OPTIONS_FIELDS.get(op.options_type, ())  # option tables without fields we read: empty
    vectors = {f.key: _vector(builder, op.options[f.key], np.int32) for f in fields
               if f.vector and f.key in op.options}
    entries = []
    for slot, spec in enumerate(fields):
        if spec.key not in op.options:
            continue
        value = op.options[spec.key]
        if spec.vector:
            entries.append(("offset", slot, vectors[spec.key]))
        else:
            entries.append((PREPEND_SCALAR[spec.kind], slot,
                            spec.names.index(value) if spec.names else value))
    return _table(builder, len(fields), entries)


def _operator_code(builder: flatbuffers.Builder, name: str) -> int:
    builtin, _, custom = name.partition(":")
    custom_code = builder.CreateString(custom) if custom else None
    code = OPCODES[builtin]
    fields = [("PrependInt8Slot", 0, min(code, 127)), ("PrependInt32Slot", 2, 1), ("PrependInt32Slot", 3, code)]
    return _table(builder, 4, fields + ([("offset", 1, custom_code)] if custom else []))


def write_model(tensors: list[TensorSpec], ops: list[OpSpec], inputs, outputs, version: int = 3) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.ForceDefaults(True)  # write every field given, even when it equals the schema default
    buffers = [_table(builder, 3, [])]  # buffer 0: empty, by convention
    tensor_buffers = []
    for tensor in tensors:
        if tensor.data is None:
            tensor_buffers.append(0)
            continue
        raw = np.ascontiguousarray(tensor.data).view(np.uint8).reshape(-1)
        data = _vector(builder, raw, np.uint8, alignment=16)
        buffers.append(_table(builder, 3, [("offset", 0, data)]))
        tensor_buffers.append(len(buffers) - 1)

    tensor_tables = []
    for number, tensor in enumerate(tensors):
        name = builder.CreateString(tensor.name or f"tensor_{number}")
        shape = _vector(builder, tensor.shape, np.int32)
        quantization = None
        if tensor.scale:
            scale = _vector(builder, tensor.scale, np.float32)
            zero_point = _vector(builder, tensor.zero_point or [0] * len(tensor.scale), np.int64)
            quantization = _table(builder, 7, [("offset", 2, scale), ("offset", 3, zero_point),
                                               ("PrependInt32Slot", 6, tensor.quantized_dimension)])
        fields = [("offset", 0, shape), ("PrependInt8Slot", 1, TensorType[tensor.dtype.upper()].value),
                  ("PrependUint32Slot", 2, tensor_buffers[number]), ("offset", 3, name)]
        if quantization is not None:
            fields.append(("offset", 4, quantization))
        if tensor.is_variable:
            fields.append(("PrependBoolSlot", 5, True))
        tensor_tables.append(_table(builder, 10, fields))

    opcode_names = sorted({op.opcode for op in ops})  # 'CUSTOM:<name>' for a custom op
    codes = [_operator_code(builder, name) for name in opcode_names]
    op_tables = []
    for op in ops:
        options = _options(builder, op)
        fields = [("PrependUint32Slot", 0, opcode_names.index(op.opcode)),
                  ("offset", 1, _vector(builder, op.inputs, np.int32)),
                  ("offset", 2, _vector(builder, op.outputs, np.int32))]
        if options is not None:
            fields += [("PrependUint8Slot", 3, BUILTIN_OPTIONS.index(op.options_type)), ("offset", 4, options)]
        op_tables.append(_table(builder, 13, fields))

    def offsets(items):
        builder.StartVector(4, len(items), 4)
        for item in reversed(items):
            builder.PrependUOffsetTRelative(item)
        return builder.EndVector()

    subgraph = _table(builder, 5, [("offset", 0, offsets(tensor_tables)),
                                   ("offset", 1, _vector(builder, inputs, np.int32)),
                                   ("offset", 2, _vector(builder, outputs, np.int32)),
                                   ("offset", 3, offsets(op_tables))])
    model = _table(builder, 8, [("PrependUint32Slot", 0, version), ("offset", 1, offsets(codes)),
                                ("offset", 2, offsets([subgraph])), ("offset", 4, offsets(buffers))])
    builder.Finish(model, file_identifier=b"TFL3")
    return bytes(builder.Output())
