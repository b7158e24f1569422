"""The SCons side of a build, run by extra_script.py (library.json `build.extraScript`) once per
environment, inside PlatformIO's own interpreter (PlatformIO and SCons only). It reads the build's
context, has the pipeline make the model's sources (pipeline_launcher.py), and hands SCons the
library's flags, the `pio test` image (test_image.py) and the generated sources with CMSIS-NN.
"""

from __future__ import annotations

import time
from pathlib import Path

from .board_profile import BoardProfileError, board_profile
from .build_messages import stop_build
from .convert.errors import ConversionError
from .generated_files import GENERATED_FOLDER, WORK_FOLDER
from .kernel_sources import needed_sources, user_sources
from .offline_setup import SetupError, cmsis_nn_sources
from .options import MODEL_SECTION, OptionError, model_option_sets, parse_options
from .pipeline_launcher import BuildContext, PipelineError, model_sources
from .provision import ProvisionError
from .test_framework_check import test_framework_problem
from .test_image import GOLDEN_SUITE, TestImageError, configure_test_image, write_test_image_record

GOLDEN_SUITE_DIR = Path(__file__).resolve().parent / "golden_suite"
RUNTIME_SOURCES = Path(__file__).resolve().parent / "runtime" / "src"
STOPS = (OptionError, BoardProfileError, TestImageError, ConversionError, ProvisionError, PipelineError, SetupError)


def run(env, library_root: Path) -> None:
    from SCons.Script import DefaultEnvironment

    default_env = DefaultEnvironment()
    if hook_ran(default_env, env["PIOENV"]):  # PlatformIO may load us twice
        return
    default_env[_hook_marker(env["PIOENV"])] = True
    start = time.perf_counter()
    try:
        context = build_context(env, default_env, library_root)
        testing = bool(_running_test(env, default_env))
        problem = testing and test_framework_problem(env["PIOENV"], context.raw_options.get("test_framework"))
        if problem:
            raise TestImageError(problem)
        if testing:
            configure_test_image(env, default_env, context.board, context.options, context.work_dir)
        env.Append(CCFLAGS=[f"-{context.options.optimization}"])  # the library's code, whatever the project's
        if testing:
            write_test_image_record(env, default_env, context.board, context.work_dir)
        if not context.model_options():
            return
        kernels = cmsis_nn_sources(emit)
        result = model_sources(context, emit)
    except STOPS as exc:
        stop_build(env, str(exc))
        return
    options, generated = context.options, context.work_dir / GENERATED_FOLDER
    env.Append(CPPDEFINES=[name for name, on in (("TINYML_PROFILE", options.profile),
                                                 ("TINYML_TRACE", options.trace)) if on])
    # The headers reach the project's sources too: PlatformIO passes a library's CPPPATH on.
    env.Append(CPPPATH=[str(generated), str(kernels / "Include")] + ([str(GOLDEN_SUITE_DIR)] if context.golden else []))
    env.BuildSources(str(context.work_dir / "build"), str(generated))
    # Only the CMSIS-NN files the engine, the runtime and the project's own code reach are compiled.
    users = user_sources(generated, RUNTIME_SOURCES, *([GOLDEN_SUITE_DIR] if context.golden else []),
                         *(Path(env.subst(f"$PROJECT_{folder}_DIR")) for folder in ("SRC", "INCLUDE", "TEST")))
    needed = [str(path.relative_to(kernels / "Source")) for path in needed_sources(kernels / "Source", users)]
    env.BuildSources(str(context.work_dir / "cmsis-nn"), str(kernels / "Source"),
                     src_filter=["-<*>"] + [f"+<{path}>" for path in needed])
    unchanged = ": nothing changed since the last build" if result.get("cached") else ""
    arena = result.get("arena")
    what = "model ready" if arena is None else f"{len(arena['models'])} models ready ({_arena_text(arena)})"
    emit(f"tinyml: {what}, {result['how']}{unchanged}; {len(needed)} CMSIS-NN files "
         f"({time.perf_counter() - start:.1f} s in all)")


def _arena_text(arena: dict) -> str:
    each = ", ".join(f"{name} {size:,} B" for name, size in arena["models"].items())
    return f"{'shared arena' if arena['shared'] else 'arenas'} {arena['bytes']:,} B: {each}"


def hook_ran(default_env, env_name: str) -> bool:
    """Whether PlatformIO ran the library's script for this environment (it is among lib_deps)."""
    return bool(default_env.get(_hook_marker(env_name)))


def _hook_marker(env_name: str) -> str:
    return "_TINYML_HOOK_DONE_" + env_name.replace("-", "_")


def build_context(env, default_env, library_root: Path) -> BuildContext:
    from platformio.project.config import ProjectConfig
    from SCons.Script import ARGUMENTS

    project_dir = Path(env.subst("$PROJECT_DIR"))
    config = env.GetProjectConfig()
    raw = config.items(env=env["PIOENV"], as_dict=True)
    options = parse_options(raw, project_dir)
    sections = {name: config.items(section=MODEL_SECTION + name, as_dict=True)
                if config.has_section(MODEL_SECTION + name) else None for name in options.models}
    platform = env.PioPlatform()
    # Where an ESP32 framework keeps its partition tables (the app partition is the flash budget).
    frameworks = {name: Path(folder) for name in ("framework-arduinoespressif32", "framework-espidf")
                  if name in platform.packages and (folder := platform.get_package_dir(name))}
    board = env.BoardConfig() if "BOARD" in env else None  # `platform = native` may have none
    test_name = _running_test(env, default_env)
    return BuildContext(
        raw_options=raw, options=options, project_dir=project_dir,
        models=tuple(model_option_sets(raw, sections, options)) if options.models else (),
        board=board_profile(board.id if board else None, board.manifest if board else None, raw, project_dir,
                            Path(platform.get_dir()), frameworks),
        work_dir=Path(env.subst("$BUILD_DIR")) / WORK_FOLDER, library_root=library_root,
        core_dir=Path(ProjectConfig.get_instance().get("platformio", "core_dir")),
        golden=bool(test_name) and Path(test_name).name == GOLDEN_SUITE,
        verbose=bool(int(ARGUMENTS.get("PIOVERBOSE", 0))))


def _running_test(env, default_env) -> str | None:
    return env.get("PIOTEST_RUNNING_NAME") or default_env.get("PIOTEST_RUNNING_NAME")


def emit(line: str) -> None:
    print(line, flush=True)
