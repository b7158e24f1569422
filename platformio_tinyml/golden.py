"""Golden tests: the model's expected outputs from TFLite Micro's reference interpreter on the host,
embedded with their inputs in a Unity test firmware that checks the device computes the same.

The firmware prints one line per sample in a fixed format, so `pio test` reports each sample as a
test case and the figures (instructions, stack, arena) can be read back from the output."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .graph import Tensor, read_model
from .isolated_reference import run_isolated
from .model_array import C_TYPES
from .model_names import DEFAULT_PREFIX, handle_symbol, macro_prefix


def reference_interpreter(model_bytes: bytes, preserve_all_tensors: bool = False):
    """TFLite Micro's host interpreter with an arena sized for the model. Its default, ten times the
    file's size, is too small for a small model with large activations (an ADD of two 100 kB inputs)."""
    from tflite_micro.python.tflite_micro import runtime

    graph = read_model(model_bytes).subgraphs[0]
    activations = sum(math.prod(t.shape) * _element_bytes(t.dtype) for t in graph.tensors if t.data is None)
    config = runtime.InterpreterConfig.kPreserveAllTensors if preserve_all_tensors else \
        runtime.InterpreterConfig.kAllocationRecording
    arena = max(10 * len(model_bytes), 2 * activations + (1 << 20))
    return runtime.Interpreter.from_bytes(model_bytes, arena_size=arena, intrepreter_config=config)


def _element_bytes(dtype: str) -> int:
    return 1 if dtype == "int4" else np.dtype(dtype).itemsize


def _invoke(interpreter, sample: tuple[np.ndarray, ...], keep_state: bool = False) -> None:
    """One sample, as a sequence of its own: a model's state (an LSTM's) reset first, as the golden
    firmware resets it with tinyml_reset_state(); or, keep_state, on the state the sample before left."""
    if not keep_state:
        interpreter.reset()
    for index, array in enumerate(sample):
        interpreter.set_input(array, index)
    interpreter.invoke()


def fnv1a(data: bytes) -> int:
    """32-bit FNV-1a: the hash the golden firmware computes over each op's output when tracing."""
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def reference_check(model_bytes: bytes, inputs: tuple[np.ndarray, ...], what: str) -> None:
    """TFLite Micro's reference allocates and runs the model once (in a child process), or
    ReferenceError says why not: before anything is generated from a model it cannot run."""
    run_isolated(_reference_runs, model_bytes, inputs, what=what)


def _reference_runs(model_bytes: bytes, inputs: tuple[np.ndarray, ...]) -> None:
    _invoke(reference_interpreter(model_bytes), inputs)


def reference_trace(model_bytes: bytes, graph, inputs: list[tuple[np.ndarray, ...]],
                    what: str = "the model") -> list[dict[int, int]]:
    """Per sample, {model op index: hash of its first output} from TFLite Micro's intermediates."""
    return run_isolated(_reference_trace, model_bytes, graph, inputs, what=what)


def _reference_trace(model_bytes: bytes, graph, inputs: list[tuple[np.ndarray, ...]]) -> list[dict[int, int]]:
    interpreter = reference_interpreter(model_bytes, preserve_all_tensors=True)
    traces = []
    for sample in inputs:
        _invoke(interpreter, sample)
        traces.append({op.index: fnv1a(np.ascontiguousarray(interpreter.GetTensor(op.outputs[0], 0)["tensor_data"])
                                       .tobytes())
                       for op in graph.operators})
    return traces


@dataclass(frozen=True)
class GoldenSample:
    inputs: tuple[np.ndarray, ...]
    expected: tuple[np.ndarray, ...]


def quantize_samples(samples: list[np.ndarray], tensors: list[Tensor]) -> list[np.ndarray]:
    """Float samples (one array per input, samples first) -> the int8 (int16) inputs the device sees."""
    quantized = []
    for array, tensor in zip(samples, tensors, strict=True):
        scale, zero_point = tensor.quantization.scale[0], tensor.quantization.zero_point[0]
        values = np.round(array / scale) + zero_point
        info = np.iinfo(tensor.dtype)
        quantized.append(np.clip(values, info.min, info.max).astype(tensor.dtype))
    return quantized


