"""Where a converted graph departs from its source, found by matching intermediate tensors by value.

Converters rename, fuse, reshape and transpose tensors (onnx2tf moves channels last, the TFLite
converter folds a bias add into FULLY_CONNECTED), so names rarely map one to one; values do. A
source tensor is matched when some tensor of the converted graph holds the same numbers for the
same input, up to a reshape or a permutation of its axes and float rounding. Pure NumPy.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

# Relative to the tensor's largest magnitude: float conversions agree to ~1e-6, a wrong weight or
# layout is off by tens of percent.
RELATIVE_TOLERANCE = 1e-3
MAX_PERMUTED_RANK = 6
# A value a converter fuses away (a convolution's output before its fused activation, a MatMul
# before its bias add) is held again within this many ops downstream; a real departure is not.
FUSION_DEPTH = 3


@dataclass(frozen=True)
class SourceTensor:
    name: str                  # the tensor's name in the source graph
    layer: str                 # what computed it, for messages: "ONNX node '/head/Gemm' (Gemm)"
    value: np.ndarray          # for one sample
    inputs: tuple[str, ...]    # the source tensors it was computed from (graph inputs left out)


def same_values(reference: np.ndarray, candidate: np.ndarray) -> bool:
    """The same numbers up to a reshape or a permutation of axes (size-1 axes ignored)."""
    if reference.size != candidate.size:
        return False
    reference = reference.astype(np.float64)
    limit = RELATIVE_TOLERANCE * max(1.0, float(np.max(np.abs(reference)))) if reference.size else 0.0
    candidate = candidate.astype(np.float64)
    if np.max(np.abs(reference.ravel() - candidate.ravel()), initial=0.0) <= limit:
        return True
    target = tuple(d for d in reference.shape if d != 1)
    squeezed = candidate.reshape(tuple(d for d in candidate.shape if d != 1))
    if sorted(target) != sorted(squeezed.shape) or len(target) > MAX_PERMUTED_RANK:
        return False
    wanted = reference.reshape(target)
    for order in set(itertools.permutations(range(len(target)))):
        if tuple(squeezed.shape[axis] for axis in order) == target and \
                np.max(np.abs(wanted - squeezed.transpose(order)), initial=0.0) <= limit:
            return True
    return False


def match(source: list[SourceTensor], converted: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """Source tensor name -> the converted tensors holding its values (empty when none does)."""
    by_size: dict[int, list[tuple[str, np.ndarray]]] = {}
    for name, value in converted.items():
        by_size.setdefault(value.size, []).append((name, value))
    return {tensor.name: [name for name, value in by_size.get(tensor.value.size, [])
                          if same_values(tensor.value, value)]
            for tensor in source}


def first_divergence(source: list[SourceTensor], matches: dict[str, list[str]]) -> SourceTensor | None:
    """The first source tensor (in the source's topological order) that no converted tensor
    holds, although every tensor it was computed from is held, and after which nothing within
    FUSION_DEPTH ops is held again (which would make it a value the converter fused away)."""
    consumers: dict[str, list[str]] = {}
    for tensor in source:
        for name in tensor.inputs:
            consumers.setdefault(name, []).append(tensor.name)
    for tensor in source:
        if matches.get(tensor.name) or not all(matches.get(name, True) for name in tensor.inputs):
            continue
        if not any(matches.get(name) for name in _downstream(tensor.name, consumers)):
            return tensor
    return None


def source_layers(source: list[SourceTensor], matches: dict[str, list[str]]) -> dict[str, str]:
    """Converted tensor name -> the source layer that computed its values: the earliest one, since
    reshapes and identities after it hold the same values."""
    layers: dict[str, str] = {}
    for tensor in source:
        for name in matches.get(tensor.name, ()):
            layers.setdefault(name, tensor.layer)
    return layers


def divergence_report(tensor: SourceTensor | None, source: list[SourceTensor]) -> dict | None:
    if tensor is None:
        return None
    layers = {t.name: t.layer for t in source}
    return {"tensor": tensor.name, "layer": tensor.layer, "shape": list(tensor.value.shape),
            "agreeing_inputs": [{"tensor": name, "layer": layers[name]} for name in tensor.inputs]}


def divergence_text(report: dict) -> str:
    shape = "x".join(map(str, report["shape"])) or "scalar"
    inputs = report["agreeing_inputs"]
    agreeing = (f"; its inputs still agree ({', '.join(repr(i['tensor']) for i in inputs)})" if inputs
                else "; it is computed from the model's inputs")
    return f"the graphs first differ at '{report['tensor']}' ({shape}), the output of {report['layer']}{agreeing}"


def _downstream(name: str, consumers: dict[str, list[str]]) -> set[str]:
    """The tensors computed from `name` within FUSION_DEPTH ops."""
    seen: set[str] = set()
    frontier = [name]
    for _ in range(FUSION_DEPTH):
        frontier = [c for current in frontier for c in consumers.get(current, ()) if c not in seen]
        seen.update(frontier)
    return seen
