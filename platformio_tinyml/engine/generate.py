"""generate_engine(): a verified model -> tinyml_engine.c/.h for one core, and what it costs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..generated_files import write_files_whole
from ..graph import Model
from ..model_names import DEFAULT_PREFIX
from .codegen import EngineSource, render_header, render_source, state_tensors
from .cores import KernelPath, kernel_path
from .kernel_call import KernelCall
from .lifetimes import arena_buffers, tensor_bytes
from .lowering import lower_graph
from .plan import plan_arena

C_TYPE_BYTES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "int64_t": 8, "float": 4}


@dataclass(frozen=True)
class EngineReport:
    files: tuple[Path, ...]       # the generated files, in out_dir
    kernel_path: KernelPath       # the CMSIS-NN path the schedule was planned for
    arena_bytes: int              # TINYML_ARENA_SIZE
    arena_lower_bound: int        # most bytes live at once over the schedule
    kernels: tuple[str, ...]      # the kernel function called per scheduled op, in order
    constant_table_bytes: int     # flash of the per-channel tables the engine adds
    state_bytes: int = 0          # RAM of the model's state (variable tensors), outside the arena


def engine_files(prefix: str = DEFAULT_PREFIX) -> tuple[str, str]:
    return f"{prefix}_engine.c", f"{prefix}_engine.h"


def generate_engine(model: Model, model_bytes: bytes, out_dir: str | os.PathLike, core: str,
                    prefix: str = DEFAULT_PREFIX, shared_arena: str | None = None) -> EngineReport:
    """Lowers subgraph 0 of `model` for `core` (a board's build.cpu, e.g. 'cortex-m4', or 'host'),
    plans the arena and writes engine_files(prefix) into out_dir, each replaced whole. `prefix` names
    the model's symbols (model_names.py); `shared_arena`, if given, is the symbol of the storage the
    arena shares with other models'.

    Raises UnsupportedModelError (every op it cannot run, by type, naming the op and tensors) and
    UnknownCoreError (a core without a kernel path)."""
    path = kernel_path(core)
    graph = model.subgraphs[0]
    steps = lower_graph(graph, path, source=model.source)
    buffers, holder = arena_buffers(graph, steps)
    plan = plan_arena(buffers)
    source = EngineSource(model=model, model_bytes=bytes(model_bytes), path=path, core=core,
                          steps=tuple(steps), plan=plan, holder=holder, prefix=prefix, shared_arena=shared_arena)
    out = Path(out_dir)
    c_file, header = engine_files(prefix)
    texts = {header: render_header(source), c_file: render_source(source)}
    write_files_whole(out, texts)
    calls = [step for step in steps if isinstance(step, KernelCall)]
    return EngineReport(
        files=(out / c_file, out / header), kernel_path=path, arena_bytes=plan.size,
        arena_lower_bound=plan.lower_bound, kernels=tuple(call.function for call in calls),
        constant_table_bytes=sum(C_TYPE_BYTES[t.c_type] * len(t.values)
                                 for t in {t.name: t for call in calls for t in call.tables}.values()),
        state_bytes=sum(tensor_bytes(graph, t.index) for t in state_tensors(graph, calls)))
