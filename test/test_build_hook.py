"""`pio run` in throwaway projects that use this repository as a library (lib_deps = symlink://):
the generated model sources compile for the Cortex-M4 and M55 boards, a warm build is quick and
starts no TensorFlow, and every bad input stops the build with one clear error, leaving the
previous good output as it was and no partial one."""

import itertools
import re
import shutil
import subprocess
import time

import pytest
from conftest import REPO, pio_executable, run_pio, shared_model_path
from model_fixtures import conversion_cache, float_models, requires_tensorflow

from platformio_tinyml.pipeline import check_agreement
from platformio_tinyml.engine import supported_ops
from platformio_tinyml.engine.tflite_writer import OpSpec, TensorSpec, write_model
from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.options import parse_options

MAIN_C = """#include <stdio.h>
#include "tinyml_model.h"

int main(void) {
    printf("model %u bytes, input %d elements\\n", (unsigned)TINYML_MODEL_SIZE, (int)TINYML_INPUT0_ELEMENTS);
    return tinyml_model_data[4] == 'T' ? 0 : 1;
}
"""
GENERATED = ("tinyml_model.c", "tinyml_model.h")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return float_models(tmp_path_factory.getbasetemp())


@pytest.fixture
def cache_env(tmp_path_factory):
    return {"PLATFORMIO_TINYML_CACHE_DIR": str(conversion_cache(tmp_path_factory.getbasetemp()))}


def options_text(**options) -> str:
    return f"lib_deps = symlink://{REPO}\n" + "".join(f"custom_tinyml_{k} = {v}\n" for k, v in options.items())


def set_options(project, **options):
    ini = project / "platformio.ini"
    text = re.sub(r"lib_deps = .*?\n(custom_tinyml_.*\n)*", "", ini.read_text())
    ini.write_text(text.replace("[env]\n", "[env]\n" + options_text(**options)))


def generated(project, env):
    folder = project / ".pio" / "build" / env / "tinyml" / "generated"
    return {name: (folder / name).read_bytes() for name in GENERATED if (folder / name).exists()}


def hook_seconds(output: str) -> list[float]:
    return [float(s) for s in re.findall(r"tinyml: model ready, .*\((\d+\.\d+) s in all\)", output)]


