"""Tests for the pure-Python TFLite reader (platformio_tinyml.graph)."""

import dataclasses
import random
import struct

import numpy as np
import pytest

from platformio_tinyml.graph import (BUILTIN_OPERATORS, ModelFormatError, TensorType,
                                     model_problems, op_census, read_model, read_model_file,
                                     verify_model)
from platformio_tinyml.graph.schema import BUILTIN_OPTIONS, BUILTIN_OPTIONS_2

from conftest import shared_model_path

# name -> (input shape, input dtype, exact op set), from the models' README.
SHARED_MODELS = {
    'kws_ref_model.tflite': (
        (1, 49, 10, 1), 'int8',
        {'CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D', 'FULLY_CONNECTED', 'RESHAPE',
         'SOFTMAX'}),
    'pretrainedResnet_quant.tflite': (
        (1, 32, 32, 3), 'int8',
        {'CONV_2D', 'ADD', 'AVERAGE_POOL_2D', 'FULLY_CONNECTED', 'RESHAPE', 'SOFTMAX'}),
    'hello_world_int8.tflite': ((1, 1), 'int8', {'FULLY_CONNECTED'}),
    'micro_speech_quantized.tflite': (
        (1, 1960), 'int8', {'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'RESHAPE', 'SOFTMAX'}),
}




def read_and_verify(data: bytes, source: str = '<bytes>'):
    model = read_model(data, source)
    verify_model(model)
    return model


# --- the real models -------------------------------------------------------

@pytest.mark.parametrize('name', SHARED_MODELS)
def test_shared_model_input_and_op_set(name):
    input_shape, input_dtype, op_set = SHARED_MODELS[name]
    model = read_model_file(shared_model_path(name))
    verify_model(model)
    graph = model.subgraphs[0]
    assert model.version == 3
    assert len(graph.inputs) == 1
    model_input = graph.tensors[graph.inputs[0]]
    assert (model_input.shape, model_input.dtype) == (input_shape, input_dtype)
    assert model_input.data is None
    assert set(op_census(graph)) == op_set


@pytest.mark.parametrize('name', SHARED_MODELS)
def test_conv_weights_are_per_channel_int8_views(name):
    graph = read_model_file(shared_model_path(name)).subgraphs[0]
    convs = [op for op in graph.operators if op.opcode in ('CONV_2D', 'DEPTHWISE_CONV_2D')]
    for op in convs:
        weights = graph.tensors[op.inputs[1]]
        bias = graph.tensors[op.inputs[2]]
        output = graph.tensors[op.outputs[0]]
        channels = output.shape[-1]
        # TFLite puts output channels first for CONV_2D, last for DEPTHWISE_CONV_2D.
        axis = 0 if op.opcode == 'CONV_2D' else 3
        assert weights.shape[axis] == channels
        assert weights.quantization.quantized_dimension == axis
        assert len(weights.quantization.scale) == channels
        assert set(weights.quantization.zero_point) == {0}
        assert weights.data.dtype == np.int8 and weights.data.shape == weights.shape
        assert not weights.data.flags.writeable  # a view into the file's bytes
        assert bias.dtype == 'int32' and bias.data.shape == (channels,)


def test_kws_conv_and_pool_options():
    graph = read_model_file(shared_model_path('kws_ref_model.tflite')).subgraphs[0]
    first = graph.operators[0]
    assert first.opcode == 'CONV_2D' and first.options_type == 'Conv2DOptions'
    assert first.options == {'padding': 'SAME', 'stride_w': 2, 'stride_h': 2,
                             'fused_activation_function': 'RELU',
                             'dilation_w_factor': 1, 'dilation_h_factor': 1}
    for op in graph.operators:
        if op.opcode in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            assert op.options['padding'] == 'SAME' and op.options['stride_w'] >= 1
    # The average pool is a global pool over a non-square 25x5 map.
    [pool_index] = op_census(graph)['AVERAGE_POOL_2D']
    pool = graph.operators[pool_index]
    pooled = graph.tensors[pool.inputs[0]]
    window = (pool.options['filter_height'], pool.options['filter_width'])
    assert window == pooled.shape[1:3] == (25, 5)
    assert pool.options['padding'] == 'VALID'


def test_kws_op_census_counts():
    graph = read_model_file(shared_model_path('kws_ref_model.tflite')).subgraphs[0]
    census = op_census(graph)
    assert {op: len(indices) for op, indices in census.items()} == {
        'CONV_2D': 5, 'DEPTHWISE_CONV_2D': 4, 'AVERAGE_POOL_2D': 1,
        'RESHAPE': 1, 'FULLY_CONNECTED': 1, 'SOFTMAX': 1}
    assert census['SOFTMAX'] == [len(graph.operators) - 1]


def test_micro_speech_reshape_and_depth_multiplier():
    graph = read_model_file(shared_model_path('micro_speech_quantized.tflite')).subgraphs[0]
    reshape, depthwise = graph.operators[:2]
    assert reshape.options == {'new_shape': (-1, 49, 40, 1)}
    # A depthwise conv on one input channel with multiplier 8 acts as an 8-filter conv.
    assert depthwise.options['depth_multiplier'] == 8
    assert graph.tensors[depthwise.inputs[0]].shape[-1] == 1


def test_resnet_add_options_and_metadata():
    model = read_model_file(shared_model_path('pretrainedResnet_quant.tflite'))
    graph = model.subgraphs[0]
    adds = [graph.operators[i] for i in op_census(graph)['ADD']]
    assert [op.options['fused_activation_function'] for op in adds] == ['RELU'] * 3
    assert [entry.name for entry in model.metadata] == ['min_runtime_version']
    assert model.description == 'MLIR Converted.'


def test_hello_world_is_three_dense_layers():
    graph = read_model_file(shared_model_path('hello_world_int8.tflite')).subgraphs[0]
    assert [op.opcode for op in graph.operators] == ['FULLY_CONNECTED'] * 3
    activations = [op.options['fused_activation_function'] for op in graph.operators]
    assert activations == ['RELU', 'RELU', 'NONE']
    output = graph.tensors[graph.outputs[0]]
    assert (output.shape, output.dtype) == ((1, 1), 'int8')


# --- damaged files ----------------------------------------------------------

def test_empty_file_is_rejected():
    with pytest.raises(ModelFormatError, match=r'^empty\.tflite: truncated or corrupt .* 0 bytes'):
        read_model(b'', 'empty.tflite')


def test_random_bytes_are_rejected():
    rng = random.Random(1234)
    for size in (8, 16, 100, 4096):
        with pytest.raises(ModelFormatError, match='^noise.bin: not a TFLite model'):
            read_and_verify(bytes(rng.randrange(256) for _ in range(size)), 'noise.bin')


@pytest.mark.parametrize('name', SHARED_MODELS)
def test_wrong_file_identifier_is_rejected(name):
    data = bytearray(shared_model_path(name).read_bytes())
    data[4:8] = b'TFL2'
    with pytest.raises(ModelFormatError, match=f"^{name}: not a TFLite model: .*b'TFL2'"):
        read_and_verify(bytes(data), name)


@pytest.mark.parametrize('name', SHARED_MODELS)
def test_truncated_model_is_rejected(name):
    data = shared_model_path(name).read_bytes()
    rng = random.Random(name)
    lengths = {0, 1, 7, 8, 12, len(data) // 2, len(data) - 1}
    lengths.update(rng.randrange(len(data)) for _ in range(50))
    for length in sorted(lengths):
        with pytest.raises(ModelFormatError, match=f'^{name}: '):
            read_and_verify(data[:length], name)


@pytest.mark.parametrize('name', SHARED_MODELS)
def test_corrupted_byte_reads_or_raises_model_format_error(name):
    data = shared_model_path(name).read_bytes()
    rng = random.Random(name)
    for _ in range(50):
        damaged = bytearray(data)
        damaged[rng.randrange(len(data))] = rng.randrange(256)
        try:
            read_and_verify(bytes(damaged), name)
        except ModelFormatError as error:
            assert str(error).startswith(f'{name}: ')


# --- a tiny model built byte by byte ----------------------------------------
# Just enough of a FlatBuffers writer: a table is {slot: value} where value is
# a (struct format, number) scalar, a dict (sub-table), a list of dicts, a
# str, bytes (a [ubyte] vector) or ('vec', format, numbers). Slots are written
# here independently of the reader's own field tables.

def _flatbuffer(root: dict, identifier: bytes = b'TFL3') -> bytearray:
    out = bytearray(8)
    out[4:8] = identifier
    struct.pack_into('<I', out, 0, _write_table(out, root))
    return out


def _write_table(out: bytearray, fields: dict) -> int:
    inline, field_offsets, references = bytearray(4), {}, []
    for slot, value in sorted(fields.items()):
        field_offsets[slot] = len(inline)
        if isinstance(value, tuple) and value[0] != 'vec':
            inline += struct.pack('<' + value[0], value[1])
        else:
            references.append((len(inline), value))
            inline += bytes(4)
    slots = max(fields, default=-1) + 1
    vtable_pos = len(out)
    out += struct.pack(f'<HH{slots}H', 4 + 2 * slots, len(inline),
                       *(field_offsets.get(slot, 0) for slot in range(slots)))
    table_pos = len(out)
    out += inline
    struct.pack_into('<i', out, table_pos, table_pos - vtable_pos)
    for offset, value in references:
        _point(out, table_pos + offset, _write_object(out, value))
    return table_pos


def _point(out: bytearray, at: int, target: int) -> None:
    struct.pack_into('<I', out, at, target - at)


def _write_object(out: bytearray, value) -> int:
    if isinstance(value, dict):
        return _write_table(out, value)
    pos = len(out)
    if isinstance(value, str):
        out += struct.pack('<I', len(value.encode())) + value.encode() + b'\0'
    elif isinstance(value, bytes):
        out += struct.pack('<I', len(value)) + value
    elif isinstance(value, list):
        out += struct.pack('<I', len(value)) + bytes(4 * len(value))
        for i, table in enumerate(value):
            _point(out, pos + 4 + 4 * i, _write_table(out, table))
    else:
        _, fmt, numbers = value
        out += struct.pack(f'<I{len(numbers)}{fmt}', len(numbers), *numbers)
    return pos


INT4_WEIGHTS = [1, -2, 3, -4, 5, -6, 7, -8]


def _pack_int4(values: list[int]) -> bytes:
    return bytes((low & 0xF) | ((high & 0xF) << 4) for low, high in zip(values[::2], values[1::2]))


def _tiny_model_fields(weights_offset: int, weights_size: int) -> dict:
    """input -> GELU -> FULLY_CONNECTED(int4 weights stored after the flatbuffer, no bias)."""
    def tensor(name, shape, tensor_type, buffer=0):
        return {0: ('vec', 'i', shape), 1: ('b', tensor_type), 2: ('I', buffer), 3: name}

    weights = tensor('weights', [2, 4], 17, buffer=1)  # int4, per-channel quantized
    weights[4] = {2: ('vec', 'f', [0.5, 0.25]), 3: ('vec', 'q', [0, 0]), 6: ('i', 0)}
    tensors = [tensor('input', [1, 4], 9), weights,
               tensor('gelu_out', [1, 4], 9), tensor('output', [1, 2], 9)]
    operator_codes = [{0: ('b', 127), 2: ('i', 1), 3: ('i', 150)},  # GELU: needs the int32 field
                      {0: ('b', 9)}]                                 # FULLY_CONNECTED, old-style
    operators = [{0: ('I', 0), 1: ('vec', 'i', [0]), 2: ('vec', 'i', [2]),
                  3: ('B', 116), 4: {0: ('?', True)}},               # GeluOptions
                 {0: ('I', 1), 1: ('vec', 'i', [2, 1, -1]), 2: ('vec', 'i', [3]),
                  3: ('B', 8), 4: {0: ('b', 1)}}]                    # FullyConnectedOptions
    subgraph = {0: tensors, 1: ('vec', 'i', [0]), 2: ('vec', 'i', [3]), 3: operators, 4: 'main'}
    return {0: ('I', 3), 1: operator_codes, 2: [subgraph], 3: 'tiny test model',
            4: [{}, {1: ('Q', weights_offset), 2: ('Q', weights_size)}],
            6: [{0: 'min_runtime_version', 1: ('I', 0)}]}


def tiny_model_bytes() -> bytes:
    weights = _pack_int4(INT4_WEIGHTS)
    # The offset field has a fixed size, so a first pass gives the final length.
    length = len(_flatbuffer(_tiny_model_fields(0, len(weights))))
    return bytes(_flatbuffer(_tiny_model_fields(length, len(weights))) + weights)


def test_tiny_model_reads_and_verifies():
    model = read_and_verify(tiny_model_bytes(), 'tiny.tflite')
    graph = model.subgraphs[0]
    assert (model.description, graph.name) == ('tiny test model', 'main')
    gelu, dense = graph.operators
    assert (gelu.opcode, gelu.version, gelu.options) == ('GELU', 1, {'approximate': True})
    assert (dense.opcode, dense.inputs) == ('FULLY_CONNECTED', (2, 1, -1))
    assert dense.options == {'fused_activation_function': 'RELU', 'weights_format': 'DEFAULT',
                             'keep_num_dims': False, 'asymmetric_quantize_inputs': False}
    assert op_census(graph) == {'GELU': [0], 'FULLY_CONNECTED': [1]}


def test_buffer_stored_after_flatbuffer_and_int4_unpacking():
    weights = read_model(tiny_model_bytes()).subgraphs[0].tensors[1]
    assert weights.dtype == 'int4'
    assert weights.data.dtype == np.int8
    assert weights.data.tolist() == np.reshape(INT4_WEIGHTS, (2, 4)).tolist()
    assert weights.quantization.scale == (0.5, 0.25)


def test_buffer_stored_past_end_of_file_is_rejected():
    data = tiny_model_bytes()
    with pytest.raises(ModelFormatError, match=r'^tiny.tflite: .*buffer 1 \(data stored after'):
        read_model(data[:-1], 'tiny.tflite')


def _with_tensor(model, index, **changes):
    graph = model.subgraphs[0]
    tensors = list(graph.tensors)
    tensors[index] = dataclasses.replace(tensors[index], **changes)
    return _with_graph(model, tensors=tuple(tensors))


def _with_graph(model, **changes):
    graph = dataclasses.replace(model.subgraphs[0], **changes)
    return dataclasses.replace(model, subgraphs=(graph,))


def _single_problem(model) -> str:
    problems = model_problems(model)
    assert len(problems) == 1, problems
    with pytest.raises(ModelFormatError):
        verify_model(model)
    return problems[0]


def test_verify_reports_buffer_index_out_of_range():
    model = _with_tensor(read_model(tiny_model_bytes(), 'tiny.tflite'), 1, buffer_index=40)
    assert _single_problem(model) == ("tiny.tflite: truncated or corrupt TFLite file: tensor 1 "
                                      "'weights' points at buffer 40 but the file has 2 buffers")


def test_verify_reports_data_size_mismatch():
    model = _with_tensor(read_model(tiny_model_bytes(), 'tiny.tflite'), 1, shape=(2, 6))
    problems = model_problems(model)
    assert any("tensor 1 'weights' is int4 2x6, which takes 6 bytes, but its buffer 1 holds 4 bytes"
               in problem for problem in problems)


def test_verify_reports_scale_count_not_matching_channels():
    model = read_model(tiny_model_bytes(), 'tiny.tflite')
    quant = dataclasses.replace(model.subgraphs[0].tensors[1].quantization,
                                scale=(1.0, 1.0, 1.0), zero_point=(0, 0, 0))
    problem = _single_problem(_with_tensor(model, 1, quantization=quant))
    assert problem.endswith(
        "tensor 1 'weights' has 3 quantization scales but its dimension 0 has 2 channels")


def test_verify_reports_operator_reading_unwritten_tensor():
    model = read_model(tiny_model_bytes(), 'tiny.tflite')
    reordered = _with_graph(model, operators=model.subgraphs[0].operators[::-1])
    assert _single_problem(reordered).endswith(
        "operator 1 (FULLY_CONNECTED) reads tensor 2 'gelu_out' before any operator writes it")


def test_verify_reports_missing_tensors_and_schema_version():
    model = read_model(tiny_model_bytes(), 'tiny.tflite')
    assert _single_problem(_with_graph(model, outputs=(9,))).endswith(
        "graph output 0 is tensor 9 but the graph has 4 tensors")
    assert _single_problem(dataclasses.replace(model, version=4)) == (
        "tiny.tflite: TFLite schema version 4 is newer than the schema 3 this tool reads; convert the "
        "model with a TensorFlow release that writes schema 3")


@pytest.mark.parametrize("version", [0, 1, 2])
def test_an_older_schema_version_is_read_as_schema_3_as_tflite_micro_does(version):
    """TFLite Micro checks no version number: a model whose header says 0, 1 or 2 runs (issue 13)."""
    from tflite_writer import OpSpec, TensorSpec, write_model

    q = dict(scale=(0.1,), zero_point=(0,))
    data = write_model([TensorSpec((4,), **q, name="x"), TensorSpec((4,), **q, name="y")],
                       [OpSpec("RELU", (0,), (1,))], (0,), (1,), version=version)
    model = read_model(data, "old.tflite")
    assert model.version == version
    verify_model(model)  # raises on any problem


def test_missing_operator_code_is_rejected():
    fields = _tiny_model_fields(0, 0)
    fields[1] = fields[1][:1]  # drop FULLY_CONNECTED's operator code
    expected = 'operator 1: uses operator code 1 but the file has 1 operator codes'
    with pytest.raises(ModelFormatError, match=expected):
        read_model(bytes(_flatbuffer(fields)), 'tiny.tflite')


# --- cross-check against the `tflite` package, when it is installed ----------

def test_enum_tables_match_tflite_package():
    tflite = pytest.importorskip('tflite')

    def members(enum_class):
        return {value: name for name, value in vars(enum_class).items() if not name.startswith('_')}

    for code, name in members(tflite.BuiltinOperator).items():
        assert BUILTIN_OPERATORS[code] == name
    for number, name in members(tflite.BuiltinOptions).items():
        assert BUILTIN_OPTIONS[number] == name
    for number, name in members(tflite.BuiltinOptions2).items():
        assert BUILTIN_OPTIONS_2[number] == name
    assert members(tflite.TensorType) == {t.value: t.name for t in TensorType}


@pytest.mark.parametrize('name', SHARED_MODELS)
def test_every_tensor_and_operator_matches_tflite_package(name):
    tflite = pytest.importorskip('tflite')
    data = shared_model_path(name).read_bytes()
    ours = read_model(data)
    theirs = tflite.Model.GetRootAsModel(data, 0)
    type_names = {value: key.lower() for key, value in vars(tflite.TensorType).items()
                  if not key.startswith('_')}
    assert ours.version == theirs.Version()
    assert len(ours.buffers) == theirs.BuffersLength()
    for graph_index, graph in enumerate(ours.subgraphs):
        their_graph = theirs.Subgraphs(graph_index)
        assert graph.inputs == tuple(their_graph.InputsAsNumpy().tolist())
        assert graph.outputs == tuple(their_graph.OutputsAsNumpy().tolist())
        for tensor in graph.tensors:
            _assert_tensor_matches(tensor, their_graph.Tensors(tensor.index), theirs, type_names)
        for op in graph.operators:
            _assert_operator_matches(op, their_graph.Operators(op.index), theirs)


def _assert_tensor_matches(tensor, their_tensor, their_model, type_names):
    assert tensor.name == their_tensor.Name().decode()
    assert tensor.shape == tuple(their_tensor.ShapeAsNumpy().tolist())
    assert tensor.dtype == type_names[their_tensor.Type()]
    assert tensor.buffer_index == their_tensor.Buffer()
    their_data = their_model.Buffers(tensor.buffer_index).DataAsNumpy()
    if tensor.data is None:
        assert isinstance(their_data, int) or their_data.size == 0
    else:
        assert tensor.data.tobytes() == their_data.tobytes()
    their_quant = their_tensor.Quantization()
    if tensor.quantization is None:
        assert their_quant is None or their_quant.ScaleLength() == 0
    else:
        assert tensor.quantization.scale == tuple(their_quant.ScaleAsNumpy().tolist())
        assert tensor.quantization.zero_point == tuple(their_quant.ZeroPointAsNumpy().tolist())
        assert tensor.quantization.quantized_dimension == their_quant.QuantizedDimension()


def _assert_operator_matches(op, their_op, their_model):
    code = their_model.OperatorCodes(their_op.OpcodeIndex())
    assert op.opcode == BUILTIN_OPERATORS[max(code.DeprecatedBuiltinCode(), code.BuiltinCode())]
    assert op.version == code.Version()
    assert op.inputs == tuple(their_op.InputsAsNumpy().tolist())
    assert op.outputs == tuple(their_op.OutputsAsNumpy().tolist())
    assert op.options_type == BUILTIN_OPTIONS[their_op.BuiltinOptionsType()]
