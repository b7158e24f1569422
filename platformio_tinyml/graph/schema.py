"""What the numbers in a TFLite file mean: enums, slot numbers and option tables.

Transcribed from TFLite's schema.fbs (tensorflow/compiler/mlir/lite/schema/);
a field's slot is its position in its table's declaration, a union field
taking two slots (type number, then value).
"""

import struct
from enum import IntEnum
from typing import NamedTuple

import numpy as np

from .flatbuffer import BOOL, FLOAT32, INT8, INT32, UINT8, Table

FILE_IDENTIFIER = b'TFL3'  # bytes 4-7 of every .tflite file
SCHEMA_VERSION = 3


class TensorType(IntEnum):
    FLOAT32 = 0
    FLOAT16 = 1
    INT32 = 2
    UINT8 = 3
    INT64 = 4
    STRING = 5
    BOOL = 6
    INT16 = 7
    COMPLEX64 = 8
    INT8 = 9
    FLOAT64 = 10
    COMPLEX128 = 11
    UINT64 = 12
    RESOURCE = 13
    VARIANT = 14
    UINT32 = 15
    UINT16 = 16
    INT4 = 17
    BFLOAT16 = 18


# How constant data of each dtype is exposed as numpy. int4 (two values per
# byte) is unpacked to int8; bfloat16 has no numpy type, so its raw bit
# patterns are shown as uint16. string/resource/variant have no fixed size.
NUMPY_DTYPES = {name: np.dtype(code) for name, code in {
    'float32': '<f4', 'float16': '<f2', 'float64': '<f8',
    'int8': 'i1', 'int16': '<i2', 'int32': '<i4', 'int64': '<i8',
    'uint8': 'u1', 'uint16': '<u2', 'uint32': '<u4', 'uint64': '<u8',
    'bool': '?', 'complex64': '<c8', 'complex128': '<c16',
    'bfloat16': '<u2',
}.items()}


def dtype_name(type_number: int) -> str | None:
    """'int8' for TensorType.INT8; None for a number this schema does not know."""
    try:
        return TensorType(type_number).name.lower()
    except ValueError:
        return None


def data_nbytes(dtype: str, element_count: int) -> int | None:
    """Bytes that element_count values of dtype occupy in a buffer.

    None for types whose size depends on the content (strings, resources).
    """
    if dtype == 'int4':
        return (element_count + 1) // 2
    if dtype in NUMPY_DTYPES:
        return element_count * NUMPY_DTYPES[dtype].itemsize
    return None


