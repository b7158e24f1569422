"""The scratch bytes the engine plans and the kernels it calls, checked against CMSIS-NN's own code.

The engine decides at build time what arm_convolve_wrapper_s8 / arm_depthwise_conv_wrapper_s8
would dispatch to and how many bytes each kernel's `*_get_buffer_size()` asks for
(engine/scratch.py, lowering/conv_2d.py:conv_kernel, lowering/depthwise_conv_2d.py:depthwise_kernel).
Rather than assert numbers from the same formulas, this test compiles CMSIS-NN's real buffer-size
functions and wrappers for the host (test/fixtures/cmsis_nn_buffer_sizes.c: the wrappers link
against stub kernels that record which one was called), once per kernel path with the macro that
path's compiler gets (none, ARM_MATH_DSP, ARM_MATH_MVEI), and feeds them, for a grid of shapes, the
very dims and params the engine's lowering writes into the generated C.

Per case and path:
  * the function the engine calls is the wrapper's choice;
  * the bytes behind ctx.buf (arena scratch, or the flash table for MVE fully-connected) and
    ctx.size are at least what CMSIS-NN asks for: the wrapper's *_get_buffer_size for that path and
    the chosen kernel's own *_get_buffer_size (the engine calls the kernel directly), and ctx.buf is
    not NULL when that is more than 0;
  * ctx.size never claims more than the bytes behind ctx.buf;
  * planning more than CMSIS-NN asks is allowed but must be listed in OVERPLANNED (empty: the
    engine mirrors CMSIS-NN exactly).
"""

from __future__ import annotations

import itertools
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.engine.cores import KernelPath
from platformio_tinyml.engine.kernel_call import KernelCall
from platformio_tinyml.engine.lowering import LOWERINGS
from platformio_tinyml.engine.lowering.operands import OpNotSupported
from platformio_tinyml.graph.window_checks import output_size
from platformio_tinyml.engine.symbols import scratch_symbol
from platformio_tinyml.graph import Graph, Operator, Quantization, Tensor
from platformio_tinyml.offline_setup import cmsis_nn_dir

HARNESS = Path(__file__).parent / "fixtures" / "cmsis_nn_buffer_sizes.c"
PATHS = (KernelPath.PLAIN_C, KernelPath.DSP, KernelPath.MVE)
PATH_MACROS = {KernelPath.PLAIN_C: (), KernelPath.DSP: ("-DARM_MATH_DSP",), KernelPath.MVE: ("-DARM_MATH_MVEI",)}
PATH_NAMES = {KernelPath.PLAIN_C: "plain", KernelPath.DSP: "dsp", KernelPath.MVE: "mve"}
CMSIS_SOURCES = (
    "ConvolutionFunctions/arm_convolve_get_buffer_sizes_s8.c",
    "ConvolutionFunctions/arm_convolve_wrapper_s8.c",
    "ConvolutionFunctions/arm_depthwise_conv_wrapper_s8.c",
    "FullyConnectedFunctions/arm_fully_connected_get_buffer_sizes_s8.c",
    "PoolingFunctions/arm_avgpool_get_buffer_sizes_s8.c",
)
DEPTHWISE_SIZES = "ConvolutionFunctions/arm_depthwise_conv_get_buffer_sizes_s8.c"

# (opcode, path name, case description) -> (bytes planned, bytes CMSIS-NN asks): none today.
OVERPLANNED: dict[tuple[str, str, str], tuple[int, int]] = {}


# ---- the CMSIS-NN harness, built once per session and path ---------------------------------------

