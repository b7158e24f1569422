"""The generated C as a firmware engineer reads it in a debugger: every kernel argument named from a
signature table that matches the kernels' headers, each op's tables beside its function, alias ops as
comments and one op count, run-time tensors as named members of the arena, floats as exact literals.
No firmware is built here (the bit-exact tests run the same code)."""

import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import REPO
from op_zoo import op_zoo, transformer_op_zoo
from tiny_transformer import tiny_transformer
from platformio_tinyml.engine import generate_engine
from platformio_tinyml.engine.cores import kernel_path
from platformio_tinyml.engine.kernel_call import KERNEL_SIGNATURES, Alias, KernelCall, c_float, kernel_arguments
from platformio_tinyml.engine.lifetimes import arena_buffers
from platformio_tinyml.engine.lowering import lower_graph
from platformio_tinyml.engine.plan import plan_arena
from platformio_tinyml.engine.symbols import tensor_symbol
from platformio_tinyml.graph import read_model, verify_model
from platformio_tinyml.model_array import write_model_sources
from platformio_tinyml.offline_setup import cmsis_nn_dir

RUNTIME_INCLUDE = REPO / "platformio_tinyml" / "runtime" / "include"
MODELS = {"zoo1": lambda: op_zoo(1), "tzoo1": lambda: transformer_op_zoo(1), "tiny_transformer": lambda: tiny_transformer(0)}
CORES = ("host", "cortex-m4", "cortex-m55")