# BuiltinOperator. The tail differs between schema revisions (one had
# COMPLEX = 207); this follows TensorFlow master and the `tflite` package.
BUILTIN_OPERATORS = {
    0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D',
    4: 'DEPTHWISE_CONV_2D', 5: 'DEPTH_TO_SPACE', 6: 'DEQUANTIZE',
    7: 'EMBEDDING_LOOKUP', 8: 'FLOOR', 9: 'FULLY_CONNECTED',
    10: 'HASHTABLE_LOOKUP', 11: 'L2_NORMALIZATION', 12: 'L2_POOL_2D',
    13: 'LOCAL_RESPONSE_NORMALIZATION', 14: 'LOGISTIC', 15: 'LSH_PROJECTION',
    16: 'LSTM', 17: 'MAX_POOL_2D', 18: 'MUL', 19: 'RELU', 20: 'RELU_N1_TO_1',
    21: 'RELU6', 22: 'RESHAPE', 23: 'RESIZE_BILINEAR', 24: 'RNN',
    25: 'SOFTMAX', 26: 'SPACE_TO_DEPTH', 27: 'SVDF', 28: 'TANH',
    29: 'CONCAT_EMBEDDINGS', 30: 'SKIP_GRAM', 31: 'CALL', 32: 'CUSTOM',
    33: 'EMBEDDING_LOOKUP_SPARSE', 34: 'PAD', 35: 'UNIDIRECTIONAL_SEQUENCE_RNN',
    36: 'GATHER', 37: 'BATCH_TO_SPACE_ND', 38: 'SPACE_TO_BATCH_ND',
    39: 'TRANSPOSE', 40: 'MEAN', 41: 'SUB', 42: 'DIV', 43: 'SQUEEZE',
    44: 'UNIDIRECTIONAL_SEQUENCE_LSTM', 45: 'STRIDED_SLICE',
    46: 'BIDIRECTIONAL_SEQUENCE_RNN', 47: 'EXP', 48: 'TOPK_V2', 49: 'SPLIT',
    50: 'LOG_SOFTMAX', 51: 'DELEGATE', 52: 'BIDIRECTIONAL_SEQUENCE_LSTM',
    53: 'CAST', 54: 'PRELU', 55: 'MAXIMUM', 56: 'ARG_MAX', 57: 'MINIMUM',
    58: 'LESS', 59: 'NEG', 60: 'PADV2', 61: 'GREATER', 62: 'GREATER_EQUAL',
    63: 'LESS_EQUAL', 64: 'SELECT', 65: 'SLICE', 66: 'SIN',
    67: 'TRANSPOSE_CONV', 68: 'SPARSE_TO_DENSE', 69: 'TILE', 70: 'EXPAND_DIMS',
    71: 'EQUAL', 72: 'NOT_EQUAL', 73: 'LOG', 74: 'SUM', 75: 'SQRT',
    76: 'RSQRT', 77: 'SHAPE', 78: 'POW', 79: 'ARG_MIN', 80: 'FAKE_QUANT',
    81: 'REDUCE_PROD', 82: 'REDUCE_MAX', 83: 'PACK', 84: 'LOGICAL_OR',
    85: 'ONE_HOT', 86: 'LOGICAL_AND', 87: 'LOGICAL_NOT', 88: 'UNPACK',
    89: 'REDUCE_MIN', 90: 'FLOOR_DIV', 91: 'REDUCE_ANY', 92: 'SQUARE',
    93: 'ZEROS_LIKE', 94: 'FILL', 95: 'FLOOR_MOD', 96: 'RANGE',
    97: 'RESIZE_NEAREST_NEIGHBOR', 98: 'LEAKY_RELU', 99: 'SQUARED_DIFFERENCE',
    100: 'MIRROR_PAD', 101: 'ABS', 102: 'SPLIT_V', 103: 'UNIQUE', 104: 'CEIL',
    105: 'REVERSE_V2', 106: 'ADD_N', 107: 'GATHER_ND', 108: 'COS',
    109: 'WHERE', 110: 'RANK', 111: 'ELU', 112: 'REVERSE_SEQUENCE',
    113: 'MATRIX_DIAG', 114: 'QUANTIZE', 115: 'MATRIX_SET_DIAG', 116: 'ROUND',
    117: 'HARD_SWISH', 118: 'IF', 119: 'WHILE', 120: 'NON_MAX_SUPPRESSION_V4',
    121: 'NON_MAX_SUPPRESSION_V5', 122: 'SCATTER_ND', 123: 'SELECT_V2',
    124: 'DENSIFY', 125: 'SEGMENT_SUM', 126: 'BATCH_MATMUL',
    127: 'PLACEHOLDER_FOR_GREATER_OP_CODES', 128: 'CUMSUM', 129: 'CALL_ONCE',
    130: 'BROADCAST_TO', 131: 'RFFT2D', 132: 'CONV_3D', 133: 'IMAG',
    134: 'REAL', 135: 'COMPLEX_ABS', 136: 'HASHTABLE', 137: 'HASHTABLE_FIND',
    138: 'HASHTABLE_IMPORT', 139: 'HASHTABLE_SIZE', 140: 'REDUCE_ALL',
    141: 'CONV_3D_TRANSPOSE', 142: 'VAR_HANDLE', 143: 'READ_VARIABLE',
    144: 'ASSIGN_VARIABLE', 145: 'BROADCAST_ARGS', 146: 'RANDOM_STANDARD_NORMAL',
    147: 'BUCKETIZE', 148: 'RANDOM_UNIFORM', 149: 'MULTINOMIAL', 150: 'GELU',
    151: 'DYNAMIC_UPDATE_SLICE', 152: 'RELU_0_TO_1', 153: 'UNSORTED_SEGMENT_PROD',
    154: 'UNSORTED_SEGMENT_MAX', 155: 'UNSORTED_SEGMENT_SUM', 156: 'ATAN2',
    157: 'UNSORTED_SEGMENT_MIN', 158: 'SIGN', 159: 'BITCAST', 160: 'BITWISE_XOR',
    161: 'RIGHT_SHIFT', 162: 'STABLEHLO_LOGISTIC', 163: 'STABLEHLO_ADD',
    164: 'STABLEHLO_DIVIDE', 165: 'STABLEHLO_MULTIPLY', 166: 'STABLEHLO_MAXIMUM',
    167: 'STABLEHLO_RESHAPE', 168: 'STABLEHLO_CLAMP', 169: 'STABLEHLO_CONCATENATE',
    170: 'STABLEHLO_BROADCAST_IN_DIM', 171: 'STABLEHLO_CONVOLUTION',
    172: 'STABLEHLO_SLICE', 173: 'STABLEHLO_CUSTOM_CALL', 174: 'STABLEHLO_REDUCE',
    175: 'STABLEHLO_ABS', 176: 'STABLEHLO_AND', 177: 'STABLEHLO_COSINE',
    178: 'STABLEHLO_EXPONENTIAL', 179: 'STABLEHLO_FLOOR', 180: 'STABLEHLO_LOG',
    181: 'STABLEHLO_MINIMUM', 182: 'STABLEHLO_NEGATE', 183: 'STABLEHLO_OR',
    184: 'STABLEHLO_POWER', 185: 'STABLEHLO_REMAINDER', 186: 'STABLEHLO_RSQRT',
    187: 'STABLEHLO_SELECT', 188: 'STABLEHLO_SUBTRACT', 189: 'STABLEHLO_TANH',
    190: 'STABLEHLO_SCATTER', 191: 'STABLEHLO_COMPARE', 192: 'STABLEHLO_CONVERT',
    193: 'STABLEHLO_DYNAMIC_SLICE', 194: 'STABLEHLO_DYNAMIC_UPDATE_SLICE',
    195: 'STABLEHLO_PAD', 196: 'STABLEHLO_IOTA', 197: 'STABLEHLO_DOT_GENERAL',
    198: 'STABLEHLO_REDUCE_WINDOW', 199: 'STABLEHLO_SORT', 200: 'STABLEHLO_WHILE',
    201: 'STABLEHLO_GATHER', 202: 'STABLEHLO_TRANSPOSE', 203: 'DILATE',
    204: 'STABLEHLO_RNG_BIT_GENERATOR', 205: 'REDUCE_WINDOW',
    206: 'STABLEHLO_COMPOSITE', 207: 'STABLEHLO_SHIFT_LEFT', 208: 'STABLEHLO_CBRT',
    209: 'STABLEHLO_CASE',
}