class Harness:
    def __init__(self, path: KernelPath, executable: Path):
        self.path, self.executable = path, executable

    def ask(self, queries: list[str]) -> list[list[str]]:
        """One process answers every query (one line each)."""
        done = subprocess.run([str(self.executable)], input="".join(q + "\n" for q in queries),
                              capture_output=True, text=True, timeout=120)
        lines = done.stdout.splitlines()
        assert done.returncode == 0 and len(lines) == len(queries), (
            f"harness ({self.path.value}) failed: rc {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return [line.split() for line in lines]


def _build(path: KernelPath, cmsis: Path, folder: Path) -> Harness:
    gcc = shutil.which("gcc") or shutil.which("cc")
    flags = ["-std=c99", "-O1", "-Wall", f"-I{cmsis / 'Include'}"]
    macros = PATH_MACROS[path]
    units = [(source, macros) for source in (HARNESS, *(cmsis / "Source" / name for name in CMSIS_SOURCES))]
    depthwise = cmsis / "Source" / DEPTHWISE_SIZES
    if path is KernelPath.MVE:
        # arm_nnsupportfunctions.h, which this file includes for CH_IN_BLOCK_MVE, has MVE inline helpers
        # that need <arm_mve.h>: parse the header as plain C, then compile the file's own code for MVE.
        unit = folder / "depthwise_sizes_mve.c"
        unit.write_text(f'#include "arm_nnsupportfunctions.h"\n#define ARM_MATH_MVEI 1\n#include "{depthwise}"\n')
        units.append((unit, ()))
    else:
        units.append((depthwise, macros))
    objects = []
    for number, (source, source_macros) in enumerate(units):
        obj = folder / f"{PATH_NAMES[path]}_{number}_{source.stem}.o"
        _run([gcc, *flags, *source_macros, "-c", str(source), "-o", str(obj)])
        objects.append(str(obj))
    executable = folder / f"cmsis_nn_buffer_sizes_{PATH_NAMES[path]}"
    _run([gcc, *objects, "-o", str(executable)])
    harness = Harness(path, executable)
    assert harness.ask(["path"]) == [[PATH_NAMES[path]]], "harness built for the wrong path"
    return harness


def _run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stderr}"


@pytest.fixture(scope="session")
def harnesses(tmp_path_factory) -> dict[KernelPath, Harness]:
    cmsis = cmsis_nn_dir()
    if not (cmsis / "Source" / DEPTHWISE_SIZES).is_file():
        pytest.skip(f"CMSIS-NN sources not installed in {cmsis}")
    if not (shutil.which("gcc") or shutil.which("cc")):
        pytest.skip("no host C compiler")
    folder = tmp_path_factory.mktemp("cmsis_nn_harness")
    return {path: _build(path, cmsis, folder) for path in PATHS}


# ---- graphs of one op, as the TFLite reader would give them ---------------------------------------

def _tensor(index, shape, dtype="int8", data=False, scale=(0.05,), zero_point=(0,), dim=0) -> Tensor:
    values = np.zeros(shape, {"int8": np.int8, "int32": np.int32}[dtype]) if data else None
    quant = Quantization(tuple(scale), tuple(zero_point), dim) if scale else None
    return Tensor(index=index, name=f"t{index}", shape=tuple(shape), dtype=dtype, buffer_index=index,
                  data=values, quantization=quant)


def _graph(opcode, tensors, options, options_type) -> Graph:
    op = Operator(index=0, opcode=opcode, version=1, inputs=tuple(range(len(tensors) - 1)),
                  outputs=(len(tensors) - 1,), options=options, options_type=options_type)
    return Graph(tensors=tuple(tensors), operators=(op,), inputs=(0,), outputs=(len(tensors) - 1,))


@dataclass(frozen=True)
class Case:
    opcode: str
    description: str
    graph: Graph


def _window_options(stride, dilation, padding):
    return {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
            "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
            "fused_activation_function": "NONE"}


def _out_hw(in_hw, filter_hw, stride, dilation, padding):
    return tuple(output_size(padding, in_hw[i], filter_hw[i], stride[i], dilation[i]) for i in (0, 1))


def conv_cases() -> list[Case]:
    """Every kernel size, input size, channel count, stride, dilation and padding below, in a seeded
    third of their combinations (all of them take 3x as long and find nothing more)."""
    cases, sample = [], random.Random(2024)
    filters = ((1, 1), (3, 3), (1, 3), (1, 5), (1, 8), (3, 1), (5, 1), (2, 2), (5, 5), (10, 4))
    inputs = ((1, 1), (1, 16), (1, 49), (8, 8), (9, 7), (16, 1))
    channels = (1, 2, 3, 4, 5, 6, 8, 15, 16, 17, 32, 64)
    strides = ((1, 1), (2, 2), (1, 2), (2, 1), (1, 3))
    dilations = ((1, 1), (2, 2), (1, 2))
    out_channels = (1, 3, 8, 16, 17)
    grid = itertools.product(filters, inputs, channels, strides, dilations, ("SAME", "VALID"))
    for number, (filter_hw, in_hw, in_c, stride, dilation, padding) in enumerate(grid):
        out_hw = _out_hw(in_hw, filter_hw, stride, dilation, padding)
        if sample.random() >= 1 / 3 or min(out_hw) < 1:
            continue
        batches = 2 if number % 11 == 0 else 1
        out_c = out_channels[number % len(out_channels)]
        tensors = [_tensor(0, (batches, *in_hw, in_c), zero_point=(-3,)),
                   _tensor(1, (out_c, *filter_hw, in_c), data=True, scale=(0.01,) * out_c,
                           zero_point=(0,) * out_c),
                   _tensor(2, (out_c,), "int32", data=True, scale=()),
                   _tensor(3, (batches, *out_hw, out_c), scale=(0.1,), zero_point=(2,))]
        description = (f"input {batches}x{in_hw[0]}x{in_hw[1]}x{in_c}, filter {filter_hw[0]}x{filter_hw[1]}, "
                       f"{out_c} outputs, stride {stride[0]}x{stride[1]}, dilation {dilation[0]}x{dilation[1]}, "
                       f"{padding}")
        cases.append(Case("CONV_2D", description,
                          _graph("CONV_2D", tensors, _window_options(stride, dilation, padding), "Conv2DOptions")))
    return cases


