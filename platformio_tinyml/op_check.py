"""Before any C is compiled: does the chosen runtime implement every op of the model?"""

from __future__ import annotations

from .graph import Graph, Model, op_census

MAX_TENSORS_SHOWN = 4


class UnsupportedOpsError(ValueError):
    """The model uses ops the runtime lacks; the message lists each with its count and tensors."""


def check_ops(model: Model, supported: frozenset[str], runtime: str, source: str,
              source_layers: dict[str, str] | None = None) -> int:
    """Returns the number of operators checked; raises UnsupportedOpsError naming every missing op
    and, where `source_layers` knows it (output tensor name -> layer), the source layer it came from."""
    graph = model.subgraphs[0]
    census = op_census(graph)
    missing = {op: indices for op, indices in census.items() if op not in supported}
    if missing:
        lines = [f"{source}: runtime '{runtime}' does not implement {len(missing)} op(s) of this model:"]
        lines += [_op_line(graph, op, indices, source_layers or {}) for op, indices in missing.items()]
        lines.append(f"'{runtime}' implements: {', '.join(sorted(supported))}. "
                     f"Change the model so that it avoids the others.")
        raise UnsupportedOpsError("\n".join(lines))
    return len(graph.operators)


def _op_line(graph: Graph, op: str, indices: list[int], source_layers: dict[str, str]) -> str:
    first = graph.operators[indices[0]]
    touched = [graph.tensors[i].name or f"tensor {i}" for i in (*first.inputs, *first.outputs) if i >= 0]
    shown = ", ".join(f"'{name}'" for name in touched[:MAX_TENSORS_SHOWN])
    more = f" and {len(touched) - MAX_TENSORS_SHOWN} more" if len(touched) > MAX_TENSORS_SHOWN else ""
    times = "once" if len(indices) == 1 else f"{len(indices)} times"
    where = "" if len(indices) == 1 else " first"
    outputs = (graph.tensors[graph.operators[i].outputs[0]].name for i in indices)
    layers = list(dict.fromkeys(source_layers[name] for name in outputs if name in source_layers))
    origin = ""
    if layers:
        origin = f"; it comes from {', '.join(layers[:MAX_TENSORS_SHOWN])}" + (" and more" if len(layers) > MAX_TENSORS_SHOWN else "")
    return f"  {op}: used {times} (operator {', '.join(map(str, indices[:8]))}" \
           f"{', ...' if len(indices) > 8 else ''}); it{where} touches {shown}{more}{origin}"