def random_samples(tensors: list[Tensor], count: int) -> list[np.ndarray]:
    """`count` random samples per input over its type's range, samples first: batch-1 rows, or whole
    tensors for an input whose batch is not 1 (a sample is always one invocation's input)."""
    generator = np.random.default_rng(0)
    return [generator.integers(np.iinfo(t.dtype).min, np.iinfo(t.dtype).max + 1,
                               (count, *(t.shape[1:] if t.shape[:1] == (1,) else t.shape)), dtype=t.dtype)
            for t in tensors]


def golden_inputs(per_input: list[np.ndarray], tensors: list[Tensor], count: int) -> list[tuple[np.ndarray, ...]]:
    """The first `count` samples, each a tuple of batch-1 arrays shaped like the model's inputs."""
    count = min(count, min(array.shape[0] for array in per_input))
    return [tuple(array[i].reshape(t.shape) for array, t in zip(per_input, tensors, strict=True))
            for i in range(count)]


def render_embedded_samples(inputs: np.ndarray, labels: np.ndarray | None, provenance: str,
                            prefix: str = DEFAULT_PREFIX) -> str:
    """`<prefix>_samples.h`: quantized samples (and their labels) for a firmware to run, e.g. a demo."""
    m = macro_prefix(prefix)
    lines = [
        "/* Generated by platformio-tinyml (custom_tinyml_embed_samples): samples for the firmware to run.",
        f" * {provenance}",
        " * Include it in one source file only: it defines the arrays. */",
        f"#ifndef {m}_SAMPLES_H",
        f"#define {m}_SAMPLES_H",
        "",
        "#include <stdint.h>",
        "",
        f"#define {m}_SAMPLE_COUNT {inputs.shape[0]}",
        f"#define {m}_SAMPLES_HAVE_LABELS {int(labels is not None)}",
        "",
        f"static const {C_TYPES[str(inputs.dtype)]} {prefix}_sample_inputs[{m}_SAMPLE_COUNT][{inputs[0].size}] = {{",
    ]
    for sample in inputs:
        lines.append("    {" + ", ".join(str(int(v)) for v in sample.reshape(-1)) + "},")
    lines.append("};")
    if labels is not None:
        lines.append(f"static const int32_t {prefix}_sample_labels[{m}_SAMPLE_COUNT] = {{")
        lines.append("    " + ", ".join(str(int(v)) for v in labels) + ",")
        lines.append("};")
    lines += ["", f"#endif /* {m}_SAMPLES_H */", ""]
    return "\n".join(lines)


def reference_outputs(model_bytes: bytes, inputs: list[tuple[np.ndarray, ...]], output_count: int,
                      what: str = "the model", keep_state: bool = False) -> list[GoldenSample]:
    """Runs every sample through TFLite Micro's reference kernels (tflite-micro from PyPI), in a child
    process (isolated_reference.py); each from a reset state unless keep_state."""
    return run_isolated(_reference_outputs, model_bytes, inputs, output_count, keep_state, what=what)


def _reference_outputs(model_bytes: bytes, inputs: list[tuple[np.ndarray, ...]], output_count: int,
                       keep_state: bool) -> list[GoldenSample]:
    interpreter = reference_interpreter(model_bytes)
    samples = []
    for sample in inputs:
        _invoke(interpreter, sample, keep_state)
        expected = tuple(np.array(interpreter.get_output(i)) for i in range(output_count))
        samples.append(GoldenSample(tuple(sample), expected))
    return samples