def depthwise_cases() -> list[Case]:
    """All combinations with depth multiplier 1 and no dilation (where the wrapper's choice and the
    sizes depend on the shape), a seeded quarter of the others (arm_depthwise_conv_s8, no buffer)."""
    cases, sample = [], random.Random(2024)
    filters = ((3, 3), (5, 5), (1, 3), (3, 1), (2, 2), (7, 7), (1, 1))
    inputs = ((1, 16), (8, 8), (9, 7), (16, 1))
    channels = (1, 3, 4, 8, 16, 17, 124, 130)
    grid = itertools.product(filters, inputs, channels, (1, 2, 3), ((1, 1), (2, 2), (1, 2)),
                             ((1, 1), (2, 2), (2, 1)), ("SAME", "VALID"))
    for number, (filter_hw, in_hw, in_c, multiplier, stride, dilation, padding) in enumerate(grid):
        out_hw = _out_hw(in_hw, filter_hw, stride, dilation, padding)
        thinned = (multiplier, dilation) != (1, (1, 1)) and sample.random() >= 1 / 4
        if thinned or min(out_hw) < 1:
            continue
        batches = 2 if number % 13 == 0 else 1
        out_c = in_c * multiplier
        tensors = [_tensor(0, (batches, *in_hw, in_c), zero_point=(5,)),
                   _tensor(1, (1, *filter_hw, out_c), data=True, scale=(0.01,) * out_c,
                           zero_point=(0,) * out_c, dim=3),
                   _tensor(2, (out_c,), "int32", data=True, scale=()),
                   _tensor(3, (batches, *out_hw, out_c), scale=(0.1,), zero_point=(-1,))]
        options = {**_window_options(stride, dilation, padding), "depth_multiplier": multiplier}
        description = (f"input {batches}x{in_hw[0]}x{in_hw[1]}x{in_c}, filter {filter_hw[0]}x{filter_hw[1]}, "
                       f"depth multiplier {multiplier}, stride {stride[0]}x{stride[1]}, "
                       f"dilation {dilation[0]}x{dilation[1]}, {padding}")
        cases.append(Case("DEPTHWISE_CONV_2D", description,
                          _graph("DEPTHWISE_CONV_2D", tensors, options, "DepthwiseConv2DOptions")))
    return cases


def fully_connected_cases() -> list[Case]:
    cases = []
    grid = itertools.product((1, 2, 3, 4, 7, 8, 15, 16, 17, 64, 250), (1, 2, 3, 10, 16, 17, 100), (1, 2, 5),
                             ("per tensor", "per channel"))
    for depth, units, batches, weights in grid:
        scales = (0.01,) if weights == "per tensor" else tuple(0.01 + 0.001 * i for i in range(units))
        tensors = [_tensor(0, (batches, depth), zero_point=(7,)),
                   _tensor(1, (units, depth), data=True, scale=scales, zero_point=(0,) * len(scales)),
                   _tensor(2, (units,), "int32", data=True, scale=()),
                   _tensor(3, (batches, units), scale=(0.2,), zero_point=(-4,))]
        options = {"fused_activation_function": "NONE", "weights_format": "DEFAULT", "keep_num_dims": False}
        cases.append(Case("FULLY_CONNECTED", f"{batches} x {depth} by {units}, weights {weights}",
                          _graph("FULLY_CONNECTED", tensors, options, "FullyConnectedOptions")))
    return cases


