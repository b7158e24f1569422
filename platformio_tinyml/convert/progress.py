"""One line per stage, its result and its duration together: what a build prints when not verbose."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator


@dataclass
class StageLine:
    """What a stage's line says; the block may replace it with its result once it has one."""
    text: str


def stage_line(text: str, seconds: float) -> str:
    return f"tinyml: {text} ({seconds:.1f} s)"


@contextmanager
def stage(what: str, emit: Callable[[str], None], timings: dict | None = None,
          announce: str | None = None) -> Iterator[StageLine]:
    """Prints the stage's line with its duration when the block finishes without an error. A stage
    that takes seconds first prints `announce` (`tinyml: <announce> ...`), so the build never looks stuck."""
    if announce:
        emit(f"tinyml: {announce} ...")
    start = time.perf_counter()
    line = StageLine(what)
    yield line
    seconds = time.perf_counter() - start
    if timings is not None:
        timings[what] = round(seconds, 3)
    emit(stage_line(line.text, seconds))
