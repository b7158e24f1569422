"""Every conversion proves itself: the source model (onnxruntime, Keras) against the float TFLite,
and against the int8 model on TFLite Micro's reference; onnx2tf's option sets are retried when the
float TFLite is wrong; exact GELU is rewritten to its tanh form."""

import json
import shutil
import sys

import pytest
from fixtures.corrupt_float_tflite import corrupting_python
from model_fixtures import float_models, requires_tensorflow

from platformio_tinyml.pipeline import ModelJob, check_runtime_support, prepare_int8_model
from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.graph import op_census
from platformio_tinyml.options import parse_options

@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return float_models(tmp_path_factory.getbasetemp())


@pytest.fixture
def convert(tmp_path, monkeypatch):
    """A cold conversion (own cache: a corrupted conversion has the key of the right one); returns
    (result, lines, options). `corruption`: the worker runs through fixtures/corrupt_float_tflite.py,
    its float TFLite changed before it is checked."""
    monkeypatch.setenv("PLATFORMIO_TINYML_CACHE_DIR", str(tmp_path / "cache"))

    def run(corruption=None, **raw):
        python = corrupting_python(tmp_path / "python", corruption) if corruption else sys.executable
        lines = []
        options = parse_options({f"custom_tinyml_{k}": str(v) for k, v in raw.items()}, tmp_path)
        result = prepare_int8_model(ModelJob(options, tmp_path, tmp_path / "build", python=str(python)), lines.append)
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
    assert not any("onnx2tf attempt" in line for line in lines)  # one attempt, kept: the next line says it
    assert any(line.startswith("tinyml: float TFLite vs onnxruntime on 64 calibration samples: cosine") for line in lines)
    assert any(line.startswith("tinyml: int8 vs onnxruntime on 64 calibration samples: top-1 agreement") for line in lines)
    assert json.loads(result.report_file.read_text())["float_check"]
    graph = result.model.subgraphs[0]
    assert graph.tensors[graph.inputs[0]].shape == (1, 1, 8, 8)  # the ONNX layout, whatever onnx2tf chose


@requires_tensorflow
def test_a_layout_fault_with_default_options_is_repaired_with_kat(models, convert):
    result, lines, _ = convert(model=models / "vit.onnx", calibration=models / "vit_calibration.npy",
                               min_agreement=90, corruption="broken_with_default_options")
    attempts = [line for line in lines if "onnx2tf attempt" in line]
    assert len(attempts) == 2 and attempts[0].endswith("-> retrying") and attempts[1].endswith("-> kept")
    assert "first differs at ONNX node '/encoder/self_attn/MatMul' (MatMul)" in attempts[0]
    assert "first_divergence" in result.report["conversion"]["attempts"][0]["float_check"]
    assert "-kat" in attempts[1]
    assert result.report["conversion"]["onnx2tf_options"].startswith("-kat")
    assert result.report["float_check"]["cosine"] >= 0.9999


# Where the float graphs first differ (intermediate tensors matched by value), by source format.
DIVERGENCE = {
    "mlp.onnx": "the graphs first differ at '/0/Gemm_output_0' (1x32), the output of ONNX node '/0/Gemm' (Gemm)",
    "vit.onnx": "the output of ONNX node '/encoder/self_attn/MatMul' (MatMul); its inputs still agree",
    "transformer.keras": "the output of Keras layer",
    "dense_saved_model": "(layer-by-layer comparison needs an ONNX or Keras source model)",
}


@requires_tensorflow
@pytest.mark.parametrize("model", list(DIVERGENCE))
def test_a_changed_weight_in_the_float_tflite_stops_the_build_naming_where(models, convert, model):
    calibration = {"mlp.onnx": "mlp", "vit.onnx": "vit", "transformer.keras": "transformer",
                   "dense_saved_model": "dense"}[model] + "_calibration.npy"
    with pytest.raises(ConversionError) as error:
        convert(model=models / model, calibration=models / calibration, corruption="negate_largest_weights")
    message = str(error.value)
    print(message)
    assert message.startswith("custom_tinyml_min_float_cosine = 0.9999: the converted float model does not compute")
    assert "cosine similarity" in message and "max abs error" in message and "output '" in message
    assert DIVERGENCE[model] in message


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


