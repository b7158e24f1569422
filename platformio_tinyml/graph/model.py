"""A TFLite model as plain Python objects, read straight from the file's bytes.

read_model() only decodes: it raises ModelFormatError when the bytes cannot be
decoded at all, but leaves cross-reference checks (tensor and buffer indices,
data sizes, quantization, operator order) to verify.verify_model(), which
callers should run before trusting a model.
"""

import math
from dataclasses import dataclass
from os import PathLike

import numpy as np

from .errors import ModelFormatError, corrupt, not_a_model_message
from .flatbuffer import BOOL, FLOAT32, INT32, INT64, UINT8, UINT32, UINT64, FlatBuffer, Table
from .schema import (BUFFER, FILE_IDENTIFIER, METADATA, MODEL, NUMPY_DTYPES, OPERATOR,
                     OPERATOR_CODE, QUANTIZATION, SPARSITY, SUBGRAPH, TENSOR, OperatorCode,
                     data_nbytes, dtype_name, read_builtin_options, read_operator_code)


@dataclass(frozen=True)
class Quantization:
    """real = scale * (q - zero_point); one entry per channel along
    quantized_dimension, or a single entry for the whole tensor."""
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    quantized_dimension: int = 0


# eq=False: identity comparison, since numpy arrays and dicts do not compare
# or hash as plain values.
@dataclass(frozen=True, eq=False)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str                 # 'int8', 'float32', ... (TensorType name, lower case); 'type N' if unknown
    buffer_index: int
    # Constant contents as a read-only view into the file, None for tensors
    # computed at run time. See constant_array() for the special dtypes.
    data: np.ndarray | None
    quantization: Quantization | None
    is_variable: bool = False
    shape_signature: tuple[int, ...] | None = None  # -1 marks a dynamic dimension
    is_sparse: bool = False    # sparse constants have data=None


@dataclass(frozen=True, eq=False)
class Operator:
    index: int
    opcode: str                # 'CONV_2D', ...; 'CUSTOM' for custom ops
    version: int
    inputs: tuple[int, ...]    # tensor indices, -1 for an absent optional input
    outputs: tuple[int, ...]
    options: dict              # decoded builtin options, {} when not decoded
    options_type: str          # 'Conv2DOptions', ...; 'NONE' when there are none
    custom_code: str | None = None


@dataclass(frozen=True, eq=False)
class Graph:
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]  # in execution order
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    name: str = ''


@dataclass(frozen=True)
class Metadata:
    name: str                  # e.g. 'min_runtime_version', 'OfflineMemoryAllocation'
    buffer_index: int


@dataclass(frozen=True, eq=False)
class Model:
    version: int
    description: str
    subgraphs: tuple[Graph, ...]    # subgraphs[0] is the main graph
    buffers: tuple[memoryview, ...]  # raw bytes of every buffer, zero-copy
    # where each buffer's bytes start in the file, so generated C can read weights in place
    buffer_offsets: tuple[int, ...]
    metadata: tuple[Metadata, ...]
    source: str                      # file name used in error messages
    file_identifier: bytes           # bytes 4-7 of the file, b'TFL3' when valid


def read_model_file(path: str | PathLike) -> Model:
    with open(path, 'rb') as file:
        return read_model(file.read(), source=str(path))


def read_model(data: bytes | bytearray | memoryview, source: str = '<bytes>') -> Model:
    """Decode a .tflite file held in memory; tensor data stays a view into `data`."""
    if len(data) < 8:
        raise corrupt(source, f"the file is {len(data)} bytes long, shorter than "
                              "the 8-byte header every TFLite file starts with")
    identifier = bytes(data[4:8])
    try:
        return _read_model(FlatBuffer(data, source), identifier)
    except ModelFormatError as error:
        # A file of another kind fails somewhere random; say what it really is.
        if identifier != FILE_IDENTIFIER:
            raise ModelFormatError(not_a_model_message(source, identifier)) from error
        raise


def _read_model(buf: FlatBuffer, identifier: bytes) -> Model:
    root = buf.root('model', MODEL)
    spans = tuple(_buffer_span(table, buf) for table in root.tables('buffers', BUFFER, 'buffer'))
    buffers = tuple(buf.view[start:start + size] for start, size in spans)
    codes = [read_operator_code(table)
             for table in root.tables('operator_codes', OPERATOR_CODE, 'operator code')]
    subgraphs = tuple(_read_graph(table, buffers, codes)
                      for table in root.tables('subgraphs', SUBGRAPH, 'subgraph'))
    metadata = tuple(Metadata(table.string('name') or '', table.scalar('buffer', UINT32))
                     for table in root.tables('metadata', METADATA, 'metadata'))
    return Model(version=root.scalar('version', UINT32),
                 description=root.string('description') or '',
                 subgraphs=subgraphs, buffers=buffers,
                 buffer_offsets=tuple(start for start, _ in spans), metadata=metadata,
                 source=buf.source, file_identifier=identifier)