# Union BuiltinOptions: the type number is the position in this tuple.
BUILTIN_OPTIONS = (
    'NONE', 'Conv2DOptions', 'DepthwiseConv2DOptions', 'ConcatEmbeddingsOptions',
    'LSHProjectionOptions', 'Pool2DOptions', 'SVDFOptions', 'RNNOptions',
    'FullyConnectedOptions', 'SoftmaxOptions', 'ConcatenationOptions',
    'AddOptions', 'L2NormOptions', 'LocalResponseNormalizationOptions',
    'LSTMOptions', 'ResizeBilinearOptions', 'CallOptions', 'ReshapeOptions',
    'SkipGramOptions', 'SpaceToDepthOptions', 'EmbeddingLookupSparseOptions',
    'MulOptions', 'PadOptions', 'GatherOptions', 'BatchToSpaceNDOptions',
    'SpaceToBatchNDOptions', 'TransposeOptions', 'ReducerOptions', 'SubOptions',
    'DivOptions', 'SqueezeOptions', 'SequenceRNNOptions', 'StridedSliceOptions',
    'ExpOptions', 'TopKV2Options', 'SplitOptions', 'LogSoftmaxOptions',
    'CastOptions', 'DequantizeOptions', 'MaximumMinimumOptions', 'ArgMaxOptions',
    'LessOptions', 'NegOptions', 'PadV2Options', 'GreaterOptions',
    'GreaterEqualOptions', 'LessEqualOptions', 'SelectOptions', 'SliceOptions',
    'TransposeConvOptions', 'SparseToDenseOptions', 'TileOptions',
    'ExpandDimsOptions', 'EqualOptions', 'NotEqualOptions', 'ShapeOptions',
    'PowOptions', 'ArgMinOptions', 'FakeQuantOptions', 'PackOptions',
    'LogicalOrOptions', 'OneHotOptions', 'LogicalAndOptions', 'LogicalNotOptions',
    'UnpackOptions', 'FloorDivOptions', 'SquareOptions', 'ZerosLikeOptions',
    'FillOptions', 'BidirectionalSequenceLSTMOptions',
    'BidirectionalSequenceRNNOptions', 'UnidirectionalSequenceLSTMOptions',
    'FloorModOptions', 'RangeOptions', 'ResizeNearestNeighborOptions',
    'LeakyReluOptions', 'SquaredDifferenceOptions', 'MirrorPadOptions',
    'AbsOptions', 'SplitVOptions', 'UniqueOptions', 'ReverseV2Options',
    'AddNOptions', 'GatherNdOptions', 'CosOptions', 'WhereOptions', 'RankOptions',
    'ReverseSequenceOptions', 'MatrixDiagOptions', 'QuantizeOptions',
    'MatrixSetDiagOptions', 'HardSwishOptions', 'IfOptions', 'WhileOptions',
    'DepthToSpaceOptions', 'NonMaxSuppressionV4Options',
    'NonMaxSuppressionV5Options', 'ScatterNdOptions', 'SelectV2Options',
    'DensifyOptions', 'SegmentSumOptions', 'BatchMatMulOptions', 'CumsumOptions',
    'CallOnceOptions', 'BroadcastToOptions', 'Rfft2dOptions', 'Conv3DOptions',
    'HashtableOptions', 'HashtableFindOptions', 'HashtableImportOptions',
    'HashtableSizeOptions', 'VarHandleOptions', 'ReadVariableOptions',
    'AssignVariableOptions', 'RandomOptions', 'BucketizeOptions', 'GeluOptions',
    'DynamicUpdateSliceOptions', 'UnsortedSegmentProdOptions',
    'UnsortedSegmentMaxOptions', 'UnsortedSegmentMinOptions',
    'UnsortedSegmentSumOptions', 'ATan2Options', 'SignOptions', 'BitcastOptions',
    'BitwiseXorOptions', 'RightShiftOptions',
)

