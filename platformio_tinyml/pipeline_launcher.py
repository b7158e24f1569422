"""Runs the model pipeline (pipeline.py) for the build hook, in a Python that has its packages
(provision.py), and only when one of its inputs changed since the last build.

Plain Python only: this runs inside PlatformIO's interpreter.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .board_profile import BoardProfile
from .convert.cache import module_source
from .convert.source_format import TFLITE, detect_format, model_files
from .generated_files import GENERATED_FOLDER, RESULT_FILE
from .options import MODEL_SECTION, PREFIX, OptionError, Options, parse_options
from .provision import pipeline_python
from .python_packages import CONVERT, REFERENCE

PACKAGE_DIR = Path(__file__).resolve().parent
REQUEST_FILE = "pipeline_request.json"


class PipelineError(RuntimeError):
    """The pipeline stopped; the message is its own (naming the option, file or operator)."""


@dataclasses.dataclass(frozen=True)
class BuildContext:
    """What one environment's build gives the pipeline."""
    raw_options: dict        # the environment's options as PlatformIO read them
    options: Options
    board: BoardProfile
    project_dir: Path
    work_dir: Path           # $BUILD_DIR/tinyml
    library_root: Path       # the folder holding the platformio_tinyml package
    core_dir: Path           # PlatformIO's core folder, where the managed Python lives
    golden: bool             # `pio test` is building the golden suite
    verbose: bool
    models: tuple[dict, ...] = ()  # custom_tinyml_models: options.model_option_sets(); () for one model

    def model_options(self) -> list[Options]:
        """The Options of each model the build makes."""
        if not self.models:
            return [self.options] if self.options.model is not None else []
        each = []
        for entry in self.models:
            try:
                each.append(parse_options(entry["options"], self.project_dir))
            except OptionError as exc:
                raise OptionError(f"[{MODEL_SECTION}{entry['name']}]: {exc}") from None
        return each


def model_sources(context: BuildContext, emit: Callable[[str], None]) -> dict:
    """The generated sources for this build: those of the last build when no input changed, else
    made anew by the pipeline in a Python that can run it. Returns the pipeline's result."""
    options, work_dir = context.options, context.work_dir
    request = {
        "options": {key: value for key, value in context.raw_options.items() if key.startswith(PREFIX)},
        "project_dir": str(context.project_dir), "work_dir": str(work_dir),
        "board": dataclasses.asdict(context.board),
        "golden": context.golden,
        **({"models": list(context.models), "shared_arena": options.shared_arena} if context.models else {}),
    }
    each_model = context.model_options()
    stamp = input_stamp(request, each_model, context.project_dir)
    previous = _read_json(work_dir / RESULT_FILE)
    if previous and previous.get("status") == "ok" and previous.get("stamp") == stamp and \
            (work_dir / GENERATED_FOLDER).is_dir():
        return {**previous, "cached": True}
    needs_converters = any(detect_format(model.model, model.model_text) != TFLITE for model in each_model)
    package_sets = (REFERENCE, CONVERT) if needs_converters else (REFERENCE,)
    result = _run_pipeline(request, context, package_sets, emit)
    if result.get("status") == "needs" and CONVERT not in package_sets:
        result = _run_pipeline(request, context, (REFERENCE, CONVERT), emit)
    if result.get("status") != "ok":
        raise PipelineError(result.get("message", "the model pipeline failed"))
    result["stamp"] = stamp
    (work_dir / RESULT_FILE).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _run_pipeline(request: dict, context: BuildContext, package_sets, emit: Callable[[str], None]) -> dict:
    python = pipeline_python(package_sets, context.core_dir, context.options.python, emit)
    work_dir = context.work_dir
    work_dir.mkdir(parents=True, exist_ok=True)
    request_file = work_dir / REQUEST_FILE
    request_file.write_text(json.dumps({**request, "verbose": context.verbose}, indent=2) + "\n",
                            encoding="utf-8")
    result_file = work_dir / RESULT_FILE
    result_file.unlink(missing_ok=True)
    environment = dict(os.environ)
    # The subprocess imports this library's package, wherever PlatformIO put the library.
    library_root = str(context.library_root)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [library_root, environment.get("PYTHONPATH")]))
    process = subprocess.Popen([python, "-m", "platformio_tinyml.pipeline", str(request_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
    tail = []
    for line in process.stdout:
        emit(line.rstrip("\n"))
        tail = (tail + [line.rstrip("\n")])[-15:]
    status = process.wait()
    result = _read_json(result_file)
    if result is None:
        raise PipelineError(f"the model pipeline ({python}) stopped with status {status} before it finished; "
                            f"its last output:\n    " + "\n    ".join(tail or ["(none)"]))
    return result


def input_stamp(request: dict, each_model: list[Options], project_dir: Path) -> str:
    """sha256 over everything the generated sources depend on: the request (options, board, golden
    or not), the bytes of the models and the samples, and this package's code."""
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode())
    files = []
    for options in each_model:
        files += [*model_files(options.model), *([options.labels_file] if options.labels_file else [])]
        for source in (options.calibration, options.validation):
            if source is not None and source.kind == "files":
                files.append(source.path)
            elif source is not None and source.kind == "function":
                files.append(module_source(source.text, project_dir))
        if options.keras_custom_objects:
            files.append(module_source(options.keras_custom_objects, project_dir))
    for path in files:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(str(file).encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    for file in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