def _c_array(name: str, array: np.ndarray) -> str:
    """A C array of the values; float32 ones as their bits (uint32_t: exact, NaN included), which
    the suite reads through void pointers and compares bit for bit."""
    if array.dtype == np.float32:
        c_type, flat = "uint32_t", array.reshape(-1).view(np.uint32)
        text = [f"0x{int(v):08x}u" for v in flat]
    else:
        c_type, flat = C_TYPES[str(array.dtype)], array.reshape(-1)
        text = [str(int(v)) for v in flat]
    body = ["    " + ", ".join(text[start:start + 16]) + "," for start in range(0, len(text), 16)]
    return f"static const {c_type} {name}[{flat.size}] = {{\n" + "\n".join(body) + "\n};\n"


@dataclass(frozen=True)
class GoldenModel:
    """One model's part of the golden suite."""
    prefix: str                  # model_names.py: `tinyml` for a firmware's one model
    samples: list[GoldenSample]
    tolerance: int
    provenance: str


def render_golden_model(model: GoldenModel) -> str:
    """`<prefix>_golden_data.h`: one model's samples and expected outputs, and flat tables of
    pointers to them ([sample * count + index])."""
    samples, prefix = model.samples, model.prefix
    lines = [f"/* {prefix}: {model.provenance} */"]
    for number, sample in enumerate(samples):
        for index, array in enumerate(sample.inputs):
            lines.append(_c_array(f"{prefix}_golden_input_{number}_{index}", array))
        for index, array in enumerate(sample.expected):
            lines.append(_c_array(f"{prefix}_golden_expected_{number}_{index}", array))
    for kind in ("input", "expected"):
        count = len(samples[0].inputs if kind == "input" else samples[0].expected)
        lines.append(f"static const void *const {prefix}_golden_{kind}s[{len(samples) * count}] = {{")
        for number in range(len(samples)):
            names = ", ".join(f"{prefix}_golden_{kind}_{number}_{index}" for index in range(count))
            lines.append(f"    {names},")
        lines.append("};\n")
    return "\n".join(lines)


def render_golden_data(models: list[GoldenModel], profile: bool, trace: bool, arena_bytes: int) -> str:
    """`tinyml_golden_data.h`: every model's samples and TFLite Micro's outputs for them, and the
    table of models the golden suite (golden_suite/tinyml_golden_test.c) runs."""
    several = len(models) > 1
    lines = [
        "/* Generated by platformio-tinyml: golden samples and TFLite Micro's reference outputs. */",
        "#ifndef TINYML_GOLDEN_DATA_H",
        "#define TINYML_GOLDEN_DATA_H",
        "",
        "#include <stdint.h>",
        "",
        '#include "tinyml.h"',
        "",
        f"#define TINYML_GOLDEN_PROFILE {int(profile)} /* print each op's instructions (custom_tinyml_profile) */",
        f"#define TINYML_GOLDEN_TRACE {int(trace)} /* print a hash of each op's output (custom_tinyml_trace) */",
        f"#define TINYML_GOLDEN_ARENA_BYTES {arena_bytes}u /* the models' arenas, shared or not */",
        "",
        "typedef struct {",
        "    const char *name; /* NULL for a firmware's one model; test names and output lines carry it */",
        "    tinyml_model *model;",
        "    int samples;",
        "    int tolerance; /* max |expected - actual| in LSB */",
        "    const void *const *inputs;    /* [sample * input count + input] */",
        "    const void *const *expecteds; /* [sample * output count + output] */",
        "} tinyml_golden_model;",
        "",
        *(render_golden_model(model) for model in models),
        f"static const tinyml_golden_model golden_models[{len(models)}] = {{",
    ]
    for model in models:
        name = f'"{model.prefix}"' if several else "NULL"
        lines.append(f"    {{{name}, &{handle_symbol(model.prefix)}, {len(model.samples)}, {model.tolerance}, "
                     f"{model.prefix}_golden_inputs, {model.prefix}_golden_expecteds}},")
    lines += ["};", "", "#endif /* TINYML_GOLDEN_DATA_H */", ""]
    return "\n".join(lines)
