"""A failing build leaves the last good build's files byte for byte as they were (issue 12): a
good build, then a build that fails at each stage in turn, once by a real bad input where one
exists and once by a stage that does all its work (writing its files) and then fails; after each,
every file under the build's tinyml folder is unchanged and no staging folder is left behind."""

from pathlib import Path

import pytest

from platformio_tinyml import pipeline
from platformio_tinyml.budget import BudgetError
from platformio_tinyml.convert.errors import ConversionError
from platformio_tinyml.engine import UnsupportedModelError
from platformio_tinyml.graph import ModelFormatError
from platformio_tinyml.isolated_reference import ReferenceError
from platformio_tinyml.op_check import UnsupportedOpsError
from platformio_tinyml.options import OptionError
from small_models import classifier

M55 = {"board_id": "corstone300", "core": "cortex-m55", "ram": 4 * 1024 * 1024, "flash": 512 * 1024,
       "flash_what": "flash", "stack_reserve": 8192, "stack_reserve_source": "the board"}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "m.tflite").write_bytes(classifier())
    return tmp_path


def build(project: Path, board: dict | None = None, **options) -> None:
    raw = {"model": "m.tflite", "embed_samples": "4", **options}
    pipeline.run({"options": {f"custom_tinyml_{key}": value for key, value in raw.items()},
                  "project_dir": str(project), "work_dir": str(project / "tinyml"), "board": {**M55, **(board or {})},
                  "golden": True},
                 lambda line: None)


def snapshot(project: Path) -> dict[str, bytes]:
    work = project / "tinyml"
    return {str(path.relative_to(work)): path.read_bytes() for path in sorted(work.rglob("*")) if path.is_file()}


@pytest.fixture
def good(project):
    build(project)
    files = snapshot(project)
    assert {"generated/tinyml_model.c", "generated/tinyml_engine.c", "generated/tinyml_samples.h",
            "generated/tinyml_golden_data.h", "model.tflite", "engine_report.json"} <= set(files)
    return files


def _set(project: Path, name: str, data: bytes) -> None:
    (project / name).write_bytes(data)


def _model(**how):
    return lambda project: _set(project, "m.tflite", classifier(**how))


# A real bad input for each stage it can come from: (what changes, options, board, the error, its words).
REAL_FAILURES = {
    "options": (None, {"arena_size": "lots"}, None, OptionError, "custom_tinyml_arena_size = lots"),
    "model file": (lambda p: _set(p, "m.tflite", classifier()[:300]), {}, None, ModelFormatError,
                   "truncated or corrupt TFLite file"),
    "validator": (_model(input_scale=0.0), {}, None, ModelFormatError, "has quantization scale 0.0"),
    "conversion": (_model(dtype="float32"), {}, None, ConversionError, "is a float model"),
    "op check": (_model(extra_op="SIGN"), {}, None, UnsupportedOpsError, "SIGN: used once"),
    "reference": (_model(input_scale=1e18), {}, None, ReferenceError,
                  "TFLite Micro said: scale_diff / output_scale <= 0.02 was not true. Node FULLY_CONNECTED"),
    "schedule": (None, {}, {"core": "z80"}, UnsupportedModelError, "board build.cpu"),
    "budget": (None, {"arena_size": "16"}, None, BudgetError, "custom_tinyml_arena_size = 16 B"),
    "embedded samples": (lambda p: _set(p, "empty.npz", b""), {"validation": "empty.npz"}, None, ConversionError,
                         "custom_tinyml_validation = empty.npz"),
}


@pytest.mark.parametrize("stage", list(REAL_FAILURES))
def test_a_real_failure_at_each_stage_keeps_the_last_good_files(project, good, stage):
    change, options, board, error, words = REAL_FAILURES[stage]
    if change:
        change(project)
    with pytest.raises(error) as raised:
        build(project, board, **options)
    assert words in str(raised.value)
    assert snapshot(project) == good


def test_a_golden_data_failure_keeps_the_last_good_files(project, good):
    """Golden data is the last stage; with no embedded samples, bad validation samples fail there."""
    _set(project, "empty.npz", b"")
    with pytest.raises(ConversionError, match="custom_tinyml_validation = empty.npz"):
        build(project, embed_samples="0", validation="empty.npz")
    assert snapshot(project) == good


STAGES = ("prepare_int8_model", "check_runtime_support", "check_reference_runs", "write_model_sources",
          "generate_schedule", "check_budget", "write_embedded_samples", "golden_data", "write_reports")


class StageFailed(Exception):
    pass


@pytest.mark.parametrize("name", STAGES)
def test_a_stage_that_fails_after_writing_its_files_changes_nothing(project, good, name, monkeypatch):
    """Each stage does its real work on a changed model, then fails: what it wrote stays staged."""
    real = getattr(pipeline, name)
    calls = []

    def then_fail(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        raise StageFailed(name)

    monkeypatch.setattr(pipeline, name, then_fail)
    _set(project, "m.tflite", classifier(seed=1))
    with pytest.raises(StageFailed):
        build(project)
    assert calls and snapshot(project) == good


def test_the_snapshot_sees_a_changed_build(project, good):
    """The assertions above can fail: a good build of another model changes the files."""
    _set(project, "m.tflite", classifier(seed=1))
    build(project)
    changed = snapshot(project)
    assert changed != good and changed["model.tflite"] == classifier(seed=1)
    assert changed.keys() == good.keys()
