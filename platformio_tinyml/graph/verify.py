"""The one model validator the engine trusts: every problem a decoded model has, found before
anything is built from it, each message naming the operator (index, type) and tensor (index, name).

The checks live in modules of their own: structure_checks (indices, shapes, constants, data flow),
quantization_checks (scales, zero points, per-channel arrays) and op_checks (per-op operand counts,
absent inputs, options and types, from op_rules).
"""

from .errors import ModelFormatError, corrupt_message, not_a_model_message
from .model import Graph, Model
from .op_checks import op_problems
from .problems import first_uses, where
from .quantization_checks import quantization_problems
from .schema import FILE_IDENTIFIER, SCHEMA_VERSION
from .structure_checks import (constant_size_problems, dataflow_problems, index_problems,
                               shape_problems, type_problems)

_MAX_PROBLEMS_SHOWN = 20


def verify_model(model: Model) -> None:
    """Raise ModelFormatError listing every problem model_problems() finds."""
    problems = model_problems(model)
    if not problems:
        return
    shown = problems[:_MAX_PROBLEMS_SHOWN]
    if len(problems) > len(shown):
        shown.append(f"... and {len(problems) - len(shown)} more problems")
    raise ModelFormatError('\n'.join(shown))


def invalid_message(source: str, detail: str) -> str:
    return f"{source}: invalid TFLite model: {detail}"


def model_problems(model: Model) -> list[str]:
    """Every inconsistency in the model, one self-contained message each.

    Each message starts with the model's source file name.
    """
    if model.file_identifier != FILE_IDENTIFIER:
        return [not_a_model_message(model.source, model.file_identifier)]
    problems = []
    if model.version > SCHEMA_VERSION:
        # Older version numbers are read as schema 3, as TFLite Micro reads them (it checks none;
        # the structure checks below still hold); a newer one is a schema this tool does not know.
        problems.append(f"{model.source}: TFLite schema version {model.version} is newer than the "
                        f"schema {SCHEMA_VERSION} this tool reads; convert the model with a TensorFlow "
                        "release that writes schema 3")
    if not model.subgraphs:
        problems.append(corrupt_message(model.source, "the model has no subgraphs"))
    for entry in model.metadata:
        if entry.buffer_index >= len(model.buffers):
            problems.append(corrupt_message(
                model.source, f"metadata '{entry.name}' points at buffer {entry.buffer_index} "
                              f"but the file has {len(model.buffers)} buffers"))
    for number, graph in enumerate(model.subgraphs):
        # Most models have one subgraph; only name it when there is a choice.
        prefix = f"subgraph {number}: " if len(model.subgraphs) > 1 else ''
        corrupt, invalid = _graph_problems(graph, model.buffers)
        problems += [corrupt_message(model.source, prefix + detail) for detail in corrupt]
        problems += [invalid_message(model.source, prefix + detail) for detail in invalid]
    return problems


def _graph_problems(graph: Graph, buffers: tuple[memoryview, ...]) -> tuple[list[str], list[str]]:
    """(problems only a damaged file has, problems of a well-formed but unusable model)."""
    corrupt = index_problems(graph, buffers) + constant_size_problems(graph, buffers)
    uses = first_uses(graph)
    invalid = type_problems(graph, uses) + shape_problems(graph, uses)
    invalid += [f"{where(uses, tensor)} {problem}"
                for tensor in graph.tensors for problem in quantization_problems(tensor)]
    if not corrupt:  # the checks below index the tables
        invalid += dataflow_problems(graph, buffers, uses)
        invalid += op_problems(graph)
    return corrupt, invalid


def op_census(graph: Graph) -> dict[str, list[int]]:
    """Operator indices grouped by op, in order of first use.

    Custom ops are keyed 'CUSTOM:<custom code>' since each name is its own op.
    """
    census: dict[str, list[int]] = {}
    for op in graph.operators:
        key = f"CUSTOM:{op.custom_code}" if op.opcode == 'CUSTOM' else op.opcode
        census.setdefault(key, []).append(op.index)
    return census