@requires_tensorflow
def test_an_op_the_runtime_lacks_is_named_with_the_onnx_node_it_came_from(convert, tmp_path):
    """int8 EXP: neither our runtime nor TFLite Micro's reference runs it; the build stops before
    the reference is tried, naming the op and the ONNX node."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    weights = [numpy_helper.from_array((rng.normal(size=shape) * 0.3).astype(np.float32), name)
               for name, shape in (("w1", (16, 8)), ("w2", (8, 4)))]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="hidden"),
         helper.make_node("Exp", ["h"], ["e"], name="energy"),
         helper.make_node("MatMul", ["e", "w2"], ["y"], name="head")],
        "exp_net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, tmp_path / "exp.onnx")
    np.save(tmp_path / "exp_calibration.npy", rng.normal(size=(32, 16)).astype(np.float32))
    with pytest.raises(ConversionError) as error:
        convert(model=tmp_path / "exp.onnx", calibration=tmp_path / "exp_calibration.npy", min_agreement=50)
    message = str(error.value)
    assert "runtime 'tinyml' does not implement 1 op(s)" in message
    assert "EXP: used once" in message and "it comes from ONNX node 'energy' (Exp)" in message
    assert not (tmp_path / "build" / "model.tflite").exists()


@requires_tensorflow
def test_a_keras_layer_class_of_the_models_own_is_named_with_what_to_do(models, convert, tmp_path):
    with pytest.raises(ConversionError) as refused:
        convert(model=models / "custom_layer.keras", calibration=models / "custom_layer_calibration.npy")
    message = str(refused.value)
    assert "custom_layer.keras uses the Keras layer or function 'Scale', which is not part of Keras" in message
    assert "custom_tinyml_keras_custom_objects = <module>" in message and len(message) < 700  # no config dump

    shutil.copyfile(models / "demo_layers.py", tmp_path / "demo_layers.py")  # the project's own module
    result, _, _ = convert(model=models / "custom_layer.keras", calibration=models / "custom_layer_calibration.npy",
                           keras_custom_objects="demo_layers")
    assert result.how == "converted from keras"


@requires_tensorflow
def test_a_keras_lambda_layer_is_named_with_what_to_do(models, convert):
    with pytest.raises(ConversionError) as refused:
        convert(model=models / "lambda_layer.keras", calibration=models / "custom_layer_calibration.npy")
    message = str(refused.value)
    assert "lambda_layer.keras has a Lambda layer holding Python code" in message and "safe_mode" not in message
    assert "model.export(folder)" in message


@requires_tensorflow
def test_pytorchs_default_dynamo_export_converts(models, convert):
    """torch.onnx.export without dynamo=False (PyTorch 2.9+): opset 18, weights in mlp_dynamo.onnx.data."""
    assert (models / "mlp_dynamo.onnx.data").is_file()
    result, lines, _ = convert(model=models / "mlp_dynamo.onnx", calibration=models / "mlp_calibration.npy",
                               min_agreement=90)
    assert result.how == "converted from onnx" and result.report["float_check"]["cosine"] >= 0.9999


@requires_tensorflow
def test_the_headers_keep_the_source_models_names(models, convert):
    """An ONNX output 'y' comes out of the converters under another name; tinyml_model.h has both."""
    from platformio_tinyml.model_array import render_model_header
    from platformio_tinyml.pipeline import source_names

    result, _, _ = convert(model=models / "mlp.onnx", calibration=models / "mlp_calibration.npy", min_agreement=90)
    assert result.report["source_names"] == {"inputs": ["x"], "outputs": ["y"]}
    graph = result.model.subgraphs[0]
    converted = graph.tensors[graph.outputs[0]].name
    assert converted != "y"
    header = render_model_header(result.data, result.model, "test", (), source_names(result))
    assert f'#define TINYML_OUTPUT0_NAME "{converted}"' in header
    assert '#define TINYML_OUTPUT0_SOURCE_NAME "y"' in header and "(in the source model: y)" in header
