"""Golden tests: the model's expected outputs from TFLite Micro's reference interpreter on the host,
embedded with their inputs in a Unity test firmware that checks the device computes the same.

The firmware prints one line per sample in a fixed format, so `pio test` reports each sample as a
test case and the figures (instructions, stack, arena) can be read back from the output."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .graph import Tensor
from .model_array import C_TYPES

# "[tinyml] sample 3: 1834212 instructions" and "[tinyml] stack 2144 of 8192 bytes, arena 22784 bytes"
SAMPLE_LINE = re.compile(r"\[tinyml\] sample (?P<sample>\d+): (?P<instructions>\d+) instructions")
MEMORY_LINE = re.compile(
    r"\[tinyml\] stack (?P<stack_used>\d+) of (?P<stack_size>\d+) bytes, arena (?P<arena>\d+) bytes"
)


TRACE_LINE = re.compile(r"\[tinyml\] trace sample (?P<sample>\d+) op (?P<op>\d+) hash (?P<hash>[0-9a-f]{8})")
OP_LINE = re.compile(r"\[tinyml\] op (?P<op>\d+) (?P<type>\w+) (?P<shapes>.*): (?P<instructions>\d+) instructions")


def read_device_report(output: str) -> dict:
    """What the golden test firmware printed: instructions per sample, per op, stack and arena."""
    report = {
        "instructions_per_sample": {int(m["sample"]): int(m["instructions"]) for m in SAMPLE_LINE.finditer(output)},
        "ops": [
            {"op": int(m["op"]), "type": m["type"], "shapes": m["shapes"], "instructions": int(m["instructions"])}
            for m in OP_LINE.finditer(output)
        ],
    }
    memory = MEMORY_LINE.search(output)
    if memory:
        report.update({key: int(value) for key, value in memory.groupdict().items()})
    total = sum(op["instructions"] for op in report["ops"])
    for op in report["ops"]:
        op["share"] = op["instructions"] / total if total else 0.0
    return report


def _invoke(interpreter, sample: tuple[np.ndarray, ...]) -> None:
    for index, array in enumerate(sample):
        interpreter.set_input(array, index)
    interpreter.invoke()


def fnv1a(data: bytes) -> int:
    """32-bit FNV-1a: the hash the golden firmware computes over each op's output when tracing."""
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def reference_trace(model_bytes: bytes, graph, inputs: list[tuple[np.ndarray, ...]]) -> list[dict[int, int]]:
    """Per sample, {model op index: hash of its first output} from TFLite Micro's intermediates."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(
        model_bytes, intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    traces = []
    for sample in inputs:
        _invoke(interpreter, sample)
        traces.append({op.index: fnv1a(np.ascontiguousarray(interpreter.GetTensor(op.outputs[0], 0)["tensor_data"])
                                       .tobytes())
                       for op in graph.operators})
    return traces


def first_differing_ops(output: str, expected: list[dict], op_names: dict[int, str]) -> list[str]:
    """One line per sample whose traced op outputs differ from the reference: the first such op."""
    seen: dict[int, list[tuple[int, int]]] = {}
    for match in TRACE_LINE.finditer(output):
        seen.setdefault(int(match["sample"]), []).append((int(match["op"]), int(match["hash"], 16)))
    lines = []
    for sample, ops in sorted(seen.items()):
        for op, value in ops:
            if sample < len(expected) and expected[sample].get(op) not in (None, value):
                lines.append(f"sample {sample}: the first op whose output differs from TFLite Micro's is "
                             f"op {op} ({op_names.get(op, '?')})")
                break
    return lines


def format_profile(report: dict) -> str:
    """The per-op table, as the test output shows it."""
    rows = [f"{'op':>4}  {'type':<20} {'shapes':<44} {'instructions':>13}  {'share':>6}"]
    for op in report["ops"]:
        rows.append(f"{op['op']:>4}  {op['type']:<20} {op['shapes']:<44} {op['instructions']:>13,}  "
                    f"{op['share']:>6.1%}")
    total = sum(op["instructions"] for op in report["ops"])
    rows.append(f"{'':>4}  {'total':<20} {'':<44} {total:>13,}  {1:>6.1%}")
    return "\n".join(rows)


def format_summary(report: dict) -> str:
    counts = sorted(report["instructions_per_sample"].values())
    parts = []
    if counts:
        parts.append(f"{len(counts)} samples, {counts[0]:,} to {counts[-1]:,} instructions per inference")
    if "arena" in report:
        parts.append(f"arena {report['arena']:,} B, stack {report['stack_used']:,} of {report['stack_size']:,} B")
    return "tinyml: " + "; ".join(parts) if parts else ""


@dataclass(frozen=True)
class GoldenSample:
    inputs: tuple[np.ndarray, ...]
    expected: tuple[np.ndarray, ...]


def quantize_samples(samples: list[np.ndarray], tensors: list[Tensor]) -> list[np.ndarray]:
    """Float samples (one array per input, samples first) -> the int8 inputs the device sees."""
    quantized = []
    for array, tensor in zip(samples, tensors, strict=True):
        scale, zero_point = tensor.quantization.scale[0], tensor.quantization.zero_point[0]
        values = np.round(array / scale) + zero_point
        quantized.append(np.clip(values, -128, 127).astype(np.int8))
    return quantized


def random_samples(tensors: list[Tensor], count: int) -> list[np.ndarray]:
    generator = np.random.default_rng(0)
    return [generator.integers(-128, 128, (count, *t.shape[1:]), dtype=np.int8) for t in tensors]


def golden_inputs(per_input: list[np.ndarray], tensors: list[Tensor], count: int) -> list[tuple[np.ndarray, ...]]:
    """The first `count` samples, each a tuple of batch-1 arrays shaped like the model's inputs."""
    count = min(count, min(array.shape[0] for array in per_input))
    return [tuple(array[i].reshape(t.shape) for array, t in zip(per_input, tensors, strict=True))
            for i in range(count)]


