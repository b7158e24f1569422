"""Sample files that cannot be samples, and model paths that cannot be read: one message naming
the option and the problem, never a traceback (issue 12)."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.convert.samples import load_samples
from platformio_tinyml.convert.source_format import detect_format

CALIBRATION, VALIDATION = "custom_tinyml_calibration", "custom_tinyml_validation"


def load(path, option=CALIBRATION):
    return load_samples("files", path.name, path, option, ["x"], [(1, 4)], path.parent)


def refusal(path, option=CALIBRATION) -> str:
    with pytest.raises(ConversionError) as raised:
        load(path, option)
    return str(raised.value)


def test_an_empty_npz_names_the_option(tmp_path):
    (tmp_path / "cal.npz").write_bytes(b"")
    assert refusal(tmp_path / "cal.npz") == (
        f"{CALIBRATION} = cal.npz: cal.npz is empty (0 bytes); save the samples with numpy.save or numpy.savez.")


@pytest.mark.parametrize("suffix", [".npz", ".npy"])
def test_a_truncated_file_names_the_option(tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    (np.savez if suffix == ".npz" else np.save)(whole, np.ones((8, 4), np.float32))
    cut = tmp_path / f"val{suffix}"
    cut.write_bytes(whole.read_bytes()[:100])
    message = refusal(cut, VALIDATION)
    assert message.startswith(f"{VALIDATION} = val{suffix}: ")
    assert "truncated or damaged" in message or "cannot read" in message, message


@pytest.mark.parametrize("value, counts", [(np.nan, "1 NaN and 0 infinite"), (np.inf, "0 NaN and 1 infinite"),
                                           (1e39, "0 NaN and 1 infinite")])
def test_nan_and_infinite_samples_are_refused_not_cast(tmp_path, value, counts):
    samples = np.ones((3, 4), np.float64)
    samples[2, 1] = value
    np.save(tmp_path / "val.npy", samples)
    assert refusal(tmp_path / "val.npy", VALIDATION) == (
        f"{VALIDATION} = val.npy: samples for input 'x' hold {counts} value(s) (or values beyond float32), "
        "the first in sample 2; give finite numbers.")


def test_complex_samples_are_refused(tmp_path):
    np.save(tmp_path / "cal.npy", np.ones((3, 4), np.complex64))
    assert refusal(tmp_path / "cal.npy") == (
        f"{CALIBRATION} = cal.npy: samples for input 'x' are complex64, not real numbers.")


def test_object_arrays_are_refused(tmp_path):
    np.save(tmp_path / "cal.npy", np.array([[1, 2, 3, "a"]] * 3, dtype=object), allow_pickle=True)
    message = refusal(tmp_path / "cal.npy")
    assert message.startswith(f"{CALIBRATION} = cal.npy: cannot read cal.npy as NumPy data (")


def test_finite_samples_still_load(tmp_path):
    np.save(tmp_path / "cal.npy", np.arange(12, dtype=np.float64).reshape(3, 4))
    assert load(tmp_path / "cal.npy")[0].dtype == np.float32


def test_a_fifo_or_a_device_as_the_model_is_not_missing(tmp_path):
    os.mkfifo(tmp_path / "model.tflite")
    with pytest.raises(ConversionError, match=r"model.tflite is not a regular file \(a named pipe\)"):
        detect_format(tmp_path / "model.tflite", "model.tflite")
    with pytest.raises(ConversionError, match=r"/dev/null is not a regular file \(a device\)"):
        detect_format(Path("/dev/null"), "/dev/null")


def test_an_unreadable_model_says_so(tmp_path):
    """Run as a user the file does not allow (root reads everything, so then as nobody)."""
    as_nobody = os.geteuid() == 0
    if as_nobody and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv to drop the privilege")
    folder = Path(tempfile.mkdtemp(dir="/tmp")) if as_nobody else tmp_path
    try:
        folder.chmod(0o755)
        model = folder / "model.tflite"
        model.write_bytes(b"\x00" * 16)
        model.chmod(0)
        check = ("from pathlib import Path; from platformio_tinyml.convert.source_format import detect_format; "
                 f"detect_format(Path({str(model)!r}), 'model.tflite')")
        command = [sys.executable, "-c", check]
        if as_nobody:
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        package = Path(__file__).resolve().parents[1] / "platformio_tinyml"
        if as_nobody:  # the checkout may sit in a folder only root can enter (a CI clone under mktemp)
            package = Path(shutil.copytree(package, folder / "lib" / package.name,
                                           ignore=shutil.ignore_patterns("__pycache__")))
        result = subprocess.run(command, capture_output=True, text=True, cwd="/",
                                env={**os.environ, "PYTHONPATH": str(package.parent)})
        assert (f"ConversionError: custom_tinyml_model = model.tflite: {model} cannot be read (Permission "
                "denied). Give the build's user read access to it.") in result.stderr
    finally:
        if as_nobody:
            shutil.rmtree(folder, ignore_errors=True)


def test_an_npz_of_samples_and_labels_feeds_a_single_input_whatever_its_name(tmp_path):
    """x and y: the one array that is not labels is the input's, named after it or not."""
    path = tmp_path / "data.npz"
    samples = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.savez(path, x=samples, y=np.array([0, 1, 2]))
    loaded = load_samples("files", path.name, path, CALIBRATION, ["serving_default_input_1:0"], [(1, 4)], tmp_path)
    assert np.array_equal(loaded[0], samples)
    np.savez(path, a=samples, b=samples)
    with pytest.raises(ConversionError, match="holds arrays a, b; name them after the model's inputs"):
        load_samples("files", path.name, path, CALIBRATION, ["x"], [(1, 4)], tmp_path)
