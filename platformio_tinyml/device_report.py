"""What a golden test firmware printed, read back on the host: instructions per sample and per op,
stack and arena, and the first op whose traced output differs from the reference.

Plain Python without NumPy: the `pio test` runner uses it inside PlatformIO's own interpreter."""

from __future__ import annotations

import re

# "[tinyml] sample 3: 1834212 instructions" ("[tinyml] kws sample 3: ..." with several models) and
# "[tinyml] stack 2144 of 8192 bytes, arena 22784 bytes"
SAMPLE_LINE = re.compile(r"\[tinyml\] (?:(?P<model>[a-z]\w*) )?sample (?P<sample>\d+): (?P<instructions>\d+) instructions")
MEMORY_LINE = re.compile(
    r"\[tinyml\] stack (?P<stack_used>\d+) of (?P<stack_size>\d+) bytes, arena (?P<arena>\d+) bytes"
)


TRACE_LINE = re.compile(r"\[tinyml\] trace sample (?P<sample>\d+) op (?P<op>\d+) hash (?P<hash>[0-9a-f]{8})")
OP_LINE = re.compile(r"\[tinyml\] op (?P<op>\d+) (?P<type>\w+) (?P<shapes>.*): (?P<instructions>\d+) instructions")


def read_device_report(output: str) -> dict:
    """What the golden test firmware printed: instructions per sample, per op, stack and arena, and
    how many op outputs it hashed when tracing."""
    report = {
        "traced_op_outputs": len(TRACE_LINE.findall(output)),
        "instructions_per_sample": {int(m["sample"]): int(m["instructions"]) for m in SAMPLE_LINE.finditer(output)
                                    if not m["model"]},
        "ops": [
            {"op": int(m["op"]), "type": m["type"], "shapes": m["shapes"], "instructions": int(m["instructions"])}
            for m in OP_LINE.finditer(output)
        ],
    }
    for match in SAMPLE_LINE.finditer(output):
        if match["model"]:
            per_sample = report.setdefault("models", {}).setdefault(match["model"], {})
            per_sample[int(match["sample"])] = int(match["instructions"])
    memory = MEMORY_LINE.search(output)
    if memory:
        report.update({key: int(value) for key, value in memory.groupdict().items()})
    total = sum(op["instructions"] for op in report["ops"])
    for op in report["ops"]:
        op["share"] = op["instructions"] / total if total else 0.0
    return report


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
    parts = [_samples_part(report["instructions_per_sample"])] if report["instructions_per_sample"] else []
    parts += [f"{name}: {_samples_part(samples)}" for name, samples in report.get("models", {}).items()]
    if "arena" in report:
        parts.append(f"arena {report['arena']:,} B, stack {report['stack_used']:,} of {report['stack_size']:,} B")
    return "tinyml: " + "; ".join(parts) if parts else ""


def _samples_part(instructions_per_sample: dict[int, int]) -> str:
    counts = sorted(instructions_per_sample.values())
    if counts[-1] == 0:
        return f"{len(counts)} samples (no instruction counter on this board)"
    return f"{len(counts)} samples, {counts[0]:,} to {counts[-1]:,} instructions per inference"