def render_embedded_samples(inputs: np.ndarray, labels: np.ndarray | None, provenance: str) -> str:
    """`tinyml_samples.h`: int8 samples (and their labels) for a firmware to run, e.g. a demo."""
    lines = [
        "/* Generated by platformio-tinyml (custom_tinyml_embed_samples): samples for the firmware to run.",
        f" * {provenance}",
        " * Include it in one source file only: it defines the arrays. */",
        "#ifndef TINYML_SAMPLES_H",
        "#define TINYML_SAMPLES_H",
        "",
        "#include <stdint.h>",
        "",
        f"#define TINYML_SAMPLE_COUNT {inputs.shape[0]}",
        f"#define TINYML_SAMPLES_HAVE_LABELS {int(labels is not None)}",
        "",
        f"static const int8_t tinyml_sample_inputs[TINYML_SAMPLE_COUNT][{inputs[0].size}] = {{",
    ]
    for sample in inputs:
        lines.append("    {" + ", ".join(str(int(v)) for v in sample.reshape(-1)) + "},")
    lines.append("};")
    if labels is not None:
        lines.append("static const int32_t tinyml_sample_labels[TINYML_SAMPLE_COUNT] = {")
        lines.append("    " + ", ".join(str(int(v)) for v in labels) + ",")
        lines.append("};")
    lines += ["", "#endif /* TINYML_SAMPLES_H */", ""]
    return "\n".join(lines)


def reference_outputs(
    model_bytes: bytes, inputs: list[tuple[np.ndarray, ...]], output_count: int
) -> list[GoldenSample]:
    """Runs every sample through TFLite Micro's reference kernels (tflite-micro from PyPI)."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model_bytes)
    samples = []
    for sample in inputs:
        _invoke(interpreter, sample)
        expected = tuple(np.array(interpreter.get_output(i)) for i in range(output_count))
        samples.append(GoldenSample(tuple(sample), expected))
    return samples


def _c_array(name: str, array: np.ndarray) -> str:
    c_type = C_TYPES[str(array.dtype)]
    flat = array.reshape(-1)
    body = []
    for start in range(0, flat.size, 16):
        body.append("    " + ", ".join(str(int(v)) for v in flat[start:start + 16]) + ",")
    return f"static const {c_type} {name}[{flat.size}] = {{\n" + "\n".join(body) + "\n};\n"


def render_golden_data(samples: list[GoldenSample], tolerance: int, profile: bool, trace: bool,
                       provenance: str) -> str:
    """`tinyml_golden_data.h`: every sample's inputs and expected outputs, and tables of pointers."""
    input_count = len(samples[0].inputs)
    output_count = len(samples[0].expected)
    lines = [
        "/* Generated by platformio-tinyml: golden samples and TFLite Micro's reference outputs.",
        f" * {provenance}",
        " */",
        "#ifndef TINYML_GOLDEN_DATA_H",
        "#define TINYML_GOLDEN_DATA_H",
        "",
        "#include <stdint.h>",
        "",
        f"#define TINYML_GOLDEN_SAMPLES {len(samples)}",
        f"#define TINYML_GOLDEN_TOLERANCE {tolerance} /* max |expected - actual| in LSB */",
        f"#define TINYML_GOLDEN_PROFILE {int(profile)} /* print each op's instructions (custom_tinyml_profile) */",
        f"#define TINYML_GOLDEN_TRACE {int(trace)} /* print a hash of each op's output (custom_tinyml_trace) */",
        "",
    ]
    for number, sample in enumerate(samples):
        for index, array in enumerate(sample.inputs):
            lines.append(_c_array(f"golden_input_{number}_{index}", array))
        for index, array in enumerate(sample.expected):
            lines.append(_c_array(f"golden_expected_{number}_{index}", array))
    for kind, count in (("input", input_count), ("expected", output_count)):
        lines.append(f"static const void *const golden_{kind}s[TINYML_GOLDEN_SAMPLES][{count}] = {{")
        for number in range(len(samples)):
            names = ", ".join(f"golden_{kind}_{number}_{index}" for index in range(count))
            lines.append(f"    {{{names}}},")
        lines.append("};\n")
    lines.append("#endif /* TINYML_GOLDEN_DATA_H */\n")
    return "\n".join(lines)
