"""Writing generated sources: every file of a set, or none, and never touching an unchanged one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

WORK_FOLDER = "tinyml"              # inside $BUILD_DIR: everything the library writes for a build
GENERATED_FOLDER = "generated"      # inside WORK_FOLDER: the C sources SCons compiles
RESULT_FILE = "pipeline_result.json"  # inside WORK_FOLDER: what the last pipeline run made, and from what
TEST_IMAGE_FILE = "test_image.json"   # inside WORK_FOLDER: the program `pio test` runs, and where
TRACE_FILE = "trace_expected.json"    # inside GENERATED_FOLDER: the reference's per-op hashes
DEVICE_REPORT_FILE = "device_report.json"  # inside WORK_FOLDER: what the golden firmware printed


def write_files_whole(folder: Path, texts: dict[str, str]) -> None:
    """Writes each `name: text` into `folder`. All are staged first and then swapped in, so a failure
    leaves the previous files as they were (a half-written set would not compile together); an
    unchanged file keeps its timestamp, so the build does not recompile it."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        for name, text in texts.items():
            handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            staged.append((Path(temporary), folder / name))
        for temporary, final in staged:
            if final.is_file() and final.read_text(encoding="utf-8") == texts[final.name]:
                continue
            os.replace(temporary, final)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