def pooling_cases() -> list[Case]:
    cases = []
    grid = itertools.product(("AVERAGE_POOL_2D", "MAX_POOL_2D"), (1, 2, 3, 4, 7, 8, 16, 17, 64, 130),
                             ((1, 1), (4, 4), (7, 7), (10, 1)), ((1, 1), (2, 2), (3, 3), (7, 7)),
                             ((1, 1), (2, 2)), ("SAME", "VALID"))
    for opcode, channels, in_hw, filter_hw, stride, padding in grid:
        out_hw = _out_hw(in_hw, filter_hw, stride, (1, 1), padding)
        if min(out_hw) < 1:
            continue
        tensors = [_tensor(0, (1, *in_hw, channels), zero_point=(3,)),
                   _tensor(1, (1, *out_hw, channels), zero_point=(3,))]
        options = {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
                   "filter_height": filter_hw[0], "filter_width": filter_hw[1], "fused_activation_function": "NONE"}
        description = (f"input 1x{in_hw[0]}x{in_hw[1]}x{channels}, window {filter_hw[0]}x{filter_hw[1]}, "
                       f"stride {stride[0]}x{stride[1]}, {padding}")
        cases.append(Case(opcode, description, _graph(opcode, tensors, options, "Pool2DOptions")))
    return cases


GRIDS = {"CONV_2D": conv_cases, "DEPTHWISE_CONV_2D": depthwise_cases, "FULLY_CONNECTED": fully_connected_cases,
         "POOL_2D": pooling_cases}


# ---- what the engine's lowering wrote into the generated C ------------------------------------------

def parse_initializer(text: str):
    """A designated initializer as c_struct writes it ({.a = 1, .b = {.w = 2}}) back to dicts."""
    tokens = re.findall(r"[{},=]|\.[A-Za-z_]\w*|[^{},=\s][^{},=]*", text)
    position = 0

    def value():
        nonlocal position
        token = tokens[position]
        position += 1
        if token != "{":
            token = token.strip()
            return int(token) if re.fullmatch(r"-?\d+", token) else token
        fields = {}
        while tokens[position] != "}":
            name, equals = tokens[position], tokens[position + 1]
            assert name.startswith(".") and equals == "=", text
            position += 2
            fields[name[1:]] = value()
            if tokens[position] == ",":
                position += 1
        position += 1
        return fields

    return value()


def _dims(d) -> str:
    return f"{d['n']} {d['h']} {d['w']} {d['c']}"


def _window(p) -> str:
    return (f"{p['stride']['w']} {p['stride']['h']} {p['padding']['w']} {p['padding']['h']} "
            f"{p['dilation']['w']} {p['dilation']['h']}")


def harness_query(call: KernelCall, values: dict) -> str | None:
    """The question for CMSIS-NN, from the dims and params the engine passes to the kernel."""
    if "conv_params" in values:       # CONV_2D, and FULLY_CONNECTED per channel (a 1x1 convolution)
        return (f"conv {_dims(values['input_dims'])} {_dims(values['filter_dims'])} "
                f"{_dims(values['output_dims'])} {_window(values['conv_params'])}")
    if "dw_conv_params" in values:
        params = values["dw_conv_params"]
        return (f"dw {_dims(values['input_dims'])} {_dims(values['filter_dims'])} "
                f"{_dims(values['output_dims'])} {_window(params)} {params['ch_mult']}")
    if call.function == "arm_fully_connected_s8":
        return f"fc {_dims(values['filter_dims'])}"
    if call.function == "arm_avgpool_s8":
        return f"avgpool {values['output_dims']['w']} {values['input_dims']['c']}"
    return None                       # arm_max_pool_s8: CMSIS-NN has no buffer function, ignores ctx


TABLE_ELEMENT_BYTES = {"int32_t": 4, "int16_t": 2, "int8_t": 1}


def bytes_behind_buf(call: KernelCall, buf) -> int:
    """How many bytes ctx.buf points at: the op's arena scratch, or a flash table of the op."""
    def names(symbol):  # the symbol itself, or an expression built on it (tinyml_arena.S_op3_scratch, casts)
        return re.search(rf"(?<![\w]){re.escape(symbol)}(?![\w])", str(buf)) is not None

    if buf == "NULL":
        return 0
    if names(scratch_symbol(call.op_index)):
        return call.scratch_bytes
    for table in call.tables:
        if names(table.name):
            return TABLE_ELEMENT_BYTES[table.c_type] * len(table.values)
    raise AssertionError(f"ctx.buf {buf!r} is neither the op's scratch nor one of its tables")


