"""The conversion's pieces that need no TensorFlow: format detection, static shapes, samples, the
cache key, accuracy figures, the op check, the install hint; and the hook imports no TensorFlow."""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, shared_model_path

from platformio_tinyml.convert import cache, launcher
from platformio_tinyml.convert.accuracy import compare_outputs, snr_db, summary_line
from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.convert.samples import load_samples
from platformio_tinyml.convert.source_format import KERAS, ONNX, SAVED_MODEL, TFLITE, detect_format
from platformio_tinyml.convert.static_shapes import static_input_shapes
from platformio_tinyml.graph import read_model_file
from platformio_tinyml.op_check import UnsupportedOpsError, check_ops


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_formats_are_told_by_name_and_first_bytes(tmp_path):
    with zipfile.ZipFile(tmp_path / "m.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    assert detect_format(tmp_path / "m.keras", "m.keras") == KERAS
    assert detect_format(_write(tmp_path / "m.h5", b"\x89HDF\r\n\x1a\n" + bytes(8)), "m.h5") == KERAS
    assert detect_format(_write(tmp_path / "m.onnx", b"\x08\x07\x12\x07pytorch"), "m.onnx") == ONNX
    assert detect_format(_write(tmp_path / "m.bin", b"\x1c\0\0\0TFL3" + bytes(8)), "m.bin") == TFLITE
    (tmp_path / "sm").mkdir()
    _write(tmp_path / "sm" / "saved_model.pb", b"")
    assert detect_format(tmp_path / "sm", "sm") == SAVED_MODEL


@pytest.mark.parametrize("name, data, says", [
    ("missing.onnx", None, "missing.onnx does not exist"),
    ("notes.txt", b"hello, world", "is neither ONNX, TFLite nor Keras"),
    ("model.onnx", b"<html>not found</html>", "model.onnx is a .onnx file whose content is not ONNX"),
    ("model.keras", b"plain text", "model.keras is a .keras file whose content is not Keras"),
])
def test_what_is_not_a_model_is_named(tmp_path, name, data, says):
    if data is not None:
        _write(tmp_path / name, data)
    with pytest.raises(ConversionError) as error:
        detect_format(tmp_path / name, f"models/{name}")
    assert str(error.value).startswith(f"custom_tinyml_model = models/{name}:") and says in str(error.value)


def test_a_folder_that_is_no_saved_model(tmp_path):
    with pytest.raises(ConversionError, match="not a TensorFlow SavedModel"):
        detect_format(tmp_path, "models")


def test_static_shapes_fix_the_batch_and_ask_for_the_rest():
    assert static_input_shapes([("x", (None, 8, 16))], ()) == [(1, 8, 16)]
    assert static_input_shapes([("x", (None, None, 16))], ((None, (1, 12, 16)),)) == [(1, 12, 16)]
    with pytest.raises(ConversionError) as error:
        static_input_shapes([("x", (None, None, 16))], ())
    assert "custom_tinyml_input_shape = 1,N,16" in str(error.value)
    with pytest.raises(ConversionError, match="must keep its rank"):
        static_input_shapes([("x", (None, 8, 16))], ((None, (1, 9, 16)),))
    with pytest.raises(ConversionError, match="has no input y"):
        static_input_shapes([("x", (None, 8))], (("y", (1, 8)),))


def test_samples_from_npz_npy_folder_and_function(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.ones((3, 4)), labels=np.zeros(3))
    np.save(tmp_path / "b.npy", np.ones((2, 1, 4)))  # a batch-1 axis per sample is accepted
    (tmp_path / "folder").mkdir()
    np.save(tmp_path / "folder" / "1.npy", np.ones((2, 4)))
    np.save(tmp_path / "folder" / "2.npy", np.ones((5, 4)))
    (tmp_path / "my_samples.py").write_text("import numpy as np\ndef make():\n    return np.zeros((6, 4))\n")

    def load(kind, text, path=None):
        return load_samples(kind, text, path, "custom_tinyml_calibration", ["x"], [(1, 4)], tmp_path)

    assert load("files", "a.npz", tmp_path / "a.npz")[0].shape == (3, 4)
    assert load("files", "b.npy", tmp_path / "b.npy")[0].shape == (2, 4)
    assert load("files", "folder", tmp_path / "folder")[0].shape == (7, 4)
    assert load("function", "my_samples:make")[0].shape == (6, 4)
    assert load("random", "random")[0].dtype == np.float32


def test_samples_of_the_wrong_shape_say_which_shape_is_wanted(tmp_path):
    np.save(tmp_path / "cal.npy", np.ones((10, 28, 28)))
    with pytest.raises(ConversionError) as error:
        load_samples("files", "cal.npy", tmp_path / "cal.npy", "custom_tinyml_calibration", ["image"],
                     [(1, 32, 32, 3)], tmp_path)
    assert str(error.value) == (
        "custom_tinyml_calibration = cal.npy: samples for input 'image' have shape 10x28x28, but the "
        "model's input is 1x32x32x3: give an array of shape (samples, 32, 32, 3).")


def test_the_cache_key_follows_content_not_names_or_times(tmp_path):
    model = _write(tmp_path / "m.onnx", b"\x08model")
    samples = _write(tmp_path / "cal.npy", b"samples")
    key = cache.conversion_key(model, [samples], {"quantization": "int8"})
    assert cache.conversion_key(model, [samples], {"quantization": "int8"}) == key
    _write(samples, b"other samples")
    assert cache.conversion_key(model, [samples], {"quantization": "int8"}) != key
    assert cache.conversion_key(model, [samples], {"quantization": "int16x8"}) != \
        cache.conversion_key(model, [samples], {"quantization": "int8"})


def test_the_cache_key_follows_an_onnx_models_external_data(tmp_path):
    """torch.onnx.export's default (dynamo) writes the weights beside the model: their bytes count."""
    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper

    from platformio_tinyml.convert.source_format import model_files

    weights = numpy_helper.from_array(np.arange(4096, dtype=np.float32).reshape(64, 64), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 64])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 64])], [weights])
    model = tmp_path / "m.onnx"
    onnx.save_model(helper.make_model(graph), model, save_as_external_data=True, location="m.onnx.data",
                    size_threshold=0)
    assert model_files(model) == [model, tmp_path / "m.onnx.data"]
    key = cache.conversion_key(model, [], {})
    data = bytearray((tmp_path / "m.onnx.data").read_bytes())
    data[100] ^= 1
    (tmp_path / "m.onnx.data").write_bytes(bytes(data))
    assert cache.conversion_key(model, [], {}) != key


