"""Dynamic input dimensions fixed without TensorFlow: the batch to 1, the others from the
calibration samples' shape unless custom_tinyml_input_shape sets them, else one clear error."""

import numpy as np
import pytest

from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.convert.samples import sample_array_shapes
from platformio_tinyml.convert.static_shapes import DimensionFixes, static_input_shapes
from platformio_tinyml.options import SampleSource

SEQUENCE_MODEL = [("x", ("batch", "sequence", 32))]


def fixes_from(*sample_shapes):
    """DimensionFixes whose samples have `sample_shapes` (None: random), and the lines emitted."""
    lines = []
    asked = []

    def shapes(names):
        asked.append(names)
        return None if sample_shapes == (None,) else list(sample_shapes)

    return DimensionFixes(shapes, lines.append), lines, asked


def test_a_named_dimension_is_taken_from_the_samples_shape():
    fixes, lines, _ = fixes_from((100, 16, 32))
    assert static_input_shapes(SEQUENCE_MODEL, (), fixes) == [(1, 16, 32)]
    assert lines == ["tinyml: input 'x': dynamic dimension 'sequence' (axis 1) fixed to 16 from the "
                     "calibration samples; set custom_tinyml_input_shape to choose another size"]
    assert fixes.fixed == [
        {"input": "x", "axis": 0, "name": "batch", "size": 1, "from": "batch"},
        {"input": "x", "axis": 1, "name": "sequence", "size": 16, "from": "calibration samples"},
    ]


def test_samples_with_a_batch_axis_of_one_per_sample_fix_it_too():
    fixes, _, _ = fixes_from((100, 1, 16, 32))
    assert static_input_shapes(SEQUENCE_MODEL, (), fixes) == [(1, 16, 32)]


def test_an_unnamed_dimension_is_named_by_its_axis():
    fixes, lines, _ = fixes_from((8, 5, 3))
    assert static_input_shapes([("tokens", (None, None, 3))], (), fixes) == [(1, 5, 3)]
    assert "dynamic dimension at axis 1 fixed to 5" in lines[0]
    assert fixes.fixed[1]["name"] is None


def test_only_the_batch_fixed_asks_nothing_of_the_samples():
    fixes, lines, asked = fixes_from((100, 7))
    assert static_input_shapes([("x", ("batch", 8, 16))], (), fixes) == [(1, 8, 16)]
    assert asked == [] and lines == []
    assert fixes.fixed == [{"input": "x", "axis": 0, "name": "batch", "size": 1, "from": "batch"}]


def test_random_samples_cannot_fix_it():
    fixes, _, _ = fixes_from(None)
    with pytest.raises(ConversionError) as error:
        static_input_shapes(SEQUENCE_MODEL, (), fixes)
    assert str(error.value) == (
        "input 'x' has dynamic dimensions (batch x sequence x 32): dimension 'sequence' (axis 1) must "
        "be fixed: set custom_tinyml_input_shape = 1,N,32 with N the size you use (or give calibration "
        "samples of shape (samples, N, 32), which fix it).")


def test_samples_of_another_rank_cannot_fix_it():
    fixes, _, _ = fixes_from((100, 32))
    with pytest.raises(ConversionError) as error:
        static_input_shapes(SEQUENCE_MODEL, (), fixes)
    assert "dimension 'sequence' (axis 1) must be fixed" in str(error.value)
    assert str(error.value).endswith("(or give calibration samples of shape (samples, N, 32), which "
                                     "fix it; those given are 100 x 32).")


def test_without_samples_consulted_the_error_names_only_the_option():
    with pytest.raises(ConversionError) as error:
        static_input_shapes([("a", (None, 4)), ("b", (None, "h", "w"))], ())
    assert str(error.value) == (
        "input 'b' has dynamic dimensions (? x h x w): dimensions 'h' (axis 1) and 'w' (axis 2) must "
        "be fixed: set custom_tinyml_input_shape = b=1,N1,N2 with N1, N2 the sizes you use.")


def test_the_option_wins_over_the_samples():
    fixes, lines, asked = fixes_from((100, 16, 32))
    assert static_input_shapes(SEQUENCE_MODEL, ((None, (1, 12, 32)),), fixes) == [(1, 12, 32)]
    assert asked == [] and lines == [] and fixes.fixed == []


def test_each_input_takes_its_own_samples():
    fixes, lines, asked = fixes_from((10, 4), (10, 6, 2))
    declared = [("a", ("batch", 4)), ("b", ("batch", "steps", 2))]
    assert static_input_shapes(declared, (), fixes) == [(1, 4), (1, 6, 2)]
    assert asked == [["a", "b"]] and len(lines) == 1 and "input 'b'" in lines[0]


def test_samples_that_disagree_on_a_fixed_size_are_left_to_their_own_check():
    fixes, _, _ = fixes_from((100, 16, 30))
    assert static_input_shapes(SEQUENCE_MODEL, (), fixes) == [(1, 16, 32)]


def test_sample_array_shapes_read_files_and_functions_but_not_random(tmp_path):
    np.savez(tmp_path / "cal.npz", b=np.zeros((3, 6, 2)), a=np.zeros((3, 4)))
    (tmp_path / "static_shapes_samples.py").write_text("import numpy as np\ndef make():\n    return [np.zeros((2, 5))] * 3\n")
    option = "custom_tinyml_calibration"
    files = SampleSource("files", "cal.npz", tmp_path / "cal.npz")
    assert sample_array_shapes(files, option, ["a", "b"], tmp_path) == [(3, 4), (3, 6, 2)]
    assert sample_array_shapes(SampleSource("function", "static_shapes_samples:make"), option, ["x"], tmp_path) == [(3, 2, 5)]
    assert sample_array_shapes(SampleSource("random", "random"), option, ["x"], tmp_path) is None