# ---- the check ----------------------------------------------------------------------------------------

@dataclass
class Outcome:
    cases: int = 0
    refused: int = 0
    problems: list = None
    overplanned: dict = None


def check_grid(grid: str, path: KernelPath, harness: Harness) -> Outcome:
    lowered = []
    outcome = Outcome(problems=[], overplanned={})
    for case in GRIDS[grid]():
        op = case.graph.operators[0]
        try:
            call = LOWERINGS[op.opcode](case.graph, op, path)
        except OpNotSupported:
            outcome.refused += 1
            continue
        values = {local.name: parse_initializer(local.initializer) for local in call.locals}
        lowered.append((case, call, values, harness_query(call, values)))
    queries = [query for *_, query in lowered if query is not None]
    answers = iter(harness.ask(queries) if queries else [])
    where = PATH_NAMES[path]
    for case, call, values, query in lowered:
        outcome.cases += 1
        label = f"{case.opcode} {case.description} on the {path.value} path ({where})"
        context = values.get("context", {"buf": "NULL", "size": 0})
        provided = bytes_behind_buf(call, context["buf"])
        if query is None:
            kernel, required = call.function, 0
        else:
            kernel, generic, dsp, mve, own = next(answers)
            generic, dsp, mve, own = int(generic), int(dsp), int(mve), int(own)
            twin = {KernelPath.PLAIN_C: generic, KernelPath.DSP: dsp, KernelPath.MVE: mve}[path]
            assert generic == twin, f"{label}: CMSIS-NN's generic size {generic} != its {where} twin {twin}"
            required = max(generic, own)
            if kernel != call.function:
                outcome.problems.append(f"{label}: engine calls {call.function}, "
                                        f"CMSIS-NN's wrapper calls {kernel}")
        if provided < required or context["size"] < required:
            outcome.problems.append(f"{label}: engine plans {provided} scratch bytes for {call.function} "
                                    f"(ctx.size {context['size']}), CMSIS-NN needs {required}")
        if context["size"] > provided:
            outcome.problems.append(f"{label}: ctx.size {context['size']} but only {provided} bytes "
                                    f"behind ctx.buf ({context['buf']})")
        if provided > required:
            outcome.overplanned[(case.opcode, where, case.description)] = (provided, required)
    return outcome


@pytest.mark.parametrize("path", PATHS, ids=lambda p: PATH_NAMES[p])
@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_engine_plans_what_cmsis_nn_asks(grid, path, harnesses, record_property):
    outcome = check_grid(grid, path, harnesses[path])
    record_property("cases", outcome.cases)
    print(f"{grid} on {PATH_NAMES[path]}: {outcome.cases} cases checked, {outcome.refused} refused by the "
          f"lowering, {len(outcome.overplanned)} over-planned")
    assert outcome.cases > 100
    if outcome.problems:
        shown = outcome.problems[:25]
        pytest.fail(f"{len(outcome.problems)} of {outcome.cases} cases disagree with CMSIS-NN"
                    f"{' (first 25)' if len(shown) < len(outcome.problems) else ''}:\n" + "\n".join(shown),
                    pytrace=False)
    expected = {key: sizes for key, sizes in OVERPLANNED.items()
                if key[1] == PATH_NAMES[path] and (key[0] == grid or grid == "POOL_2D" and "POOL" in key[0])}
    if outcome.overplanned != expected:
        pytest.fail("planned more than CMSIS-NN asks (allowed, but list it in OVERPLANNED):\n" + "\n".join(
            f"{op} {description} on {where}: planned {planned}, CMSIS-NN asks {asked}"
            for (op, where, description), (planned, asked) in sorted(outcome.overplanned.items())), pytrace=False)


def test_parse_initializer_reads_what_c_struct_writes():
    from platformio_tinyml.engine.kernel_call import c_dims, c_struct
    text = c_struct(buf="(void *)op3_sums", size=40, stride={"w": 2, "h": -1})
    assert parse_initializer(text) == {"buf": "(void *)op3_sums", "size": 40, "stride": {"w": 2, "h": -1}}
    assert parse_initializer(c_dims(1, 2, 3, 4)) == {"n": 1, "h": 2, "w": 3, "c": 4}
