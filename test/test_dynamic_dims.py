"""A PyTorch model exported with dynamic batch and sequence dimensions converts with the sequence
length its calibration samples have; with random calibration nothing fixes it, and the error says so."""

import pytest

from model_fixtures import float_models, requires_tensorflow

from platformio_tinyml.pipeline import ModelJob, prepare_int8_model
from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.options import parse_options


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return float_models(tmp_path_factory.getbasetemp())


def convert(tmp_path, **raw):
    lines = []
    options = parse_options({f"custom_tinyml_{k}": str(v) for k, v in raw.items()}, tmp_path)
    result = prepare_int8_model(ModelJob(options, tmp_path, tmp_path / "build"), lines.append)
    return result, lines


@requires_tensorflow
def test_the_sequence_length_comes_from_the_calibration_samples(models, tmp_path, monkeypatch):
    monkeypatch.setenv("PLATFORMIO_TINYML_CACHE_DIR", str(tmp_path / "cache"))
    result, lines = convert(tmp_path, model=models / "sequence.onnx", calibration=models / "sequence_calibration.npy")
    assert ("tinyml: input 'x': dynamic dimension 'sequence' (axis 1) fixed to 6 from the calibration "
            "samples; set custom_tinyml_input_shape to choose another size") in lines
    assert result.report["fixed_dimensions"] == [
        {"input": "x", "axis": 0, "name": "batch", "size": 1, "from": "batch"},
        {"input": "x", "axis": 1, "name": "sequence", "size": 6, "from": "calibration samples"},
    ]
    assert result.report["input_shapes"] == [[1, 6, 8]]
    graph = result.model.subgraphs[0]
    assert graph.tensors[graph.inputs[0]].shape == (1, 6, 8)


@requires_tensorflow
def test_random_calibration_cannot_fix_the_sequence_length(models, tmp_path, monkeypatch):
    monkeypatch.setenv("PLATFORMIO_TINYML_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ConversionError) as error:
        convert(tmp_path, model=models / "sequence.onnx", calibration="random")
    assert ("input 'x' has dynamic dimensions (batch x sequence x 8): dimension 'sequence' (axis 1) "
            "must be fixed: set custom_tinyml_input_shape = 1,N,8 with N the size you use") in str(error.value)
