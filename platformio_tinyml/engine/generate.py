"""generate_engine(): a verified model -> tinyml_engine.c/.h for one core, and what it costs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..generated_files import write_files_whole
from ..graph import Model
from .codegen import EngineSource, render_header, render_source
from .cores import KernelPath, kernel_path
from .kernel_call import KernelCall
from .lifetimes import arena_buffers
from .lowering import lower_graph
from .plan import plan_arena

C_TYPE_BYTES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "float": 4}
ENGINE_FILES = ("tinyml_engine.c", "tinyml_engine.h")


@dataclass(frozen=True)
class EngineReport:
    files: tuple[Path, ...]       # the generated files, in out_dir
    kernel_path: KernelPath       # the CMSIS-NN path the schedule was planned for
    arena_bytes: int              # TINYML_ARENA_SIZE
    arena_lower_bound: int        # most bytes live at once over the schedule
    kernels: tuple[str, ...]      # the kernel function called per scheduled op, in order
    constant_table_bytes: int     # flash of the per-channel tables the engine adds


def generate_engine(model: Model, model_bytes: bytes, out_dir: str | os.PathLike, core: str) -> EngineReport:
    """Lowers subgraph 0 of `model` for `core` (a board's build.cpu, e.g. 'cortex-m4', or 'host'),
    plans the arena and writes ENGINE_FILES into out_dir, each replaced whole.

    Raises UnsupportedModelError (every op it cannot run, by type, naming the op and tensors) and
    UnknownCoreError (a core without a kernel path)."""
    path = kernel_path(core)
    graph = model.subgraphs[0]
    steps = lower_graph(graph, path, source=model.source)
    buffers, holder = arena_buffers(graph, steps)
    plan = plan_arena(buffers)
    source = EngineSource(model=model, model_bytes=bytes(model_bytes), path=path, core=core,
                          steps=tuple(steps), plan=plan, holder=holder)
    out = Path(out_dir)
    texts = {"tinyml_engine.h": render_header(source), "tinyml_engine.c": render_source(source)}
    write_files_whole(out, texts)
    calls = [step for step in steps if isinstance(step, KernelCall)]
    return EngineReport(
        files=tuple(out / name for name in ENGINE_FILES), kernel_path=path, arena_bytes=plan.size,
        arena_lower_bound=plan.lower_bound, kernels=tuple(call.function for call in calls),
        constant_table_bytes=sum(C_TYPE_BYTES[t.c_type] * len(t.values) for call in calls for t in call.tables))
