"""What ships: the wheel and the PlatformIO library export hold every file the build hook, runtime,
golden suite, boards and platform need, and a user project builds from the installed wheel alone
(its package folder is a PlatformIO library and holds the platform) in a fresh venv."""

import json
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

from conftest import REPO
from test_user_projects import ENTRY_RUNNER, GOLDEN_MAIN, passed, run

from platformio_tinyml.engine.tflite_writer import OpSpec, TensorSpec, write_model

PACKAGE = "platformio_tinyml"


def shipped_package_files() -> set[str]:
    """The package's files in git (sources, C, JSON), as they must appear in what ships."""
    listed = subprocess.run(["git", "ls-files", "-s", PACKAGE], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.splitlines()
    # Mode 120000: a symbolic link; none inside the package is meant to ship as one.
    return {line.split("\t", 1)[1] for line in listed if not line.startswith("120000")}


def build_wheel(folder) -> str:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
                           "-w", str(folder), str(REPO)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return str(next(folder.glob("platformio_tinyml-*.whl")))


def test_the_wheel_holds_every_file_of_the_package(tmp_path):
    names = set(zipfile.ZipFile(build_wheel(tmp_path)).namelist())
    missing = shipped_package_files() - names
    assert not missing, sorted(missing)
    for needed in ("runtime/src/tinyml_runtime.c", "runtime/include/tinyml_board.h", "golden_suite/tinyml_golden_test.c",
                   "platform/boards/corstone300.json", "platform/builder/main.py", "library.json", "extra_script.py"):
        assert f"{PACKAGE}/{needed}" in names


# `pio pkg pack`, whose manifest check downloads SPDX's licence list: offline, that one list is
# given (the licence the manifest names), the rest of PlatformIO's packer runs as it is.
PACK = """import sys
from platformio.package.manifest.schema import ManifestSchema
from platformio.package.pack import PackagePacker
ManifestSchema.load_spdx_licenses = staticmethod(lambda: {"licenses": [{"licenseId": "Apache-2.0"}]})
PackagePacker(sys.argv[1]).pack(sys.argv[2])
"""


def test_the_library_export_holds_every_file_of_the_package(tmp_path):
    done = subprocess.run([sys.executable, "-c", PACK, str(REPO), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with tarfile.open(next(tmp_path.glob("*.tar.gz"))) as archive:
        names = set(archive.getnames())
    missing = shipped_package_files() - names
    assert not missing, sorted(missing)
    assert "library.json" in names and not [n for n in names if n.startswith(("test/", "examples/", ".venv"))]


def test_a_project_builds_and_tests_from_the_installed_wheel(tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "platformio==6.2.0", "scons==4.11.1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    # Without its dependencies: PlatformIO's Python, plus the package and nothing else.
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", wheel],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    installed = subprocess.run([str(python), "-c", f"import {PACKAGE}, os; print(os.path.dirname({PACKAGE}.__file__))"],
                               capture_output=True, text=True, cwd=tmp_path).stdout.strip()
    assert installed.startswith(str(environment)), installed

    # A tiny int8 model, written without TensorFlow: y = relu(x).
    quant = {"scale": (0.05,), "zero_point": (-3,)}
    model = write_model([TensorSpec((1, 16), **quant, name="x"), TensorSpec((1, 16), **quant, name="y")],
                        [OpSpec("RELU", (0,), (1,))], inputs=(0,), outputs=(1,))
    project = tmp_path / "project"
    for name, text in {"platformio.ini": f"""[platformio]
platforms_dir = .pio/platforms

[env:host]
platform = symlink://{installed}/platform
board = native
lib_deps = symlink://{installed}
custom_tinyml_model = relu.tflite
test_framework = custom
""", "src/main.c": '#include "tinyml.h"\nint main(void) { return tinyml_init() || tinyml_invoke(); }\n',
                       "test/test_custom_runner.py": ENTRY_RUNNER.read_text(),
                       "test/test_tinyml_golden/test_main.c": GOLDEN_MAIN}.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    (project / "relu.tflite").write_bytes(model)
    pio = environment / "bin" / "pio"
    built = run(pio, project, "run")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    # The pipeline that ran is the installed one.
    result = json.loads((project / ".pio" / "build" / "host" / "tinyml" / "pipeline_result.json").read_text())
    assert result["library_root"] == str(Path(installed).parent)
    tested = run(pio, project, "test")
    assert passed(tested, 9, skipped=1), tested.stdout[-3000:] + tested.stderr[-2000:]
