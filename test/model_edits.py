"""One edit of a real model: read it, change one tensor or operator, write it back with the
package's flatbuffer writer, so the edited file goes through read_model like any user's file.

    data = edited(shared_model_path("kws_ref_model.tflite"), tensor(34, shape=(0, 12)))
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from platformio_tinyml.graph import Model, read_model
from platformio_tinyml.graph.flatbuffer import FlatBuffer
from platformio_tinyml.graph.schema import MODEL, SUBGRAPH, TENSOR
from tflite_writer import OpSpec, TensorSpec, write_model


def specs(model: Model):
    """Subgraph 0 as the writer's specs: (tensors, ops, inputs, outputs)."""
    graph = model.subgraphs[0]
    tensors = []
    for t in graph.tensors:
        quant = t.quantization
        tensors.append(TensorSpec(
            shape=t.shape, dtype=t.dtype, name=t.name,
            data=None if t.data is None else np.array(t.data),
            scale=quant.scale if quant else (), zero_point=quant.zero_point if quant else (),
            quantized_dimension=quant.quantized_dimension if quant else 0, is_variable=t.is_variable))
    ops = [OpSpec(op.opcode, op.inputs, op.outputs, op.options_type,
                  {key: value for key, value in op.options.items() if value is not None})
           for op in graph.operators]
    return tensors, ops, graph.inputs, graph.outputs


def edited(path: Path, *edits) -> bytes:
    """The model at `path` rewritten after each edit(tensors, ops) has changed the specs in place."""
    tensors, ops, inputs, outputs = specs(read_model(path.read_bytes(), path.name))
    for edit in edits:
        edit(tensors, ops)
    return write_model(tensors, ops, inputs, outputs)


def tensor(index: int, **changes):
    def edit(tensors, ops):
        tensors[index] = dataclasses.replace(tensors[index], **changes)
    return edit


def operator(index: int, **changes):
    def edit(tensors, ops):
        ops[index] = dataclasses.replace(ops[index], **changes)
    return edit


def option(index: int, key: str, value):
    def edit(tensors, ops):
        ops[index] = dataclasses.replace(ops[index], options={**ops[index].options, key: value})
    return edit


def with_tensor_type_byte(data: bytes, index: int, type_number: int) -> bytes:
    """The file with tensor `index`'s type byte set to a number the writer cannot express."""
    root = FlatBuffer(data, "edit").root("model", MODEL)
    table = root.tables("subgraphs", SUBGRAPH, "subgraph")[0].tables("tensors", TENSOR, "tensor")[index]
    position = table._field_pos("type", 1)
    changed = bytearray(data)
    changed[position] = type_number
    return bytes(changed)
