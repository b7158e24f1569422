"""Matching a converted graph's intermediate tensors to its source's by value, and naming where
they first differ (pure NumPy: no converter needed)."""

import numpy as np

from platformio_tinyml.convert.divergence import (SourceTensor, divergence_report, divergence_text, first_divergence,
                                                  match, same_values, source_layers)

RNG = np.random.default_rng(0)


def test_values_match_through_reshape_transpose_and_rounding():
    nchw = RNG.normal(size=(1, 4, 3, 2)).astype(np.float32)
    assert same_values(nchw, nchw.reshape(4, 6))
    assert same_values(nchw, nchw.transpose(0, 2, 3, 1))                 # channels last
    assert same_values(nchw, nchw * (1 + 1e-6))                          # float rounding
    assert not same_values(nchw, -nchw)
    assert not same_values(nchw, nchw * 1.01)
    assert not same_values(nchw, nchw.reshape(-1)[:20])                  # other size
    assert not same_values(nchw, np.roll(nchw, 1))


def chain(*specs):
    """SourceTensors from (name, inputs) with values 1, 2, 3, ... per tensor."""
    return [SourceTensor(name, f"node '{name}' (Op)", np.full((2, 3), index + 1.0), tuple(inputs))
            for index, (name, inputs) in enumerate(specs)]


def converted_holding(source, names, corrupt=()):
    return {f"tfl_{t.name}": (-t.value if t.name in corrupt else t.value) for t in source if t.name in names}


def test_a_wrong_tensor_is_named_and_its_inputs_agree():
    source = chain(("a", ()), ("b", ("a",)), ("c", ("b",)), ("d", ("c",)))
    matches = match(source, converted_holding(source, {"a", "b", "c", "d"}, corrupt={"c", "d"}))
    found = first_divergence(source, matches)
    assert found.name == "c"
    report = divergence_report(found, source)
    assert report["agreeing_inputs"] == [{"tensor": "b", "layer": "node 'b' (Op)"}]
    assert divergence_text(report) == ("the graphs first differ at 'c' (2x3), the output of node 'c' (Op); "
                                       "its inputs still agree ('b')")


def test_a_value_fused_away_is_not_a_divergence():
    # conv -> relu, the converter keeps only relu's output: conv has no match but relu does.
    source = chain(("conv", ()), ("relu", ("conv",)), ("head", ("relu",)))
    matches = match(source, converted_holding(source, {"relu", "head"}))
    assert matches["conv"] == [] and first_divergence(source, matches) is None


def test_a_departure_far_from_any_agreeing_tensor_is_found_even_if_agreement_returns_later():
    # Negating q and k leaves q.k unchanged: agreement comes back many ops later, not within the
    # fusion depth, so the projection is still named.
    source = chain(("x", ()), ("qkv", ("x",)), ("r1", ("qkv",)), ("r2", ("r1",)), ("r3", ("r2",)),
                   ("scores", ("r3",)))
    matches = match(source, converted_holding(source, {"x", "qkv", "r1", "r2", "r3", "scores"},
                                              corrupt={"qkv", "r1", "r2", "r3"}))
    assert first_divergence(source, matches).name == "qkv"


def test_converted_tensors_are_named_after_the_earliest_source_layer_holding_their_values():
    source = chain(("matmul", ()), ("add", ("matmul",)), ("reshape", ("add",)))
    values = {"fc": source[1].value}
    source[2] = SourceTensor("reshape", "node 'reshape' (Reshape)", source[1].value.reshape(3, 2), ("add",))
    assert source_layers(source, match(source, values)) == {"fc": "node 'add' (Op)"}
