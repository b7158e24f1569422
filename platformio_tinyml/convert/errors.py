"""The error a conversion stops with: its message is shown to the user as it is."""

from __future__ import annotations

from pathlib import Path


class ConversionError(Exception):
    """A model or its samples cannot be converted; the message names the file or option.
    `report_file`: the report of a conversion that ran but failed a check (its figures are there)."""

    def __init__(self, message: str, report_file: Path | None = None):
        super().__init__(message)
        self.report_file = report_file
