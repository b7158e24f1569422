"""Shared fixtures: the repository layout, and throwaway PlatformIO projects on this platform."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLATFORM_DIR = REPO / "platformio_tinyml" / "platform"
# Third-party models, beside the checkout on the project's machines only.
MODELS_DIR = REPO.parent / "shared" / "models"
# PlatformIO loads this file itself for `pio test`; it holds no pytest tests.
collect_ignore = ["test_custom_runner.py"]


def pytest_addoption(parser):
    parser.addoption("--fuzz-mutants", type=int, default=300,
                     help="mutated models test_fuzz_models.py runs (scripts/fuzz_models runs 10,000)")
    parser.addoption("--fuzz-keep", default=None, help="folder for the mutants the fuzzer finds a defect with")


FIGURES = pytest.StashKey[list]()


@pytest.fixture
def figure(request):
    """figure(line): a measured figure, printed in the run's summary even when the test passes."""
    return request.config.stash.setdefault(FIGURES, []).append


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(FIGURES, []):
        terminalreporter.write_line(f"FIGURE {line}")


def shared_model_path(name: str) -> Path:
    """A model from ../shared/models, or a skip that says why it is missing."""
    if not MODELS_DIR.is_dir():
        pytest.skip("../shared/models not present (only on the project's machines)")
    return MODELS_DIR / name


def pio_executable() -> str:
    found = Path(sys.executable).with_name("pio")
    return str(found) if found.exists() else (shutil.which("pio") or "pio")


def run_pio(project: Path, *args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [pio_executable(), *args], cwd=project, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def make_project(tmp_path):
    """Writes a PlatformIO project using the repository's platform; returns its folder.

    files: {relative path: text}; envs: {env name: board}; extra: more [env] options."""

    def make(files: dict[str, str], envs: dict[str, str], extra: str = "") -> Path:
        project = tmp_path / "project"
        for name, text in files.items():
            path = project / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        sections = "".join(f"\n[env:{name}]\nboard = {board}\n" for name, board in envs.items())
        (project / "platformio.ini").write_text(
            "[platformio]\nplatforms_dir = .pio/platforms\n\n"
            f"[env]\nplatform = symlink://{PLATFORM_DIR}\n{extra}\n{sections}"
        )
        return project

    return make
