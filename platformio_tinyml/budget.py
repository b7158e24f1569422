"""The memory budget check done before linking: does the model, its arena and the stack reserve fit
the board's RAM and flash? Over budget, the build stops with a table of what takes how much."""

from __future__ import annotations

from dataclasses import dataclass

from .options import PREFIX


class BudgetError(ValueError):
    """The model does not fit the board, or not the arena the user allowed."""


@dataclass(frozen=True)
class MemoryNeeds:
    arena: int           # TINYML_ARENA_SIZE
    arena_lower_bound: int
    stack_reserve: int   # the stack reserve: BoardProfile.stack_reserve
    model: int           # the model array, in flash
    tables: int          # constant tables the engine adds, in flash
    samples: int = 0     # embedded samples and golden test data compiled in, in flash
    state: int = 0       # the models' state kept between inferences (an LSTM's, an SVDF's), in RAM


def _row(what: str, size: int) -> str:
    return f"    {what:<28}{size:>12,} B"


def _is_default(source: str | None) -> bool:
    return (source or "").startswith("default")


def check_budget(board: str, ram: int, flash: int, needs: MemoryNeeds, arena_limit: int | None, *,
                 stack_reserve_source: str | None = None, flash_what: str | None = None,
                 models: tuple[str, ...] = (), shared_arena: bool = False) -> None:
    """Raises BudgetError when `needs` exceed the board (ram/flash 0 = unknown, not checked) or the
    arena limit set with custom_tinyml_arena_size.

    stack_reserve_source, flash_what: BoardProfile's fields of those names. A source starting with
    "default" marks the stack row as a default and says how to set it; flash_what is named in the
    flash table's heading (e.g. an ESP32's app partition rather than the whole chip). `models`: the
    names of the several models whose sums `needs` are; `shared_arena`: their arena is the largest of
    theirs, not the sum."""
    if arena_limit is not None and needs.arena > arena_limit:
        raise BudgetError(
            f"{PREFIX}arena_size = {arena_limit:,} B, but the schedule needs a {needs.arena:,} B arena "
            f"(no schedule of this model can use less than {needs.arena_lower_bound:,} B). Raise "
            f"{PREFIX}arena_size, or remove it to use what the model needs."
        )
    ram_used = needs.arena + needs.state + needs.stack_reserve
    flash_used = needs.model + needs.tables + needs.samples
    problems = []
    if ram and ram_used > ram:
        default_stack = _is_default(stack_reserve_source)
        problems.append(
            "\n".join([
                f"  RAM of board '{board}': {ram:,} B",
                _row(_arena_row(models, shared_arena), needs.arena),
                *([_row("model state (LSTM, SVDF)", needs.state)] if needs.state else []),
                _row("stack reserve (default)" if default_stack else "stack reserve", needs.stack_reserve),
                _row(f"total (over by {ram_used - ram:,} B)", ram_used),
                *([f"    stack reserve: {stack_reserve_source}; set board_tinyml.stack_size = <bytes> in "
                   f"platformio.ini to your firmware's stack size"] if default_stack else []),
            ])
        )
    if flash and flash_used > flash:
        problems.append(
            "\n".join([
                f"  flash of board '{board}': {flash:,} B" + (f" ({flash_what})" if flash_what else ""),
                _row("model arrays" if models else "model array", needs.model),
                _row("engine tables", needs.tables),
                *([_row("samples and golden data", needs.samples)] if needs.samples else []),
                _row(f"total (over by {flash_used - flash:,} B)", flash_used),
            ])
        )
    if problems:
        raise BudgetError(
            (f"the models {', '.join(models)} do not fit the board together" if models else
             "the model does not fit the board") + ", before any code or other data is counted:\n"
            + "\n".join(problems)
            + ("\nThe samples compiled in can be fewer: custom_tinyml_embed_samples, custom_tinyml_test_samples "
               "(the golden suite's)." if needs.samples and flash and flash_used > flash else "")
            + ("\nModels that never run at once can share one arena: custom_tinyml_shared_arena = yes."
               if models and not shared_arena and ram and ram_used > ram else "")
            + "\nWhat would help: a smaller model (fewer channels, layers or tokens), or a board with more "
            "memory (`board = ...`). The arena is already planned to "
            f"{needs.arena_lower_bound:,} B at best for this model."
        )


def _arena_row(models: tuple[str, ...], shared: bool) -> str:
    if not models:
        return "tensor arena"
    return "tensor arena (shared)" if shared else "tensor arenas (" + " + ".join(models) + ")"
