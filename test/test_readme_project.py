"""A user project made from the README's snippets alone: its "A model in the firmware" platformio.ini
(only the library's path filled in), its minimal src/main.c, the golden suite and test runner it
says to add, and a float ONNX model of the tests where the snippet names models/kws.onnx. `pio run`,
`pio run -t exec` and `pio test` must work on it with no other line."""

import re
import shutil

import numpy as np
from conftest import REPO, run_pio
from model_fixtures import conversion_cache, float_models, requires_tensorflow

README = (REPO / "README.md").read_text(encoding="utf-8")
ENTRY_RUNNER = REPO / "platformio_tinyml" / "pio_test_entry.py"
GOLDEN_MAIN = '#include "tinyml_golden_test.c"'


def snippet(after: str, language: str) -> str:
    """The first ```language block of the README after the text `after`."""
    start = README.index(after)
    match = re.compile(rf"^```{language}\n(.*?)^```$", re.M | re.S).search(README, start)
    return match[1]


@requires_tensorflow
def test_a_project_of_the_readmes_snippets_builds_runs_and_passes_its_golden_test(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    models = float_models(base)
    project = tmp_path_factory.mktemp("readme-project")
    ini = snippet("## A model in the firmware", "ini").replace("path/to/platformio-tinyml", str(REPO))
    (project / "platformio.ini").write_text(ini)
    (project / "src").mkdir()
    (project / "src" / "main.c").write_text(snippet("A minimal `src/main.c`", "c"))
    # What the README says to add for `pio test`, in its words.
    assert "copy [`platformio_tinyml/pio_test_entry.py`]" in README and f"`{GOLDEN_MAIN}`" in README
    (project / "test" / "test_tinyml_golden").mkdir(parents=True)
    shutil.copyfile(ENTRY_RUNNER, project / "test" / "test_custom_runner.py")
    (project / "test" / "test_tinyml_golden" / "test_main.c").write_text(GOLDEN_MAIN + "\n")
    # The files the snippet names: a classifier ONNX model and its calibration samples.
    (project / "models").mkdir()
    shutil.copyfile(models / "mlp.onnx", project / "models" / "kws.onnx")
    (project / "data").mkdir()
    np.savez(project / "data" / "calibration.npz", x=np.load(models / "mlp_calibration.npy"))
    env = {"PLATFORMIO_TINYML_CACHE_DIR": str(conversion_cache(base))}

    built = run_pio(project, "run", env=env, timeout=1200)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    ran = run_pio(project, "run", "-t", "exec", env=env)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert re.search(r"^class \d \S*: score \d+/1000$", ran.stdout, re.M), ran.stdout[-3000:]
    tested = run_pio(project, "test", env=env, timeout=1200)
    assert re.search(r"^m55\s+test_tinyml_golden\s+PASSED", tested.stdout, re.M), tested.stdout[-3000:]
