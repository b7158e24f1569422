"""The PlatformIO side of a build. Called by `extra_script.py` (library.json `build.extraScript`) once
per environment of a project that lists this library in `lib_deps`, inside PlatformIO's own
interpreter, which holds PlatformIO and SCons and nothing else: this module needs no more.

What it does:
  - compiles the library's code (runtime, generated engine, CMSIS-NN) at custom_tinyml_optimization
    whatever the project's flags (official bare builders use -Os);
  - under `pio test` on a board of another platform, makes the test image the emulator runs
    (test_image.py);
  - with a model: runs the pipeline (pipeline.py) in a Python that has what it needs
    (provision.py) when an input changed since the last build, and hands the generated sources
    and CMSIS-NN to SCons.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .board_profile import BoardProfileError, board_profile
from .build_messages import stop_build
from .convert.cache import module_source
from .convert.errors import ConversionError
from .convert.source_format import TFLITE, detect_format
from .generated_files import GENERATED_FOLDER, RESULT_FILE, WORK_FOLDER
from .options import PREFIX, OptionError, Options, parse_options
from .provision import ProvisionError, pipeline_python
from .python_packages import CONVERT, REFERENCE
from .test_image import GOLDEN_SUITE, TestImageError, configure_test_image, write_test_image_record

PACKAGE_DIR = Path(__file__).resolve().parent
REQUEST_FILE = "pipeline_request.json"


def run(env, library_root: Path) -> None:
    """Everything the hook does for one PlatformIO environment."""
    from SCons.Script import ARGUMENTS, DefaultEnvironment

    # PlatformIO may load a library's extra script more than once per environment.
    marker = "_TINYML_HOOK_DONE_" + env["PIOENV"].replace("-", "_")
    default_env = DefaultEnvironment()
    if default_env.get(marker):
        return
    default_env[marker] = True

    start = time.perf_counter()
    project_dir = Path(env.subst("$PROJECT_DIR"))
    work_dir = Path(env.subst("$BUILD_DIR")) / WORK_FOLDER
    raw = env.GetProjectConfig().items(env=env["PIOENV"], as_dict=True)
    testing = bool(_running_test(env))
    golden = _golden_suite(env)
    try:
        options = parse_options(raw, project_dir)
        board = _board_profile(env, raw, project_dir)
        if testing:
            configure_test_image(env, default_env, board, options, work_dir)
    except (OptionError, BoardProfileError, TestImageError) as exc:
        stop_build(env, str(exc))
        return
    # Flags for the library's own sources, and for what the hook adds below.
    env.Append(CCFLAGS=[f"-{options.optimization}"])
    if testing:
        write_test_image_record(env, default_env, board, work_dir)
    if options.model is None:
        return
    try:
        kernels = kernel_sources(env)
        result = model_sources(options, raw, board, project_dir, work_dir, library_root, golden,
                               verbose=bool(int(ARGUMENTS.get("PIOVERBOSE", 0))))
    except (OptionError, ConversionError, ProvisionError, PipelineError) as exc:
        stop_build(env, str(exc))
        return
    if options.profile:
        env.Append(CPPDEFINES=["TINYML_PROFILE"])
    if options.trace:
        env.Append(CPPDEFINES=["TINYML_TRACE"])
    if golden:
        # The suite's one source file includes tinyml_golden_test.c from here.
        env.Append(CPPPATH=[str(PACKAGE_DIR / "golden_suite")])
    generated = work_dir / GENERATED_FOLDER
    # The headers must be visible to the project's sources too: PlatformIO passes a library's
    # CPPPATH additions on to everything that depends on the library.
    env.Append(CPPPATH=[str(generated), str(kernels / "Include")])
    env.BuildSources(str(work_dir / "build"), str(generated))
    # All of CMSIS-NN is compiled once per environment; the linker keeps what the schedule calls.
    env.BuildSources(str(work_dir / "cmsis-nn"), str(kernels / "Source"))
    unchanged = ": nothing changed since the last build" if result.get("cached") else ""
    emit(f"tinyml: model ready, {result['how']}{unchanged} ({time.perf_counter() - start:.1f} s in all)")


class PipelineError(RuntimeError):
    pass


def emit(line: str) -> None:
    print(line, flush=True)


def _running_test(env) -> str | None:
    from SCons.Script import DefaultEnvironment

    return env.get("PIOTEST_RUNNING_NAME") or DefaultEnvironment().get("PIOTEST_RUNNING_NAME")


def _golden_suite(env) -> bool:
    """True while `pio test` builds the golden suite: the test folder named GOLDEN_SUITE."""
    name = _running_test(env)
    return bool(name) and Path(name).name == GOLDEN_SUITE


def _board_profile(env, raw: dict, project_dir: Path):
    """The board's core and memory budget; `platform = native` may have no board at all."""
    platform = env.PioPlatform()
    # Where an ESP32 framework keeps its partition tables (the app partition is the flash budget).
    frameworks = {name: Path(folder) for name in ("framework-arduinoespressif32", "framework-espidf")
                  if name in platform.packages and (folder := platform.get_package_dir(name))}
    config = env.BoardConfig() if "BOARD" in env else None
    return board_profile(config.id if config else None, config.manifest if config else None, raw, project_dir,
                         Path(platform.get_dir()), frameworks)