def _buffer_span(table: Table, buf: FlatBuffer) -> tuple[int, int]:
    """(file offset, size) of a buffer's data; an empty buffer is (0, 0)."""
    offset = table.scalar('offset', UINT64)
    if offset > 1:
        # Models over 2 GB keep data after the flatbuffer, located by offset/size.
        size = table.scalar('size', UINT64)
        buf.check_span(offset, size, f"{table.what} (data stored after the flatbuffer)")
        return offset, size
    return table.bytes_span('data') or (0, 0)


def _read_graph(table: Table, buffers: tuple[memoryview, ...], codes: list[OperatorCode]) -> Graph:
    tensors = tuple(_read_tensor(index, tensor, buffers)
                    for index, tensor in enumerate(table.tables('tensors', TENSOR, 'tensor')))
    operators = tuple(
        _read_operator(index, operator, codes)
        for index, operator in enumerate(table.tables('operators', OPERATOR, 'operator')))
    return Graph(tensors=tensors, operators=operators,
                 inputs=table.scalars('inputs', INT32) or (),
                 outputs=table.scalars('outputs', INT32) or (),
                 name=table.string('name') or '')


def _read_tensor(index: int, table: Table, buffers: tuple[memoryview, ...]) -> Tensor:
    type_number = table.scalar('type', UINT8)
    # An unknown type stays readable ('type 100'); verify_model names the operator using it.
    dtype = dtype_name(type_number) or f"type {type_number}"
    shape = table.scalars('shape', INT32) or ()
    buffer_index = table.scalar('buffer', UINT32)
    is_sparse = table.table('sparsity', SPARSITY) is not None
    data = None
    if not is_sparse and buffer_index < len(buffers):
        data = constant_array(buffers[buffer_index], dtype, shape)
    return Tensor(index=index, name=table.string('name') or '', shape=shape, dtype=dtype,
                  buffer_index=buffer_index, data=data,
                  quantization=_read_quantization(table.table('quantization', QUANTIZATION)),
                  is_variable=table.scalar('is_variable', BOOL, False),
                  shape_signature=table.scalars('shape_signature', INT32), is_sparse=is_sparse)


def constant_array(raw: memoryview, dtype: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """A constant tensor's buffer as a numpy array of its shape.

    None when the buffer is empty (not a constant) or does not fit the shape
    (verify_model reports that). int4 is unpacked to int8 (a copy); bfloat16
    comes as its uint16 bit patterns; string/resource/variant data is returned
    as the raw uint8 bytes, since its layout is not one value per element.
    """
    if len(raw) == 0 or any(dim < 0 for dim in shape):
        return None
    count = math.prod(shape)
    nbytes = data_nbytes(dtype, count)
    if nbytes is None:
        return np.frombuffer(raw, np.uint8)
    if nbytes != len(raw):
        return None
    if dtype == 'int4':
        return _unpack_int4(raw, count).reshape(shape)
    return np.frombuffer(raw, NUMPY_DTYPES[dtype]).reshape(shape)


def _unpack_int4(raw: memoryview, count: int) -> np.ndarray:
    # Two values per byte, low nibble first, each sign-extended from 4 bits.
    packed = np.frombuffer(raw, np.uint8)
    values = np.empty(2 * len(packed), np.int8)
    values[0::2] = (packed << 4).view(np.int8) >> 4
    values[1::2] = packed.view(np.int8) >> 4
    return values[:count]


def _read_quantization(table: Table | None) -> Quantization | None:
    if table is None:
        return None
    scale = table.scalars('scale', FLOAT32)
    if not scale:
        return None  # converters write an empty table for float tensors
    return Quantization(scale=scale, zero_point=table.scalars('zero_point', INT64) or (),
                        quantized_dimension=table.scalar('quantized_dimension', INT32))


def _read_operator(index: int, table: Table, codes: list[OperatorCode]) -> Operator:
    code_index = table.scalar('opcode_index', UINT32)
    if code_index >= len(codes):
        raise table.error(f"uses operator code {code_index} "
                          f"but the file has {len(codes)} operator codes")
    code = codes[code_index]
    options_type, options = read_builtin_options(table)
    return Operator(index=index, opcode=code.name, version=code.version,
                    inputs=table.scalars('inputs', INT32) or (),
                    outputs=table.scalars('outputs', INT32) or (),
                    options=options, options_type=options_type, custom_code=code.custom_code)