def test_the_cache_key_follows_the_converters_and_our_conversion_code(tmp_path, monkeypatch):
    """A new TensorFlow (or onnx2tf ...) or an edit of convert/*.py must not reuse old conversions."""
    model = _write(tmp_path / "m.onnx", b"\x08model")
    key = cache.conversion_key(model, [], {})
    installed = cache.importlib.metadata.version
    monkeypatch.setattr(cache.importlib.metadata, "version",
                        lambda name: "0.0.1" if name == "onnx2tf" else installed(name))
    assert cache.conversion_key(model, [], {}) != key
    monkeypatch.setattr(cache.importlib.metadata, "version", installed)
    assert cache.conversion_key(model, [], {}) == key
    sources = tmp_path / "convert"
    sources.mkdir()
    for file in cache._CONVERT_SOURCES.glob("*.py"):
        (sources / file.name).write_bytes(file.read_bytes())
    monkeypatch.setattr(cache, "_CONVERT_SOURCES", sources)
    assert cache.conversion_key(model, [], {}) == key
    with (sources / "worker.py").open("a") as stream:
        stream.write("# an edit\n")
    assert cache.conversion_key(model, [], {}) != key


def test_cache_entries_are_published_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("PLATFORMIO_TINYML_CACHE_DIR", str(tmp_path))
    staged = cache.staging_folder("k")
    assert cache.lookup("k") is None
    _write(staged / cache.MODEL_FILE, b"m")
    _write(staged / cache.REPORT_FILE, b"{}")
    assert cache.publish(staged, "k") == tmp_path / "k" and cache.lookup("k") == tmp_path / "k"


