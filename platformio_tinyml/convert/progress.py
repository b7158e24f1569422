"""One line per stage with its duration: what a conversion prints when not verbose."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator


def stage_line(what: str, seconds: float) -> str:
    return f"tinyml: {what} ({seconds:.1f} s)"


@contextmanager
def stage(what: str, emit: Callable[[str], None], timings: dict | None = None) -> Iterator[None]:
    """Prints `what` with its duration when the block finishes without an error."""
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    if timings is not None:
        timings[what] = round(seconds, 3)
    emit(stage_line(what, seconds))