@requires_tensorflow
def test_converted_and_shared_models_compile_for_cortex_m4_and_m55(make_project, models, cache_env, tmp_path):
    project = make_project({"src/main.c": MAIN_C}, {"m4": "nrf52840", "m55": "corstone300"},
                           options_text(model=models / "mlp.onnx", calibration=models / "mlp_calibration.npy"))
    start = time.perf_counter()
    cold = run_pio(project, "run", env=cache_env)
    cold_s = time.perf_counter() - start
    assert cold.returncode == 0, cold.stdout[-4000:] + cold.stderr[-2000:]
    assert cold.stdout.count("Linking .pio/build/") == 2
    for env in ("m4", "m55"):
        assert b"custom_tinyml_model = " in generated(project, env)["tinyml_model.h"]
        built = [str(p.relative_to(project)) for p in (project / ".pio" / "build" / env).rglob("*.o")]
        assert any(p.endswith("tinyml/build/tinyml_model.o") for p in built)
        # The library's sources are platformio_tinyml/runtime/src only: never test/ or examples/.
        assert not [p for p in built if "test_" in p or "hello_emulator" in p], built

    # Warm: nothing changed, so no conversion subprocess (it would rewrite conversion.log).
    for env in ("m4", "m55"):
        (project / ".pio" / "build" / env / "tinyml" / "conversion.log").unlink(missing_ok=True)
    start = time.perf_counter()
    warm = run_pio(project, "run", env=cache_env)
    warm_s = time.perf_counter() - start
    assert warm.returncode == 0 and warm.stdout.count("nothing changed since the last build") == 2
    assert not list((project / ".pio" / "build").rglob("conversion.log"))
    assert "Compiling" not in warm.stdout and "Linking" not in warm.stdout
    assert max(hook_seconds(warm.stdout)) < 1

    # The same project without the library: what the hook adds to a warm build.
    baseline = tmp_path / "baseline"
    shutil.copytree(project / "src", baseline / "src")
    (baseline / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    (baseline / "platformio.ini").write_text(re.sub(r"lib_deps = .*?\n(custom_tinyml_.*\n)*", "",
                                                    (project / "platformio.ini").read_text()))
    assert run_pio(baseline, "run", env=cache_env).returncode == 0
    start = time.perf_counter()
    assert run_pio(baseline, "run", env=cache_env).returncode == 0
    baseline_s = time.perf_counter() - start
    assert warm_s - baseline_s < 2  # two environments, each under 1 s
    print(f"\nFIGURE pio run, 2 envs, mlp.onnx: cold {cold_s:.1f} s, warm {warm_s:.1f} s, "
          f"without the library {baseline_s:.1f} s, hook {hook_seconds(warm.stdout)} s")

    set_options(project, model=shared_model_path("kws_ref_model.tflite"))
    shared = run_pio(project, "run", env=cache_env)
    assert shared.returncode == 0, shared.stdout[-3000:]
    assert "int8 .tflite used as is" in shared.stdout and shared.stdout.count("Linking") == 2


def _assert_stops_cleanly(result, says):
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    for text in says:
        assert text in output, output[-3000:]
    return output


def _no_partial_output(project):
    build = project / ".pio" / "build"
    assert not [p for p in build.rglob("*tinyml_model.*") if p.suffix in (".c", ".h")]


# The model is swapped under a fixed platformio.ini: PlatformIO empties an environment's build
# folder itself whenever platformio.ini changes, so only this case has a previous output to keep.
@pytest.mark.parametrize("case, says", [
    ("missing", ["custom_tinyml_model = models/model.bin", "does not exist"]),
    ("not-a-model", ["custom_tinyml_model = models/model.bin", "is neither ONNX, TFLite nor Keras"]),
    ("truncated", ["models/model.bin: truncated or corrupt TFLite file"]),
    ("float-without-calibration", ["custom_tinyml_model = models/model.bin is a float model",
                                   "Set custom_tinyml_calibration"]),
])
def test_a_bad_model_file_stops_the_build_and_keeps_the_good_output(make_project, cache_env, models, case, says):
    project = make_project({"src/main.c": MAIN_C}, {"built": "native", "fresh": "native"},
                           options_text(model="models/model.bin"))
    model = project / "models" / "model.bin"
    model.parent.mkdir()
    shutil.copyfile(shared_model_path("hello_world_int8.tflite"), model)
    first = run_pio(project, "run", "-e", "built", env=cache_env)
    assert first.returncode == 0, first.stdout[-3000:]
    good = generated(project, "built")
    assert set(good) == set(GENERATED)

    kws = shared_model_path("kws_ref_model.tflite").read_bytes()
    {"missing": lambda: model.unlink(),
     "not-a-model": lambda: model.write_text("not a model"),
     "truncated": lambda: model.write_bytes(kws[: len(kws) // 3]),
     "float-without-calibration": lambda: shutil.copyfile(models / "dense_float.tflite", model)}[case]()
    output = _assert_stops_cleanly(run_pio(project, "run", env=cache_env), says)
    assert output.count("Error: ") == 2  # once per environment, nothing else
    assert generated(project, "built") == good
    assert generated(project, "fresh") == {}


def _project_with_options(make_project, **options):
    return make_project({"src/main.c": MAIN_C}, {"native": "native"}, options_text(**options))


@pytest.mark.parametrize("options, says", [
    ({"model": "m.tflite", "quantization": "int4"},
     ["custom_tinyml_quantization = int4: write one of int8, int16x8"]),
    ({"model": "m.tflite", "modle": "y"}, ["custom_tinyml_modle is not an option", "Did you mean custom_tinyml_model?"]),
    ({"model": "m.tflite", "input_shape": "4,10"}, ["custom_tinyml_input_shape = 4,10: the first (batch) dimension must be 1"]),
], ids=["int4", "misspelt-option", "batch-4"])
def test_a_bad_option_stops_the_build(make_project, cache_env, options, says):
    project = _project_with_options(make_project, **options)
    _assert_stops_cleanly(run_pio(project, "run", env=cache_env), says)
    _no_partial_output(project)


def test_a_model_option_without_the_library_says_to_add_it(make_project, tmp_path):
    (tmp_path / "m.tflite").write_bytes(shared_model_path("hello_world_int8.tflite").read_bytes())
    project = make_project({"src/main.c": MAIN_C}, {"native": "native"}, f"custom_tinyml_model = {tmp_path / 'm.tflite'}\n")
    output = _assert_stops_cleanly(run_pio(project, "run"), [
        "[env:native] custom_tinyml_model is set, but platformio-tinyml is not among the environment's lib_deps"])
    assert "tinyml.h: No such file" not in output


def test_pio_test_without_the_custom_framework_stops_before_fetching_unity(make_project):
    golden = {"test/test_tinyml_golden/test_main.c": '#include "tinyml_golden_test.c"\n', "src/main.c": MAIN_C}
    project = make_project(golden, {"native": "native"}, options_text(model="m.tflite"))
    says = "[env:native] test_framework = unity (PlatformIO default): platformio-tinyml's tests run in an emulator"
    output = _assert_stops_cleanly(run_pio(project, "test", timeout=30), [f"Error: {says}"])
    assert "Installing throwtheswitch/Unity" not in output
    # `pio run` installs the test framework too when test/ has suites: it warns before it waits
    # (offline, a minute for the registry to fail), so the wait is not read to its end.
    with subprocess.Popen([pio_executable(), "run"], cwd=project, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as running:
        try:
            before_install = list(itertools.takewhile(lambda line: "Installing" not in line, running.stdout))
        finally:
            running.kill()
    assert f"Warning: {says}" in "".join(before_install)


@requires_tensorflow
@pytest.mark.parametrize("case, says", [
    ("wrong-shape-calibration", ["custom_tinyml_calibration = ", "have shape 32x8x16", "input is 1x20"]),
    ("onnx2tf-fails", ["custom.onnx: onnx2tf cannot convert it to TensorFlow: FancyOp OP is not yet implemented"]),
])
def test_a_model_the_converters_refuse_stops_the_build(make_project, cache_env, models, case, says):
    options = {
        "wrong-shape-calibration": {"model": models / "dense_float.tflite",
                                    "calibration": models / "transformer_calibration.npy"},
        "onnx2tf-fails": {"model": "custom.onnx", "calibration": "random"},
    }[case]
    project = _project_with_options(make_project, **options)
    if case == "onnx2tf-fails":
        _custom_op_onnx(project)
    _assert_stops_cleanly(run_pio(project, "run", env=cache_env), says)
    _no_partial_output(project)


def test_ops_the_runtime_lacks_stop_the_build_before_any_c_is_compiled(make_project, cache_env, tmp_path):
    # An int8 model with two LOG_SOFTMAX ops, which the engine does not implement, between
    # supported ones.
    quant = {"scale": (0.1,), "zero_point": (0,)}
    tensors = [TensorSpec((1, 8), **quant, name=name) for name in ("x", "a", "b", "c")]
    ops = [OpSpec("LOG_SOFTMAX", (0,), (1,)), OpSpec("RELU", (1,), (2,)), OpSpec("LOG_SOFTMAX", (2,), (3,))]
    model = tmp_path / "log_softmax.tflite"
    model.write_bytes(write_model(tensors, ops, inputs=(0,), outputs=(3,)))
    assert "LOG_SOFTMAX" not in supported_ops()
    project = _project_with_options(make_project, model=model)
    output = _assert_stops_cleanly(run_pio(project, "run", env=cache_env),
                                   [f"{model}: runtime 'tinyml' does not implement", "LOG_SOFTMAX: used 2 times"])
    assert "Compiling" not in output
    _no_partial_output(project)


def _custom_op_onnx(project):
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("FancyOp", ["x"], ["y"], domain="com.example")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    path = project / "custom.onnx"
    project.mkdir(exist_ok=True)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                      helper.make_opsetid("com.example", 1)]), path)
    return path


def test_min_agreement_fails_below_the_threshold(tmp_path):
    accuracy = {"top1_agreement": 0.9, "samples": 50, "sample_source": "validation", "snr_db": 18.2}
    check_agreement(accuracy, parse_options({"custom_tinyml_min_agreement": "90"}, tmp_path))
    with pytest.raises(ConversionError) as error:
        check_agreement(accuracy, parse_options({"custom_tinyml_min_agreement": "95"}, tmp_path))
    assert str(error.value).startswith("custom_tinyml_min_agreement = 95: the int8 model agrees with the "
                                       "float one on only 90.0% of 50 validation samples (SNR 18.2 dB)")
