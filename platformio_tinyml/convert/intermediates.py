"""Every intermediate tensor of a model for one sample: the source model in its own framework
(onnxruntime, Keras) and the float or int8 TFLite (TensorFlow Lite's interpreter), for
`divergence` to match by value."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..graph import read_model
from .divergence import SourceTensor
from .onnx_rewrite import rewrite_erf_to_tanh
from .source_format import KERAS, ONNX

SHAPE_OPS = ("Shape", "Size")


def onnx_intermediates(path: Path, sample: list[np.ndarray]) -> list[SourceTensor]:
    """The float outputs of every node, in the graph's (topological) order, from the graph onnx2tf
    was given (exact GELU already rewritten)."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper

    model = rewrite_erf_to_tanh(onnx.load(str(path)))[0]
    inferred = onnx.shape_inference.infer_shapes(model).graph
    float_tensors = {info.name for info in (*inferred.value_info, *inferred.output)
                     if info.type.tensor_type.elem_type == TensorProto.FLOAT}
    constants = {init.name for init in model.graph.initializer}
    graph_inputs = {info.name for info in model.graph.input}
    exposed = {info.name for info in model.graph.output}
    # Only what depends on the input values: constant subgraphs (an Identity of a weight) and shape
    # arithmetic (Shape -> Cast -> Sqrt for attention's scale) are folded into constants.
    computed = set(graph_inputs - constants)
    produced = []
    for node in model.graph.node:
        if node.op_type in SHAPE_OPS or not any(name in computed for name in node.input):
            continue
        computed.update(node.output)
        for output in node.output:
            if output in float_tensors:
                produced.append((node, output))
                if output not in exposed:
                    model.graph.output.append(helper.make_tensor_value_info(output, TensorProto.FLOAT, None))
                    exposed.add(output)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {info.name: array.astype(np.float32)
             for info, array in zip([i for i in model.graph.input if i.name not in constants], sample)}
    names = [output.name for output in session.get_outputs()]
    values = dict(zip(names, session.run(names, feeds)))
    known = {output for _, output in produced}
    return [SourceTensor(output, f"ONNX node '{node.name or output}' ({node.op_type})", np.asarray(values[output]),
                         tuple(name for name in node.input if name in known and name not in graph_inputs))
            for node, output in produced]


def keras_intermediates(path: Path, sample: list[np.ndarray]) -> list[SourceTensor]:
    """Every layer's output of a functional or Sequential Keras model, in layer order."""
    import keras

    model = keras.models.load_model(path, compile=False)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)
              and not isinstance(layer.output, (list, tuple, dict))]
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    values = probe(sample if len(sample) > 1 else sample[0], training=False)
    values = values if isinstance(values, (list, tuple)) else [values]
    names = {id(layer): layer.name for layer in layers}
    return [SourceTensor(layer.name, f"Keras layer '{layer.name}' ({type(layer).__name__})", np.asarray(value),
                         tuple(names[id(parent)] for parent in _parent_layers(layer) if id(parent) in names))
            for layer, value in zip(layers, values)]


def source_intermediates(source_format: str, path: Path, sample: list[np.ndarray]) -> list[SourceTensor] | None:
    """None where the source has no graph of named layers to compare (SavedModel, .tflite)."""
    if source_format == ONNX:
        return onnx_intermediates(path, sample)
    if source_format == KERAS:
        return keras_intermediates(path, sample)
    return None


def tflite_intermediates(data: bytes, sample: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Every float operator output of a .tflite, by tensor name."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_content=data, experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    for detail, array in zip(interpreter.get_input_details(), sample):
        interpreter.set_tensor(detail["index"], array.astype(np.float32).reshape(detail["shape"]))
    interpreter.invoke()
    graph = read_model(data).subgraphs[0]
    values = {}
    for operator in graph.operators:
        for index in operator.outputs:
            tensor = graph.tensors[index]
            if index >= 0 and tensor.dtype == "float32":
                values[tensor.name or f"tensor {index}"] = interpreter.get_tensor(index)
    return values


def _parent_layers(layer):
    """The layers whose outputs the layer was called on (Keras 3's functional graph)."""
    parents = []
    for node in getattr(layer, "_inbound_nodes", []):
        for tensor in getattr(node, "input_tensors", []):
            history = getattr(tensor, "_keras_history", None)
            if history is not None:
                parents.append(history.operation if hasattr(history, "operation") else history[0])
    return parents
