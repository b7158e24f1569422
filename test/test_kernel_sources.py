"""Only the CMSIS-NN files a build reaches are compiled: the scan of definitions and uses, on small
C files and on the installed CMSIS-NN with a real engine."""

from pathlib import Path

from conftest import shared_model_path

from platformio_tinyml.engine import generate_engine
from platformio_tinyml.graph import read_model
from platformio_tinyml.kernel_sources import needed_sources, user_sources
from platformio_tinyml.offline_setup import cmsis_nn_sources

RUNTIME_SOURCES = Path(__file__).resolve().parents[1] / "platformio_tinyml" / "runtime" / "src"


def _write(folder: Path, texts: dict) -> None:
    for name, text in texts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_a_file_is_needed_when_something_needed_uses_what_it_defines(tmp_path):
    library, project = tmp_path / "library", tmp_path / "project"
    _write(library, {
        "Conv/conv.c": "int helper(int x);\nint conv(int x)\n{\n    return helper(x) + 1;\n}\n",
        "Support/helper.c": "static void __attribute__((unused)) spare(void) {}\n"
                            "int helper(int x) { return x * (int)table[0]; }\n",
        "Support/tables.c": "const short table[4] = {1, 2, 3, 4};\n",
        "Lstm/lstm.c": "/* conv(x) in a comment is no use */\nint lstm(int x)\n{\n    return x;\n}\n",
        "Svdf/svdf.c": "int conv(int x);\nint svdf(int x) { return x; }\n",  # a prototype defines nothing
    })
    _write(project, {"main.c": "int conv(int x);\nint main(void) { return conv(2); }\n",
                     "notes.txt": "lstm(1) svdf(1)\n"})
    needed = needed_sources(library, user_sources(project))
    assert [path.relative_to(library).as_posix() for path in needed] == [
        "Conv/conv.c", "Support/helper.c", "Support/tables.c"]
    assert needed_sources(library, user_sources(tmp_path / "no such folder")) == []


def test_the_keyword_spotter_compiles_its_kernels_and_nothing_of_lstm_svdf_s16_or_s4(tmp_path):
    data = shared_model_path("kws_ref_model.tflite").read_bytes()
    engine = generate_engine(read_model(data, "kws_ref_model.tflite"), data, tmp_path, "cortex-m55")
    kernels = cmsis_nn_sources(lambda line: None) / "Source"
    names = {path.name for path in needed_sources(kernels, user_sources(tmp_path, RUNTIME_SOURCES))}
    assert {f"{kernel}.c" for kernel in engine.kernels if kernel.startswith("arm_")} <= names
    assert "arm_nn_mat_mult_nt_t_s8.c" in names  # called by those
    assert not {name for name in names if "depthwise" in name}  # our own depthwise kernel runs on Helium
    int16_or_int4 = ("_s16.c", "_s4.c", "_s4_fast.c", "_s4_opt.c")
    assert not {name for name in names if "lstm" in name or "svdf" in name or
                (name.endswith(int16_or_int4) and not name.endswith("_s8_s16.c"))}
    assert len(names) < 20
