"""Read and check TensorFlow Lite (.tflite) models without TensorFlow.

    model = read_model_file('model.tflite')
    verify_model(model)            # raises ModelFormatError if inconsistent
    graph = model.subgraphs[0]
    op_census(graph)               # {'CONV_2D': [0, 2], 'SOFTMAX': [5], ...}
"""

from .errors import ModelFormatError
from .model import (Graph, Metadata, Model, Operator, Quantization, Tensor, read_model,
                    read_model_file)
from .schema import BUILTIN_OPERATORS, TensorType
from .verify import model_problems, op_census, verify_model

__all__ = [
    'BUILTIN_OPERATORS', 'Graph', 'Metadata', 'Model', 'ModelFormatError', 'Operator',
    'Quantization', 'Tensor', 'TensorType', 'model_problems', 'op_census', 'read_model',
    'read_model_file', 'verify_model',
]
