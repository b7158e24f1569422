"""TFLite Micro's reference interpreter, run in a child process. It is C++ that trusts the model: on
a model it cannot run it may abort, crash or loop, which would take the build's Python with it and
leave no message. In a child, each of those becomes one ReferenceError that says what happened."""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable

DEFAULT_TIMEOUT = 600.0  # seconds; a large model with many golden samples takes a minute or two


class ReferenceError(RuntimeError):  # noqa: A001 - the reference interpreter's error, not Python's
    """TFLite Micro's reference interpreter refused, crashed on or did not finish a model."""


def run_isolated(function: Callable, *args, what: str, timeout: float = DEFAULT_TIMEOUT):
    """function(*args) in a forked child; its result, or ReferenceError naming `what` (the model)
    and quoting what TFLite Micro printed (its reasons go to stderr, not into the exception)."""
    context = multiprocessing.get_context("fork")  # the child needs nothing re-imported
    with tempfile.TemporaryFile() as printed:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(sender, printed.fileno(), function, args), daemon=True)
        child.start()
        sender.close()
        try:
            if not receiver.poll(timeout):
                raise ReferenceError(f"TFLite Micro's reference interpreter did not finish on {what} within "
                                     f"{timeout:.0f} s; the model may loop or be far too large to check here.")
            try:
                outcome, value = receiver.recv()
            except EOFError:  # the child died without a word
                child.join()
                raise ReferenceError(f"TFLite Micro's reference interpreter crashed on {what} "
                                     f"({_death(child.exitcode)}){_said(printed)}. The model is malformed in a "
                                     f"way the build's checks do not know; please report it with the model.") from None
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()
        if outcome == "error":
            raise ReferenceError(f"TFLite Micro's reference interpreter refuses {what}: {value}{_said(printed)}")
    return value


def _child(sender, stderr_fd: int, function, args) -> None:
    faulthandler.disable()  # a crash is reported by the parent, once, without a Python stack dump
    os.dup2(stderr_fd, 2)
    try:
        result = ("ok", function(*args))
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as text
        result = ("error", f"{type(exc).__name__}: {exc}")
    sender.send(result)
    sender.close()


def _said(printed) -> str:
    """What the interpreter printed, as one clause: its last few lines, without source paths."""
    printed.seek(0)
    lines = [line.strip() for line in printed.read().decode("utf-8", "replace").splitlines() if line.strip()]
    lines = [line.split(" ", 1)[1] if line.startswith("tensorflow/") and " " in line else line for line in lines]
    return f" (TFLite Micro said: {' '.join(lines[-4:])})" if lines else ""


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"