def test_accuracy_figures():
    reference = np.array([[0.1, 0.9], [0.8, 0.2], [0.6, 0.4]])
    quantized = np.array([[0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    report = compare_outputs(["y"], [reference], [quantized])
    assert report["top1_agreement"] == pytest.approx(2 / 3) and report["samples"] == 3
    assert snr_db(reference, reference) == float("inf")
    assert snr_db(np.ones(4), np.ones(4) * 1.1) == pytest.approx(20.0)
    assert summary_line(report, "calibration") == \
        f"int8 vs float on 3 calibration samples: top-1 agreement 66.7%, SNR {report['snr_db']:.1f} dB"


def test_unsupported_ops_are_named_with_count_and_tensors():
    model = read_model_file(shared_model_path("kws_ref_model.tflite"))
    assert check_ops(model, frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED",
                                       "RESHAPE", "SOFTMAX"}), "tinyml", "kws.tflite") > 0
    with pytest.raises(UnsupportedOpsError) as error:
        check_ops(model, frozenset({"CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"}), "tinyml", "kws.tflite")
    message = str(error.value)
    assert message.startswith("kws.tflite: runtime 'tinyml' does not implement 2 op(s)")
    assert "DEPTHWISE_CONV_2D: used 4 times" in message and "AVERAGE_POOL_2D: used once" in message
    assert "touches '" in message


def test_missing_converters_say_exactly_what_to_install(monkeypatch):
    monkeypatch.setattr(launcher.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConversionError) as error:
        launcher.require_converters("onnx", "/opt/pio/python", "custom_tinyml_model = m.onnx")
    message = str(error.value)
    assert "needs tensorflow, tflite_micro, onnx, onnx2tf" in message
    assert message.endswith("/opt/pio/python -m pip install 'platformio-tinyml[convert]'")


def test_the_build_hook_imports_no_tensorflow():
    code = ("import sys; import platformio_tinyml.build_hook, platformio_tinyml.engine; "
            "heavy = [m for m in ('tensorflow', 'onnx2tf', 'keras', 'torch', 'onnx') if m in sys.modules]; "
            "print(heavy); sys.exit(bool(heavy))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_accuracy_thresholds_have_defaults_and_options(tmp_path):
    from platformio_tinyml.pipeline import check_agreement, check_float
    from platformio_tinyml.options import OptionError, parse_options

    defaults = parse_options({}, tmp_path)
    regression = {"top1_agreement": None, "samples": 10, "sample_source": "validation", "snr_db": 12.0,
                  "reference": "onnxruntime", "outputs": [{"name": "y", "snr_db": 12.0, "max_abs_error": 0.3,
                                                           "top1_agreement": None}]}
    with pytest.raises(ConversionError, match=r"^custom_tinyml_min_snr = 20: the int8 model's output 'y' is only 12.0 dB"):
        check_agreement(regression, defaults)
    check_agreement(regression, parse_options({"custom_tinyml_min_snr": "10 dB"}, tmp_path))
    classifier = {**regression, "top1_agreement": 0.965, "outputs": [{**regression["outputs"][0], "top1_agreement": 0.965}]}
    with pytest.raises(ConversionError, match=r"^custom_tinyml_min_agreement = 97: .* source model \(onnxruntime\) on only 96.5%"):
        check_agreement(classifier, defaults)
    float_check = {"cosine": 0.71, "samples": 10, "sample_source": "validation", "source_framework": "onnxruntime",
                   "outputs": [{"name": "y", "cosine": 0.71, "max_abs_error": 16.9}]}
    with pytest.raises(ConversionError, match=r"^custom_tinyml_min_float_cosine = 0.9999: .*output 'y' has cosine "
                                              r"similarity 0.710000 and max abs error 16.9"):
        check_float(float_check, defaults)
    check_float(float_check, parse_options({"custom_tinyml_min_float_cosine": "0.5"}, tmp_path))
    with pytest.raises(OptionError, match="min_float_cosine = 2"):
        parse_options({"custom_tinyml_min_float_cosine": "2"}, tmp_path)
    # Unset thresholds leave the conversion's cache key as it was.
    assert "min_float_cosine" not in defaults.conversion_settings()


def test_erf_is_rewritten_to_the_tanh_form_of_gelu():
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    from platformio_tinyml.convert.onnx_rewrite import rewrite_erf_to_tanh

    nodes = [helper.make_node("Div", ["x", "s2"], ["z"]), helper.make_node("Erf", ["z"], ["e"]),
             helper.make_node("Add", ["e", "one"], ["p"]), helper.make_node("Mul", ["x", "p"], ["q"]),
             helper.make_node("Mul", ["q", "half"], ["y"])]
    consts = [helper.make_tensor(n, TensorProto.FLOAT, [], [v]) for n, v in (("s2", 2 ** 0.5), ("one", 1.0), ("half", 0.5))]
    graph = helper.make_graph(nodes, "gelu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 200])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 200])], consts)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    x = np.linspace(-6, 6, 200, dtype=np.float32)[None]
    exact = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    rewritten, count = rewrite_erf_to_tanh(model)
    assert count == 1 and "Erf" not in {n.op_type for n in rewritten.graph.node}
    onnx.checker.check_model(rewritten)
    tanh_form = ort.InferenceSession(rewritten.SerializeToString()).run(None, {"x": x})[0]
    expected = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(tanh_form, expected, atol=1e-5)
    assert np.max(np.abs(tanh_form - exact)) < 1e-3


def _refused_before_conversion(tmp_path, data: bytes, error_type):
    from platformio_tinyml.pipeline import ModelJob, prepare_int8_model
    from platformio_tinyml.options import parse_options

    (tmp_path / "m.tflite").write_bytes(data)
    options = parse_options({"custom_tinyml_model": "m.tflite", "custom_tinyml_calibration": "random"}, tmp_path)
    lines = []
    with pytest.raises(error_type) as raised:
        prepare_int8_model(ModelJob(options, tmp_path, tmp_path / "build"), lines.append)
    assert not any("convert" in line for line in lines)  # no converter was started
    return str(raised.value)


def test_a_custom_op_is_named_not_sent_to_the_converter(tmp_path):
    from platformio_tinyml.engine.tflite_writer import OpSpec, TensorSpec, write_model

    tensors = [TensorSpec((1, 4), "float32", name="audio"), TensorSpec((1, 4), "float32", name="windowed")]
    data = write_model(tensors, [OpSpec("CUSTOM:SignalWindow", (0,), (1,), "NONE", {})], [0], [1])
    message = _refused_before_conversion(tmp_path, data, UnsupportedOpsError)
    assert message.startswith("m.tflite: runtime 'tinyml' does not implement 1 op(s) of this model:\n"
                              "  CUSTOM:SignalWindow: used once (operator 0); it touches 'audio', 'windowed'")


def test_a_model_with_int16_activations_is_used_as_it_is(tmp_path):
    """An int16x8 .tflite (int16 activations, int8 weights) goes to the engine, not the converter (the
    engine then names any op it has no int16 kernel for)."""
    from platformio_tinyml.engine.tflite_writer import OpSpec, TensorSpec, write_model
    from platformio_tinyml.options import parse_options
    from platformio_tinyml.pipeline import ModelJob, prepare_int8_model

    tensors = [TensorSpec((1, 4), "int16", (2.0 ** -12,), (0,), name="features"),
               TensorSpec((1, 4), "int16", (2.0 ** -15,), (0,), name="tanh")]
    (tmp_path / "m.tflite").write_bytes(write_model(tensors, [OpSpec("TANH", (0,), (1,), "NONE", {})], [0], [1]))
    options = parse_options({"custom_tinyml_model": "m.tflite"}, tmp_path)
    lines = []
    result = prepare_int8_model(ModelJob(options, tmp_path, tmp_path / "build"), lines.append)
    assert result.how == "int16x8 .tflite used as is" and not any("convert" in line for line in lines)