def declared_parameters(header_text: str) -> dict[str, tuple[str, ...]]:
    """function -> its parameters' names, from the prototypes of a C header."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", header_text, flags=re.S)
    found = {}
    for match in re.finditer(r"\b(?:int32_t|void|arm_cmsis_nn_status)\s+(\w+)\s*\(([^;{)]*)\)\s*;", text):
        names = [re.search(r"(\w+)\s*(?:\[\s*\])?$", p.strip()).group(1) for p in match.group(2).split(",")]
        found[match.group(1)] = tuple(names)
    return found


def test_signature_table_matches_the_kernel_headers():
    declared = declared_parameters((RUNTIME_INCLUDE / "tinyml_kernels.h").read_text())
    cmsis = cmsis_nn_dir() / "Include" / "arm_nnfunctions.h"
    if cmsis.is_file():
        declared.update(declared_parameters(cmsis.read_text()))
    checked = 0
    for function, parameters in KERNEL_SIGNATURES.items():
        if function.startswith("arm_") and not cmsis.is_file():
            continue
        assert declared.get(function) == parameters, function
        checked += 1
    assert checked >= len([f for f in KERNEL_SIGNATURES if f.startswith("tinyml_")])


def test_arguments_are_given_by_name_and_checked():
    assert kernel_arguments("tinyml_fill_s8", value=-3, output="y", size=8) == ("y", "8", "-3")
    with pytest.raises(ValueError, match=r"missing \['value'\], unknown \['valu'\]"):
        kernel_arguments("tinyml_fill_s8", output="y", size=8, valu=1)
    with pytest.raises(ValueError, match="not in KERNEL_SIGNATURES"):
        kernel_arguments("arm_nonexistent_s8")
    with pytest.raises(ValueError, match="takes 3 arguments"):
        KernelCall(op_index=0, opcode="PAD", function="tinyml_fill_s8", arguments=("y", "8"), reads=(), writes=())


@pytest.mark.parametrize("value", [0.003921568859368563, 1.0, -0.0, 1e-45, 3.4028234663852886e38, 1 / 3, 0.1])
def test_float_literals_are_exact_and_short(value):
    text = c_float(value)
    assert text.endswith("f") and "0x" not in text
    assert np.float32(float(text[:-1])).tobytes() == np.float32(value).tobytes()
    assert len(text) <= len("-1.23456789e-38f")


def test_float_literals_read_back_exactly_for_random_bits():
    values = np.random.default_rng(5).integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    for value in values[np.isfinite(values)]:
        assert np.float32(float(c_float(value)[:-1])).tobytes() == value.tobytes()
    assert c_float(float("inf")) == "__builtin_inff()" and c_float(float("-inf")) == "-__builtin_inff()"


def generated(tmp_path, name: str, core: str):
    data = MODELS[name]()
    model = read_model(data, name)
    verify_model(model)
    out = tmp_path / f"{name}-{core}"
    report = generate_engine(model, data, out, core)
    steps = lower_graph(model.subgraphs[0], kernel_path(core))
    return model, data, report, steps, (out / "tinyml_engine.c").read_text(), (out / "tinyml_engine.h").read_text()


def function_bodies(source: str) -> dict[str, str]:
    return {m[1]: m[2] for m in re.finditer(r"static int32_t (op\d+_\w+)\(void\)\n\{\n(.*?)\n\}\n", source, re.S)}


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("name", list(MODELS))
def test_every_kernel_argument_is_commented_with_its_parameter(tmp_path, name, core):
    _, _, _, steps, source, _ = generated(tmp_path, name, core)
    calls = 0
    for body in function_bodies(source).values():
        for match in re.finditer(r"(?:return |status = |    )(\w+)\(\n(.*?)\);", body, re.S):
            function, lines = match[1], match[2].split("\n")
            names = [re.match(r"\s+/\* (\w+) \*/ \S", line)[1] for line in lines]
            assert tuple(names) == KERNEL_SIGNATURES[function], function
            calls += 1
    assert calls == sum(1 + len(s.more_calls) for s in steps if isinstance(s, KernelCall) and not s.body)


@pytest.mark.parametrize("name", list(MODELS))
def test_tables_sit_beside_their_op_and_aliases_are_comments(tmp_path, name):
    _, _, report, steps, source, header = generated(tmp_path, name, "cortex-m55")
    calls = [s for s in steps if isinstance(s, KernelCall)]
    aliases = [s for s in steps if isinstance(s, Alias)]
    # Each op's section: its comment, its tables, its function, before the next op's comment.
    sections = re.split(r"\n(?=/\* op \d+ )", source)
    for call in calls:
        (section,) = [s for s in sections if s.startswith(f"/* op {call.op_index} {call.opcode}:")]
        names = re.findall(r"^static const \w+ (\w+)\[\d+\] = \{", section, re.M)
        assert names == [table.name for table in call.tables]
        assert f"static int32_t op{call.op_index}_{call.opcode.lower()}(void)" in section
    for alias in aliases:
        assert re.search(rf"^/\* op {alias.op_index} {alias.opcode}: .*an alias of its input's bytes, runs nothing \*/$",
                         source, re.M)
        assert f"op{alias.op_index}_" not in source
        assert f"    /* op {alias.op_index} {alias.opcode}: an alias, runs nothing */" in source
    # One op count: the header's, the steps table's, the schedule's, the report's.
    assert f"#define TINYML_ENGINE_OP_COUNT {len(calls)}\n" in header
    assert re.findall(r"^    \[(\d+)\] = \{op\d+_\w+, (\d+)\},$", source, re.M) == [
        (str(n), str(c.op_index)) for n, c in enumerate(calls)]
    assert "static const tinyml_step steps[TINYML_ENGINE_OP_COUNT] = {" in source
    assert "    .step_count = TINYML_ENGINE_OP_COUNT," in source
    assert "static const tinyml_step_info step_info[TINYML_ENGINE_OP_COUNT]" in source
    assert len(report.kernels) == len(calls)


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("name", list(MODELS))
def test_tensors_are_named_arena_members_and_constants_named_pointers(tmp_path, name, core):
    model, _, report, steps, source, _ = generated(tmp_path, name, core)
    graph = model.subgraphs[0]
    assert "#define" not in source
    arena = re.search(r"^static union \{\n(.*?)\n\} tinyml_arena __attribute__\(\(aligned\(16\)\)\);$", source,
                      re.M | re.S)[1].split("\n")
    assert arena[0] == "    int8_t bytes[TINYML_ARENA_SIZE];"
    members = {}  # name -> (C type, offset, elements)
    for line in arena[1:]:
        match = re.match(r"    (?:struct \{ int8_t before_(\w+)\[(\d+)\]; )?(\w+) (\w+)\[(\d+)\];(?: \};)? /\* at (\d+):",
                         line)
        assert match, line
        assert match[1] in (None, match[4]) and int(match[2] or 0) == int(match[6])
        members[match[4]] = (match[3], int(match[6]), int(match[5]))
    # Each member where the planner put its buffer, typed and sized as its tensor.
    buffers, holder = arena_buffers(graph, steps)
    plan = plan_arena(buffers)
    assert plan.size == report.arena_bytes
    types = {"int8": ("int8_t", 1), "int32": ("int32_t", 4), "float32": ("float", 4)}
    for index, buffer in holder.items():
        tensor = graph.tensors[index]
        c_type, size = types[tensor.dtype]
        assert members.pop(tensor_symbol(tensor)) == (c_type, plan.offsets[buffer], int(np.prod(tensor.shape)))
        assert plan.offsets[buffer] + int(np.prod(tensor.shape)) * size <= plan.size
    for buffer in buffers:  # what is left: the scratch buffers
        if buffer.name.startswith("S_op"):
            assert members.pop(buffer.name) == ("int8_t", plan.offsets[buffer.name], buffer.size)
    assert members == {}
    # Kernel calls reach run-time tensors through the arena, constants through named pointers.
    for constant in {i for s in steps if isinstance(s, KernelCall) for i in s.constants}:
        tensor = graph.tensors[constant]
        offset = model.buffer_offsets[tensor.buffer_index]
        c_type = types[tensor.dtype][0]
        assert (f"static const {c_type} *const {tensor_symbol(tensor)} = (const {c_type} *)(tinyml_model_data + "
                f"{offset});") in source
    arguments = re.findall(r"^        /\* \w+ \*/ (.*?)[,)]", source, re.M)
    assert not [a for a in arguments if re.match(r"[TS]\d+_", a)]  # never a bare run-time symbol
    assert any(a.startswith("tinyml_arena.T") for a in arguments)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_float_is_one_exact_literal(tmp_path, name):
    model, _, _, _, source, _ = generated(tmp_path, name, "host")
    graph = model.subgraphs[0]
    assert not re.search(r"0x[0-9a-f.]+p[+-]?\d+f", source)  # no hex floats left
    scales = [np.float32(float(s)) for s in re.findall(r"\.scale = (\S+)f,", source)]
    quantizations = [graph.tensors[i].quantization for i in (*graph.inputs, *graph.outputs)]
    expected = [np.float32(q.scale[0] if q and q.scale else 0.0) for q in quantizations]
    assert scales == expected
    for literal in re.findall(r"(?<![\w.])(-?\d+\.\d*(?:e[+-]\d+)?|-?\d+e[+-]\d+)f\b", source):
        assert c_float(float(literal)) == f"{literal}f"  # already the shortest exact form


@pytest.mark.skipif(shutil.which("cc") is None, reason="no host C compiler")
@pytest.mark.parametrize("name", list(MODELS))
def test_generated_engine_compiles_without_warnings(tmp_path, name):
    """Typed arena members: float and int32 tensors reach the kernels as float * and int32_t *."""
    include = cmsis_nn_dir() / "Include"
    if not (include / "arm_nnfunctions.h").is_file():
        pytest.skip("CMSIS-NN is not installed")
    model, data, _, _, _, _ = generated(tmp_path, name, "host")
    out = tmp_path / f"{name}-host"
    write_model_sources(out, data, model, name)
    result = subprocess.run(["cc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                             f"-I{RUNTIME_INCLUDE}", f"-I{include}", f"-I{out}", str(out / "tinyml_engine.c")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
