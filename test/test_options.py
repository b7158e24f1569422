"""custom_tinyml_* options: parsed and checked without PlatformIO."""

from pathlib import Path

import pytest

from platformio_tinyml.options import OptionError, parse_options

PROJECT = Path("/project")


def parse(**raw):
    return parse_options({f"custom_tinyml_{k}": v for k, v in raw.items()}, PROJECT)


def error_of(**raw) -> str:
    with pytest.raises(OptionError) as error:
        parse(**raw)
    return str(error.value)


def test_defaults_and_no_model_means_nothing_to_do():
    options = parse()
    assert options.model is None and options.calibration is None and options.validation is None
    assert (options.quantization, options.runtime, options.arena_size, options.min_agreement) == ("int8", "tinyml", None, None)


def test_paths_are_relative_to_the_project_folder():
    options = parse(model="models/kws.onnx", calibration="data/cal.npz", validation="/abs/held_out")
    assert options.model == PROJECT / "models/kws.onnx"
    assert (options.calibration.kind, options.calibration.path) == ("files", PROJECT / "data/cal.npz")
    assert options.validation.path == Path("/abs/held_out")


def test_sample_sources_function_and_random():
    assert parse(calibration="my_data.samples:load").calibration.kind == "function"
    assert parse(calibration="random").calibration.kind == "random"
    assert "held-out samples cannot be random" in error_of(validation="random")
    assert "custom_tinyml_calibration = data.csv" in error_of(calibration="data.csv")


def test_input_shapes_single_and_named():
    assert parse(input_shape="1,49,10,1").input_shapes == ((None, (1, 49, 10, 1)),)
    assert parse(input_shape="audio=1,49,10,1; flags=1x4").input_shapes == (("audio", (1, 49, 10, 1)), ("flags", (1, 4)))


@pytest.mark.parametrize("text, says", [
    ("2,49,10", "batch) dimension must be 1"),
    ("1,-1,10", "fixed number of at least 1"),
    ("1,a,10", "'1,a,10' is not a list of whole numbers"),
    ("1,4; 1,5", "name each one"),
])
def test_bad_input_shapes_say_what_to_write(text, says):
    message = error_of(input_shape=text)
    assert message.startswith(f"custom_tinyml_input_shape = {text}:") and says in message


def test_quantization_is_int8_or_int16x8():
    assert "write one of int8, int16x8" in error_of(quantization="float16")
    assert "custom_tinyml_runtime = tflm: write one of tinyml" in error_of(runtime="tflm")


def test_arena_size():
    assert parse(arena_size="32768").arena_size == 32768
    assert parse(arena_size="48K").arena_size == 48 * 1024
    assert parse(arena_size="1 MiB").arena_size == 1 << 20
    assert "e.g. 32768 or 32K" in error_of(arena_size="lots")
    assert "custom_tinyml_arena_size = 0" in error_of(arena_size="0")


def test_min_agreement_is_a_percentage():
    assert parse(min_agreement="97").min_agreement == 97
    assert parse(min_agreement="99.5%").min_agreement == 99.5
    assert "for 97% write 97" in error_of(min_agreement="0.97")
    assert "between 0 and 100" in error_of(min_agreement="150")


def test_a_misspelt_option_is_named_with_a_suggestion():
    message = error_of(calibraton="data.npz")
    assert message.startswith("custom_tinyml_calibraton is not an option") and "Did you mean custom_tinyml_calibration?" in message


def test_platform_options_and_other_keys_are_not_ours_to_refuse():
    options = parse_options({"custom_tinyml_emulator_timeout": "5", "board": "native", "custom_other": "x"}, PROJECT)
    assert options.model is None


def test_multi_line_values_and_what_the_cache_key_and_comment_see():
    options = parse_options({"custom_tinyml_model": ["models/kws.onnx"], "custom_tinyml_calibration": "cal.npz"}, PROJECT)
    assert options.model_text == "models/kws.onnx"
    assert options.conversion_settings() == {"input_shapes": [], "quantization": "int8",
                                             "calibration": "cal.npz", "validation": None}
    assert options.summary() == ("custom_tinyml_model = models/kws.onnx; custom_tinyml_calibration = cal.npz; "
                                 "custom_tinyml_quantization = int8; custom_tinyml_runtime = tinyml")
    assert options.written == {"custom_tinyml_model": "models/kws.onnx", "custom_tinyml_calibration": "cal.npz"}


def test_labels_from_a_list_or_a_file(tmp_path):
    assert parse(model="m.tflite", labels="yes, no ,unknown").labels == ("yes", "no", "unknown")
    (tmp_path / "classes.txt").write_text("cat\n\n  dog \nbird\n", encoding="utf-8")
    from_file = parse_options({"custom_tinyml_model": "m.tflite", "custom_tinyml_labels": "classes.txt"}, tmp_path)
    assert from_file.labels == ("cat", "dog", "bird") and from_file.labels_file == tmp_path / "classes.txt"
    assert parse(model="m.tflite").labels == ()


@pytest.mark.parametrize("text, says", [
    ("yes,,no", "custom_tinyml_labels = yes,,no: an empty label"),
    ("missing.txt", "custom_tinyml_labels = missing.txt: "),
])
def test_bad_labels_say_what_to_write(text, says):
    assert error_of(model="m.tflite", labels=text).startswith(says)


def test_labels_must_name_every_class_of_output_0(tmp_path):
    from platformio_tinyml.graph import read_model
    from platformio_tinyml.pipeline import check_labels
    from small_models import classifier

    model = read_model(classifier(), "m.tflite")
    check_labels(model, parse(model="m.tflite", labels="a, b, c, d"))
    with pytest.raises(OptionError) as error:
        check_labels(model, parse(model="m.tflite", labels="a, b, c"))
    assert str(error.value) == ("custom_tinyml_labels: 3 labels (a, b, c), but output 0 'probabilities' of m.tflite "
                                "has 4 classes (its shape is [1, 4]). Give one label per class, in class order.")