# Union BuiltinOptions2 (StableHLO ops), numbered the same way.
BUILTIN_OPTIONS_2 = (
    'NONE', 'StablehloConcatenateOptions', 'StablehloBroadcastInDimOptions',
    'StablehloSliceOptions', 'StablehloConvolutionOptions',
    'StablehloCustomCallOptions', 'StablehloReduceOptions',
    'StablehloScatterOptions', 'StablehloCompareOptions',
    'StablehloDynamicSliceOptions', 'StablehloPadOptions', 'StablehloIotaOptions',
    'StablehloDotGeneralOptions', 'StablehloReduceWindowOptions',
    'StablehloSortOptions', 'StablehloWhileOptions', 'StablehloGatherOptions',
    'StablehloTransposeOptions', 'DilateOptions', 'StablehloRngBitGeneratorOptions',
    'ReduceWindowOptions', 'StableHLOCompositeOptions', 'StablehloShiftLeftOptions',
    'StablehloCaseOptions',
)

# Field names of each table in declaration order: a field's slot is its
# position here (see flatbuffer.Table).
MODEL = ('version', 'operator_codes', 'subgraphs', 'description', 'buffers',
         'metadata_buffer', 'metadata', 'signature_defs')
OPERATOR_CODE = ('deprecated_builtin_code', 'custom_code', 'version', 'builtin_code')
SUBGRAPH = ('tensors', 'inputs', 'outputs', 'operators', 'name')
TENSOR = ('shape', 'type', 'buffer', 'name', 'quantization', 'is_variable',
          'sparsity', 'shape_signature', 'has_rank', 'variant_tensors')
