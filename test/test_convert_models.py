"""Conversions through the hook's own path (prepare_int8_model, the worker subprocess, the cache),
without PlatformIO: the Keras transformer, PyTorch -> ONNX models, a float .tflite, the shared int8
models, and the bad inputs that need the converters."""

import time

import pytest
from conftest import shared_model_path
from model_fixtures import float_models, requires_tensorflow

from platformio_tinyml.pipeline import ModelJob, prepare_int8_model
from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.graph import op_census
from platformio_tinyml.options import parse_options

DYNAMIC_SHAPE_OPS = {"SHAPE", "GATHER", "PACK", "REDUCE_PROD", "STRIDED_SLICE"}
SHARED_INT8_MODELS = ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "hello_world_int8.tflite",
                      "micro_speech_quantized.tflite"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return float_models(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    # Not the session's shared cache: the first conversion of each model here must be a cold one.
    return tmp_path_factory.mktemp("conversion-cache-cold")


@pytest.fixture
def convert(tmp_path, monkeypatch, module_cache):
    """prepare_int8_model on options given as platformio.ini text; returns (result, lines, seconds)."""
    monkeypatch.setenv("PLATFORMIO_TINYML_CACHE_DIR", str(module_cache))

    def run(**raw):
        lines = []
        # Untrained models on random samples have near ties; the 97% default is for real models.
        raw.setdefault("min_agreement", 90)
        options = parse_options({f"custom_tinyml_{k}": str(v) for k, v in raw.items()}, tmp_path)
        start = time.perf_counter()
        result = prepare_int8_model(ModelJob(options, tmp_path, tmp_path / "build"), lines.append)
        return result, lines, time.perf_counter() - start

    return run


def _inputs(result):
    graph = result.model.subgraphs[0]
    return [graph.tensors[i] for i in graph.inputs], [graph.tensors[i] for i in graph.outputs]


def _assert_fully_int8_static(result):
    inputs, outputs = _inputs(result)
    assert all(t.dtype == "int8" for t in inputs + outputs)
    assert all(t.shape[0] == 1 and min(t.shape) > 0 for t in inputs)
    assert not DYNAMIC_SHAPE_OPS & set(op_census(result.model.subgraphs[0]))


@requires_tensorflow
def test_keras_transformer_with_a_free_batch_dimension_becomes_static_int8(models, convert):
    cold, lines, cold_s = convert(model=models / "transformer.keras",
                                  calibration=models / "transformer_calibration.npy")
    _assert_fully_int8_static(cold)
    assert _inputs(cold)[0][0].shape == (1, 8, 16)
    assert {"BATCH_MATMUL", "SOFTMAX", "RSQRT"} <= set(op_census(cold.model.subgraphs[0]))
    assert any("Keras model loaded" in line for line in lines)
    assert cold.report["accuracy"]["top1_agreement"] >= 0.9
    warm, lines, warm_s = convert(model=models / "transformer.keras",
                                  calibration=models / "transformer_calibration.npy")
    assert warm.data == cold.data and any("cached" in line for line in lines)
    print(f"\nFIGURE keras transformer: cold {cold_s:.1f} s, warm {warm_s:.2f} s")


@requires_tensorflow
def test_keras_3_lstm_layers_become_fused_lstm_ops(models, convert):
    """Keras 3 writes an LSTM as a loop the converter turns into WHILE; the build makes each layer a
    UNIDIRECTIONAL_SEQUENCE_LSTM, computing what Keras computes (each sample a sequence of its own)."""
    result, _, _ = convert(model=models / "lstm.keras", calibration=models / "lstm_calibration.npy")
    census = op_census(result.model.subgraphs[0])
    assert len(census["UNIDIRECTIONAL_SEQUENCE_LSTM"]) == 2 and "WHILE" not in census
    assert result.report["float_check"]["cosine"] > 0.9999
    assert result.report["accuracy"]["top1_agreement"] >= 0.97


@requires_tensorflow
def test_int16x8_quantization_gives_int16_activations_and_more_accuracy_than_int8(models, convert):
    """custom_tinyml_quantization = int16x8: TensorFlow's 16x8 mode (int16 activations, int8 weights,
    int64 biases), checked against Keras like an int8 conversion, and closer to it."""
    figures = {}
    for quantization in ("int8", "int16x8"):
        result, _, _ = convert(model=models / "dense_tanh.keras", calibration=models / "dense_tanh_calibration.npy",
                               quantization=quantization)
        graph = result.model.subgraphs[0]
        activations = {graph.tensors[i].dtype for op in graph.operators for i in op.outputs}
        assert activations == ({"int16"} if quantization == "int16x8" else {"int8"})
        figures[quantization] = result.report["accuracy"]
        print(f"\nFIGURE dense_tanh {quantization}: top-1 agreement {figures[quantization]['top1_agreement']:.3f}, "
              f"SNR {figures[quantization]['snr_db']:.1f} dB")
    assert figures["int16x8"]["snr_db"] > figures["int8"]["snr_db"] + 6  # weights stay int8: not 48 dB more


@requires_tensorflow
def test_a_recurrent_layer_that_would_become_a_loop_is_named_with_what_to_do(models, convert):
    with pytest.raises(ConversionError, match="layer 'gru' \\(GRU\\) converts to a loop, and TFLite Micro has no GRU "
                                              "op: use an LSTM"):
        convert(model=models / "gru.keras", calibration="random")


@requires_tensorflow
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_pytorch_model_exported_to_onnx_converts_keeping_its_input_layout(models, convert, name):
    original = (models / f"{name}.onnx").read_bytes()
    cold, lines, cold_s = convert(model=models / f"{name}.onnx", calibration=models / f"{name}_calibration.npy")
    assert (models / f"{name}.onnx").read_bytes() == original  # onnx2tf rewrites its input file
    _assert_fully_int8_static(cold)
    if name == "cnn":
        assert _inputs(cold)[0][0].shape == (1, 1, 8, 8)  # NCHW kept, as in the ONNX model
    assert cold.report["accuracy"]["snr_db"] > 25
    warm, _, warm_s = convert(model=models / f"{name}.onnx", calibration=models / f"{name}_calibration.npy")
    assert warm.data == cold.data
    print(f"\nFIGURE pytorch {name} via onnx: cold {cold_s:.1f} s, warm {warm_s:.2f} s")


@requires_tensorflow
def test_float_tflite_is_quantized_with_the_calibration_samples(models, convert):
    cold, _, cold_s = convert(model=models / "dense_float.tflite", calibration=models / "dense_calibration.npy")
    _assert_fully_int8_static(cold)
    assert cold.report["accuracy"]["top1_agreement"] >= 0.9 and cold.report["format"] == "tflite"
    _, _, warm_s = convert(model=models / "dense_float.tflite", calibration=models / "dense_calibration.npy")
    print(f"\nFIGURE float tflite: cold {cold_s:.1f} s, warm {warm_s:.2f} s")


@requires_tensorflow
def test_saved_model_folder_converts_through_its_serving_signature(models, convert):
    result, lines, seconds = convert(model=models / "dense_saved_model", calibration=models / "dense_calibration.npy")
    _assert_fully_int8_static(result)
    assert any("SavedModel loaded" in line for line in lines) and result.report["format"] == "saved_model"
    print(f"\nFIGURE saved model: cold {seconds:.1f} s")


@pytest.mark.parametrize("name", SHARED_INT8_MODELS)
def test_shared_int8_models_are_used_as_they_are(convert, name):
    path = shared_model_path(name)
    result, lines, seconds = convert(model=path)
    assert result.data == path.read_bytes() and result.report is None and lines == []
    print(f"\nFIGURE {name} (used as is): {seconds:.2f} s")


@requires_tensorflow
def test_random_calibration_converts_with_a_warning(models, convert):
    result, lines, _ = convert(model=models / "dense_float.tflite", calibration="random")
    assert any(line.startswith("tinyml: warning: custom_tinyml_calibration = random") for line in lines)
    assert result.report["warnings"]


@requires_tensorflow
def test_calibration_samples_of_the_wrong_shape_name_the_option_and_shapes(models, convert):
    with pytest.raises(ConversionError) as error:
        convert(model=models / "dense_float.tflite", calibration=models / "transformer_calibration.npy")
    message = str(error.value)
    assert message.startswith("custom_tinyml_calibration = ") and "transformer_calibration.npy" in message
    assert "32x8x16" in message and "1x20" in message and "Traceback" not in message


@requires_tensorflow
def test_an_onnx_model_onnx2tf_cannot_convert_is_summarised(tmp_path, convert):
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("FancyOp", ["x"], ["y"], domain="com.example")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    onnx.save(model, tmp_path / "custom.onnx")
    with pytest.raises(ConversionError) as error:
        convert(model=tmp_path / "custom.onnx", calibration="random")
    message = str(error.value)
    assert message.startswith("custom_tinyml_model = ") and "custom.onnx" in message
    assert "onnx2tf" in message and "Traceback" not in message and len(message) < 1500
    print("\n" + message)
