"""Every conversion proves itself: the source model (onnxruntime, Keras) against the float TFLite,
and against the int8 model on TFLite Micro's reference; onnx2tf's option sets are retried when the
float TFLite is wrong; exact GELU is rewritten to its tanh form."""

import json
import sys

import pytest
from conftest import REPO
from model_fixtures import float_models, requires_tensorflow

from platformio_tinyml.build_hook import check_runtime_support, prepare_int8_model
from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.graph import op_census
from platformio_tinyml.options import parse_options

HOOKS = REPO / "test" / "fixtures" / "corrupt_float_tflite.py"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return float_models(tmp_path_factory.getbasetemp())


@pytest.fixture
def convert(tmp_path, monkeypatch):
    """A cold conversion (own cache: the test hook is not part of the key); returns (result, lines)."""
    monkeypatch.setenv("PLATFORMIO_TINYML_CACHE_DIR", str(tmp_path / "cache"))

    def run(hook=None, **raw):
        if hook:
            monkeypatch.setenv("PLATFORMIO_TINYML_TEST_FLOAT_TFLITE_HOOK", f"{HOOKS}:{hook}")
        lines = []
        options = parse_options({f"custom_tinyml_{k}": str(v) for k, v in raw.items()}, tmp_path)
        result = prepare_int8_model(options, tmp_path, tmp_path / "build", sys.executable, REPO, False, lines.append)
        return result, lines, options

    return run


@requires_tensorflow
def test_pytorch_vit_is_checked_against_onnxruntime_and_int8(models, convert, tmp_path):
    result, lines, options = convert(model=models / "vit.onnx", calibration=models / "vit_calibration.npy",
                                     min_agreement=90)
    check_runtime_support(result.model, options, lines.append)
    report = result.report
    assert report["float_check"]["cosine"] >= 0.9999 and report["float_check"]["source_framework"] == "onnxruntime"
    assert report["accuracy"]["reference"] == "onnxruntime"
    assert report["conversion"]["attempts"][0]["options"] == "default options"
    assert any("onnx2tf attempt 1 (default options): float TFLite vs onnxruntime: cosine" in line for line in lines)
    assert any(line.startswith("tinyml: float TFLite vs onnxruntime on 64 calibration samples: cosine") for line in lines)
    assert any(line.startswith("tinyml: int8 vs onnxruntime on 64 calibration samples: top-1 agreement") for line in lines)
    assert json.loads((tmp_path / "build" / "conversion_report.json").read_text())["float_check"]
    graph = result.model.subgraphs[0]
    assert graph.tensors[graph.inputs[0]].shape == (1, 1, 8, 8)  # the ONNX layout, whatever onnx2tf chose


@requires_tensorflow
def test_a_layout_fault_with_default_options_is_repaired_with_kat(models, convert):
    result, lines, _ = convert(model=models / "vit.onnx", calibration=models / "vit_calibration.npy",
                               min_agreement=90, hook="broken_with_default_options")
    attempts = [line for line in lines if "onnx2tf attempt" in line]
    assert len(attempts) == 2 and attempts[0].endswith("-> retrying") and attempts[1].endswith("-> kept")
    assert "-kat" in attempts[1]
    assert result.report["conversion"]["onnx2tf_options"].startswith("-kat")
    assert result.report["float_check"]["cosine"] >= 0.9999


@requires_tensorflow
@pytest.mark.parametrize("model", ["mlp.onnx", "dense_saved_model"])
def test_a_changed_weight_in_the_float_tflite_stops_the_build(models, convert, model):
    calibration = "mlp_calibration.npy" if model.startswith("mlp") else "dense_calibration.npy"
    with pytest.raises(ConversionError) as error:
        convert(model=models / model, calibration=models / calibration, hook="negate_largest_weights")
    message = str(error.value)
    assert message.startswith("custom_tinyml_min_float_cosine = 0.9999: the converted float model does not compute")
    assert "cosine similarity" in message and "max abs error" in message and "output '" in message


@requires_tensorflow
def test_exact_gelu_is_rewritten_to_its_tanh_form(models, convert):
    result, lines, options = convert(model=models / "gelu.onnx", calibration=models / "gelu_calibration.npy",
                                     min_agreement=90)
    assert any("exact GELU: 1 Erf node(s) rewritten to GELU's tanh form" in line for line in lines)
    ops = set(op_census(result.model.subgraphs[0]))
    assert "TANH" in ops and not any("ERF" in op or "FLEX" in op.upper() for op in ops)
    check_runtime_support(result.model, options, lines.append)
    assert result.report["float_check"]["cosine"] >= 0.9999
    assert result.report["conversion"]["erf_rewritten"] == 1
