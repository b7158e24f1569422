"""Errors the engine reports to users (shown by the build hook without a traceback)."""


class UnknownCoreError(ValueError):
    """The board's build.cpu names a core the engine has no CMSIS-NN kernel path for: the one
    engine error that is the board's, not the model's."""


class UnsupportedModelError(Exception):
    """The model uses ops, types or parameters the engine cannot generate code for.

    The message lists every problem, one per line, each naming the op, how often it occurs and the
    tensors involved."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source}: the engine cannot run this model:\n{lines}")
