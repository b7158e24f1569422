"""`tinyml convert MODEL ...`: the build's conversion path and report lines, outside PlatformIO."""

import json
import subprocess
import sys

import pytest
from conftest import REPO
from model_fixtures import float_models, requires_tensorflow


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return float_models(tmp_path_factory.getbasetemp())


def tinyml(*args, cwd, env, corruption=None):
    driver = [str(REPO / "test" / "fixtures" / "corrupt_float_tflite.py"), corruption] if corruption else []
    return subprocess.run([sys.executable, *driver, "-m", "platformio_tinyml.cli", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True)


@requires_tensorflow
def test_convert_writes_the_int8_model_and_report_and_fails_below_thresholds(models, tmp_path):
    import os

    env = {**os.environ, "PLATFORMIO_TINYML_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    out = tmp_path / "out"
    done = tinyml("convert", models / "mlp.onnx", "--calibration", models / "mlp_calibration.npy",
                  "--min-agreement", "90", "--out", out, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "tinyml: float TFLite vs onnxruntime on 32 calibration samples: cosine" in done.stdout
    assert "tinyml: int8 vs onnxruntime on 32 calibration samples: top-1 agreement" in done.stdout
    assert (out / "model.tflite").read_bytes()[4:8] == b"TFL3"
    assert json.loads((out / "conversion_report.json").read_text())["float_check"]["cosine"] >= 0.9999

    # A conversion whose float TFLite is wrong (a weight negated): non-zero, the numbers named. The
    # CLI runs through fixtures/corrupt_float_tflite.py, which converts in its own process with the
    # float TFLite changed before it is checked.
    env["PLATFORMIO_TINYML_CACHE_DIR"] = str(tmp_path / "cache2")
    failed = tinyml("convert", models / "mlp.onnx", "--calibration", models / "mlp_calibration.npy",
                    "--out", tmp_path / "out2", cwd=tmp_path, env=env, corruption="negate_largest_weights")
    assert failed.returncode == 1
    assert "Error: custom_tinyml_min_float_cosine = 0.9999: the converted float model" in failed.stderr
    assert "tinyml: float TFLite vs onnxruntime" in failed.stdout