def kernel_sources(env) -> Path:
    """CMSIS-NN's sources, unpacked from PyPI into PlatformIO's packages on first use."""
    from .offline_setup import SetupError, cmsis_nn_dir, ensure_cmsis_nn, platformio_packages_dir

    folder = cmsis_nn_dir()
    if not (folder / "Source").is_dir():
        emit(f"tinyml: installing CMSIS-NN's sources into {folder} (once per machine)")
        try:
            ensure_cmsis_nn(platformio_packages_dir())
        except SetupError as exc:
            raise PipelineError(f"CMSIS-NN's sources could not be installed: {exc}") from None
    return folder


def model_sources(options: Options, raw: dict, board, project_dir: Path, work_dir: Path, library_root: Path,
                  golden: bool, verbose: bool) -> dict:
    """The generated sources for this build: those of the last build when no input changed, else
    made anew by the pipeline in a Python that can run it."""
    request = {
        "options": {key: value for key, value in raw.items() if key.startswith(PREFIX)},
        "project_dir": str(project_dir), "work_dir": str(work_dir), "library_root": str(library_root),
        "board": dataclasses.asdict(board), "golden": golden,
    }
    stamp = input_stamp(request, options, project_dir)
    previous = _read_json(work_dir / RESULT_FILE)
    if previous and previous.get("status") == "ok" and previous.get("stamp") == stamp and \
            (work_dir / GENERATED_FOLDER).is_dir():
        return {**previous, "cached": True}
    needs_converters = detect_format(options.model, options.model_text) != TFLITE
    package_sets = (REFERENCE, CONVERT) if needs_converters else (REFERENCE,)
    result = _run_pipeline(request, options, package_sets, work_dir, verbose)
    if result.get("status") == "needs" and CONVERT not in package_sets:
        result = _run_pipeline(request, options, (REFERENCE, CONVERT), work_dir, verbose)
    if result.get("status") != "ok":
        raise PipelineError(result.get("message", "the model pipeline failed"))
    result["stamp"] = stamp
    (work_dir / RESULT_FILE).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _run_pipeline(request: dict, options: Options, package_sets, work_dir: Path, verbose: bool) -> dict:
    from platformio.project.config import ProjectConfig

    core_dir = Path(ProjectConfig.get_instance().get("platformio", "core_dir"))
    python = pipeline_python(package_sets, core_dir, options.python, emit)
    work_dir.mkdir(parents=True, exist_ok=True)
    request_file = work_dir / REQUEST_FILE
    request_file.write_text(json.dumps({**request, "verbose": verbose}, indent=2) + "\n", encoding="utf-8")
    result_file = work_dir / RESULT_FILE
    result_file.unlink(missing_ok=True)
    environment = dict(os.environ)
    # The subprocess imports this library's package, wherever PlatformIO put the library.
    library_root = request["library_root"]
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


def input_stamp(request: dict, options: Options, project_dir: Path) -> str:
    """sha256 over everything the generated sources depend on: the request (options, board, golden
    or not), the bytes of the model and the samples, and this package's code."""
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode())
    files = [options.model]
    for source in (options.calibration, options.validation):
        if source is not None and source.kind == "files":
            files.append(source.path)
        elif source is not None and source.kind == "function":
            files.append(module_source(source.text, project_dir))
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