QUANTIZATION = ('min', 'max', 'scale', 'zero_point', 'details_type', 'details',
                'quantized_dimension')
SPARSITY = ('traversal_order', 'block_map', 'dim_metadata')
OPERATOR = ('opcode_index', 'inputs', 'outputs', 'builtin_options_type',
            'builtin_options', 'custom_options', 'custom_options_format',
            'mutating_variable_inputs', 'intermediates', 'large_custom_options_offset',
            'large_custom_options_size', 'builtin_options_2_type', 'builtin_options_2')
BUFFER = ('data', 'offset', 'size')
METADATA = ('name', 'buffer')

PADDING = ('SAME', 'VALID')
ACTIVATION = ('NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT')
FC_WEIGHTS_FORMAT = ('DEFAULT', 'SHUFFLED4x16INT8')


def operator_name(builtin_code: int) -> str:
    return BUILTIN_OPERATORS.get(builtin_code, f'UNKNOWN_BUILTIN_{builtin_code}')


class OperatorCode(NamedTuple):
    name: str                # 'CONV_2D', or 'CUSTOM' for custom ops
    version: int
    custom_code: str | None  # the custom op's registered name


def read_operator_code(table: Table) -> OperatorCode:
    # Files written before op 127 existed keep the code in the int8 field;
    # newer writers fill both, clamping the int8 one to 127 for larger codes.
    code = max(table.scalar('deprecated_builtin_code', INT8), table.scalar('builtin_code', INT32))
    return OperatorCode(name=operator_name(code), version=table.scalar('version', INT32, 1),
                        custom_code=table.string('custom_code'))


class _Field(NamedTuple):
    key: str
    kind: struct.Struct
    default: object = 0
    names: tuple[str, ...] | None = None  # enum: value -> name
    vector: bool = False                  # a [kind] vector, None when absent


_PADDING = _Field('padding', INT8, 0, PADDING)
_ACTIVATION = _Field('fused_activation_function', INT8, 0, ACTIVATION)
_STRIDES = (_Field('stride_w', INT32), _Field('stride_h', INT32))
_DILATIONS = (_Field('dilation_w_factor', INT32, 1), _Field('dilation_h_factor', INT32, 1))


def _bool(key: str, default: bool = False) -> _Field:
    return _Field(key, BOOL, default)


