"""The C names of one model's generated files, symbols and macros. A firmware with one model uses
the prefix `tinyml` (tinyml_model.h, TINYML_INPUT0_SHAPE, tinyml_model_data); with several, each
model's name is its prefix (kws_model.h, KWS_INPUT0_SHAPE, kws_model_data)."""

from __future__ import annotations

DEFAULT_PREFIX = "tinyml"


def macro_prefix(prefix: str) -> str:
    return prefix.upper()


def handle_symbol(prefix: str) -> str:
    """The model's `tinyml_model` object, the handle of tinyml.h's tinyml_model_*() functions."""
    return "tinyml_default_model" if prefix == DEFAULT_PREFIX else f"{prefix}_model"