# Option tables decoded into dicts, fields in slot order (trailing fields we
# do not need are left out); other option types decode to {}.
OPTIONS_FIELDS = {
    'Conv2DOptions': (_PADDING, *_STRIDES, _ACTIVATION, *_DILATIONS),
    'DepthwiseConv2DOptions': (
        _PADDING, *_STRIDES, _Field('depth_multiplier', INT32), _ACTIVATION, *_DILATIONS),
    'FullyConnectedOptions': (
        _ACTIVATION, _Field('weights_format', INT8, 0, FC_WEIGHTS_FORMAT),
        _bool('keep_num_dims'), _bool('asymmetric_quantize_inputs')),
    'Pool2DOptions': (
        _PADDING, *_STRIDES, _Field('filter_width', INT32), _Field('filter_height', INT32),
        _ACTIVATION),
    'SoftmaxOptions': (_Field('beta', FLOAT32, 0.0),),
    'AddOptions': (_ACTIVATION, _bool('pot_scale_int16', True)),
    'SubOptions': (_ACTIVATION, _bool('pot_scale_int16', True)),
    'MulOptions': (_ACTIVATION,),
    'ReshapeOptions': (_Field('new_shape', INT32, None, vector=True),),
    'ConcatenationOptions': (_Field('axis', INT32), _ACTIVATION),
    'ReducerOptions': (_bool('keep_dims'),),
    'BatchMatMulOptions': (_bool('adj_x'), _bool('adj_y'), _bool('asymmetric_quantize_inputs')),
    'StridedSliceOptions': (
        _Field('begin_mask', INT32), _Field('end_mask', INT32), _Field('ellipsis_mask', INT32),
        _Field('new_axis_mask', INT32), _Field('shrink_axis_mask', INT32), _bool('offset')),
    'GatherOptions': (_Field('axis', INT32), _Field('batch_dims', INT32)),
    'TransposeOptions': (),
    'LeakyReluOptions': (_Field('alpha', FLOAT32, 0.0),),
    'GeluOptions': (_bool('approximate'),),
    'SqueezeOptions': (_Field('squeeze_dims', INT32, None, vector=True),),
    'PadOptions': (),
    'SquaredDifferenceOptions': (),
    'DivOptions': (_ACTIVATION,),
    'PackOptions': (_Field('values_count', INT32), _Field('axis', INT32)),
    'UnpackOptions': (_Field('num', INT32), _Field('axis', INT32)),
    'SplitOptions': (_Field('num_splits', INT32),),
    'SplitVOptions': (_Field('num_splits', INT32),),
    'SliceOptions': (),
    'DepthToSpaceOptions': (_Field('block_size', INT32),),
    'SpaceToDepthOptions': (_Field('block_size', INT32),),
    'SpaceToBatchNDOptions': (),
    'BatchToSpaceNDOptions': (),
    'MirrorPadOptions': (_Field('mode', INT8, 0, ('REFLECT', 'SYMMETRIC')),),
    'L2NormOptions': (_ACTIVATION,),
    'CumsumOptions': (_bool('exclusive'), _bool('reverse')),
    'TransposeConvOptions': (_PADDING, *_STRIDES, _ACTIVATION),
    'SVDFOptions': (_Field('rank', INT32), _ACTIVATION, _bool('asymmetric_quantize_inputs')),
    'UnidirectionalSequenceLSTMOptions': (
        _ACTIVATION, _Field('cell_clip', FLOAT32, 0.0), _Field('proj_clip', FLOAT32, 0.0), _bool('time_major'),
        _bool('asymmetric_quantize_inputs'), _bool('diagonal_recurrent_tensors')),
    'ResizeNearestNeighborOptions': (_bool('align_corners'), _bool('half_pixel_centers')),
    'ResizeBilinearOptions': (_Field('new_height', INT32), _Field('new_width', INT32), _bool('align_corners'),
                              _bool('half_pixel_centers')),
}


def _read_field(table: Table, field: _Field):
    if field.vector:
        return table.scalars(field.key, field.kind)
    value = table.scalar(field.key, field.kind, field.default)
    if field.names is None or not 0 <= value < len(field.names):
        return value  # an unknown enum value stays a number; verify_model names the operator
    return field.names[value]


def read_builtin_options(operator: Table) -> tuple[str, dict]:
    """(options type name, decoded options) of an Operator table."""
    type_number = operator.scalar('builtin_options_type', UINT8)
    if type_number == 0:
        # StableHLO ops carry their options in a second union instead.
        type_number = operator.scalar('builtin_options_2_type', UINT8)
        return _union_member(operator, BUILTIN_OPTIONS_2, type_number), {}
    name = _union_member(operator, BUILTIN_OPTIONS, type_number)
    fields = OPTIONS_FIELDS.get(name)
    if fields is None:
        return name, {}
    options = operator.table('builtin_options', tuple(field.key for field in fields))
    if options is None:
        raise operator.error(f"its options should be {name} but the options table is missing")
    return name, {field.key: _read_field(options, field) for field in fields}


def _union_member(operator: Table, names: tuple[str, ...], type_number: int) -> str:
    if type_number >= len(names):
        raise operator.error(f"options type {type_number} is not defined by any TFLite schema")
    return names[type_number]
