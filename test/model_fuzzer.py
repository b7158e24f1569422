"""A seeded model fuzzer (issue 12): mutants of real int8 models through the build's host path, and
the accepted ones compiled natively with AddressSanitizer and UBSan and compared byte for byte with
TFLite Micro's reference.

Mutant `seed` is a pure function of (seed, base models): a byte-level edit (bytes set to 0, 0xff, a
random value or bit-flipped, in the flatbuffer's tables or anywhere) or one structure-aware edit of
subgraph 0 (a tensor's shape, type, scale, zero point, axis or data; an operator's opcode, inputs,
outputs, options; the graph's inputs and outputs) written back with the package's writer.

Each mutant runs in a forked child: pipeline.run for the Corstone-300 (Cortex-M55) with golden data,
then the engine for the host. The outcome is one of
  clean      - a build error of the library's own (OptionError, ModelFormatError, ...), one message;
  traceback  - any other exception (a defect: the build would print "failed unexpectedly");
  crash/hang - the child died or did not finish;
  accepted   - firmware sources made.
Accepted mutants with distinct generated sources are compiled for the host with -fsanitize=address,
undefined (CMSIS-NN's files without the shift checks: its kernels left-shift negative values as an
idiom) and run on random inputs; each output byte is compared with TFLite Micro's reference.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import random
import shutil
import subprocess
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

import numpy as np

from model_edits import specs
from op_zoo import more_ops_zoo, op_zoo, transformer_op_zoo
from platformio_tinyml import pipeline
from platformio_tinyml.convert import cache
from platformio_tinyml.engine import generate_engine
from platformio_tinyml.engine_firmware import (inference_main, parse_outputs, random_cases,
                                               reference_outputs as engine_reference_outputs, raw_bytes)
from platformio_tinyml.graph import read_model
from platformio_tinyml.graph.flatbuffer import FlatBuffer
from platformio_tinyml.graph.schema import BUFFER, BUILTIN_OPERATORS, BUILTIN_OPTIONS, MODEL
from platformio_tinyml.isolated_reference import ReferenceError
from platformio_tinyml.model_array import write_model_sources
from platformio_tinyml.offline_setup import cmsis_nn_dir
from tflite_writer import write_model

RUNTIME = Path(pipeline.__file__).resolve().parent / "runtime"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
M55 = {"board_id": "corstone300", "core": "cortex-m55", "ram": 4 * 1024 * 1024, "flash": 4 * 1024 * 1024,
       "flash_what": "flash", "stack_reserve": 8192, "stack_reserve_source": "the fuzzer"}
HOST_PATH_TIMEOUT = 300.0  # seconds for one mutant's host path (the reference's own limit is longer)
CASES = 3                  # random inputs per accepted mutant
SHARED_MODELS = ("hello_world_int8.tflite", "kws_ref_model.tflite", "micro_speech_quantized.tflite",
                 "pretrainedResnet_quant.tflite")

INTS = (0, 1, -1, 2, 3, 4, 7, 8, 16, 127, 128, -128, -129, 255, 256, 1000, 32767, 65536, 2**31 - 1, -2**31)
FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, math.nan, math.inf, -math.inf, 1e-45, 1e-30, 1e-10, 1e10, 1e19, 1e30,
          3.4e38)
DTYPES = ("int8", "int8", "int32", "uint8", "int16", "float32", "int64", "bool", "float16", "string")
OPCODES = tuple(sorted(set(BUILTIN_OPERATORS.values())))


def base_models(shared: Path | None, examples: bool = True) -> dict[str, bytes]:
    """The models mutated: the shared third-party ones where present, the examples' int8 models where
    a build has converted them (the conversion cache), and int8 models the tests make (a CNN op zoo,
    a transformer op zoo and the added ops' zoo) everywhere."""
    models = {}
    for name in SHARED_MODELS:
        if shared is not None and (shared / name).is_file():
            models[name] = (shared / name).read_bytes()
    if examples:
        models.update(example_int8_models())
    models["op_zoo_1.tflite"] = op_zoo(1)
    models["transformer_op_zoo_2.tflite"] = transformer_op_zoo(2)
    models["more_ops_zoo_3.tflite"] = more_ops_zoo(3)
    return models


def example_int8_models() -> dict[str, bytes]:
    """The int8 conversions of the examples' float models that builds left in the conversion cache
    (the newest per model; its key depends on the converters' Python, so entries are matched by the
    model named in their report)."""
    wanted = {f"model/{path.name}": path for path in EXAMPLES.glob("*/model/*.onnx")}
    found: dict[str, tuple[float, bytes]] = {}
    root = cache.cache_root()
    for report_file in root.glob(f"*/{cache.REPORT_FILE}") if root.is_dir() else ():
        try:
            model_text = json.loads(report_file.read_text(encoding="utf-8")).get("model")
            data, made = (report_file.parent / cache.MODEL_FILE).read_bytes(), report_file.stat().st_mtime
        except (OSError, ValueError):
            continue
        if model_text in wanted:
            name = f"{Path(model_text).stem}.tflite"
            if name not in found or made > found[name][0]:
                found[name] = (made, data)
    return {name: data for name, (_, data) in sorted(found.items())}


# ---- mutation --------------------------------------------------------------------------------------

def mutate(name: str, data: bytes, seed: int) -> tuple[bytes, str]:
    """Mutant `seed` of the model and what was done to it."""
    rng = random.Random(f"{name}:{seed}")
    if rng.random() < 0.35:
        return byte_edit(data, rng)
    try:
        tensors, ops, inputs, outputs = specs(read_model(data, name))
        inputs, outputs = list(inputs), list(outputs)
        edit = rng.choice(STRUCTURE_EDITS)
        what = edit(rng, tensors, ops, inputs, outputs)
        return write_model(tensors, ops, inputs, outputs), what
    except Exception:  # noqa: BLE001 - the writer cannot express this edit: a byte edit instead
        return byte_edit(data, rng)


def _table_spans(data: bytes) -> list[tuple[int, int]]:
    """The byte ranges outside constant buffers' data: where the structure is."""
    root = FlatBuffer(data, "fuzz").root("model", MODEL)
    spans = sorted(span for buffer in root.tables("buffers", BUFFER, "buffer")
                   if (span := buffer.bytes_span("data")) is not None)
    free, position = [], 0
    for start, size in spans:
        if start > position:
            free.append((position, start))
        position = max(position, start + size)
    free.append((position, len(data)))
    return [(a, b) for a, b in free if b > a]


def byte_edit(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    changed = bytearray(data)
    try:
        spans = _table_spans(data) if rng.random() < 0.7 else [(0, len(data))]
    except Exception:  # noqa: BLE001 - an already unreadable file: anywhere
        spans = [(0, len(data))]
    edits = []
    for _ in range(rng.choice((1, 1, 2, 4))):
        start, end = rng.choice(spans)
        position = rng.randrange(start, end)
        how = rng.choice(("zero", "ff", "random", "bit"))
        changed[position] = {"zero": 0, "ff": 0xFF, "random": rng.randrange(256),
                             "bit": changed[position] ^ (1 << rng.randrange(8))}[how]
        edits.append(f"{how}@{position}")
    if rng.random() < 0.05:
        cut = rng.randrange(len(changed))
        del changed[cut:]
        edits.append(f"truncated@{cut}")
    return bytes(changed), "bytes " + ",".join(edits)


def _number_like(rng: random.Random, value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, float):
        return rng.choice((*FLOATS, value * 2, value / 2, -value, value * 1e6))
    if isinstance(value, int):
        return rng.choice((*INTS, value + 1, value - 1, value * 2))
    return value


def edit_shape(rng, tensors, ops, inputs, outputs) -> str:
    index = rng.randrange(len(tensors))
    shape = list(tensors[index].shape)
    how = rng.choice(("dim", "dim", "drop", "add", "empty"))
    if how == "dim" and shape:
        axis = rng.randrange(len(shape))
        shape[axis] = rng.choice((0, -1, 1, shape[axis] + 1, shape[axis] * 2, 2**31 - 1, 65536))
    elif how == "drop" and shape:
        shape.pop(rng.randrange(len(shape)))
    elif how == "add":
        shape.insert(rng.randrange(len(shape) + 1), rng.choice((1, 1, 2)))
    else:
        shape = []
    tensors[index] = dataclasses.replace(tensors[index], shape=tuple(shape))
    return f"tensor {index} shape -> {shape}"


def edit_dtype(rng, tensors, ops, inputs, outputs) -> str:
    index = rng.randrange(len(tensors))
    dtype = rng.choice(DTYPES)
    tensors[index] = dataclasses.replace(tensors[index], dtype=dtype)
    return f"tensor {index} type -> {dtype}"


def edit_scale(rng, tensors, ops, inputs, outputs) -> str:
    candidates = [i for i, t in enumerate(tensors) if t.scale] or list(range(len(tensors)))
    index = rng.choice(candidates)
    scale = list(tensors[index].scale) or [1.0]
    how = rng.choice(("value", "value", "value", "length", "none"))
    if how == "value":
        k = rng.randrange(len(scale))
        scale[k] = _number_like(rng, float(scale[k]))
    elif how == "length":
        scale = scale + [scale[-1]] if rng.random() < 0.5 or len(scale) == 1 else scale[:-1]
    else:
        scale = []
    zero_point = tuple(tensors[index].zero_point)[: len(scale)] if scale else ()
    zero_point = zero_point + (0,) * (len(scale) - len(zero_point))
    tensors[index] = dataclasses.replace(tensors[index], scale=tuple(scale), zero_point=zero_point)
    return f"tensor {index} scale ({how}) -> {scale[:4]}"


def edit_zero_point(rng, tensors, ops, inputs, outputs) -> str:
    candidates = [i for i, t in enumerate(tensors) if t.scale] or [0]
    index = rng.choice(candidates)
    zero_point = list(tensors[index].zero_point) or [0]
    k = rng.randrange(len(zero_point))
    zero_point[k] = rng.choice((*INTS, 2**31, -2**31 - 1, zero_point[k] + 1))
    tensors[index] = dataclasses.replace(tensors[index], zero_point=tuple(zero_point))
    return f"tensor {index} zero point {k} -> {zero_point[k]}"


def edit_axis(rng, tensors, ops, inputs, outputs) -> str:
    index = rng.choice([i for i, t in enumerate(tensors) if t.scale] or [0])
    axis = rng.choice((-1, 0, 1, 2, 3, 4, 100))
    tensors[index] = dataclasses.replace(tensors[index], quantized_dimension=axis)
    return f"tensor {index} quantized dimension -> {axis}"


def edit_data(rng, tensors, ops, inputs, outputs) -> str:
    index = rng.randrange(len(tensors))
    tensor = tensors[index]
    how = rng.choice(("drop", "truncate", "extend", "constant", "values"))
    if tensor.data is None or how == "constant":
        count = int(np.prod([max(d, 0) for d in tensor.shape])) if tensor.shape else 1
        data = np.zeros(min(count, 1 << 20), np.int8)
        how = "constant"
    elif how == "drop":
        data = None
    elif how == "truncate":
        flat = tensor.data.reshape(-1)
        data = flat[: rng.randrange(max(flat.size, 1))]
    elif how == "extend":
        flat = tensor.data.reshape(-1)
        data = np.concatenate([flat, flat[:1] if flat.size else np.zeros(1, flat.dtype)])
    else:
        data = tensor.data.copy()
        flat = data.reshape(-1).view(np.uint8)
        if flat.size:
            for _ in range(rng.choice((1, 4, 16))):
                flat[rng.randrange(flat.size)] = rng.randrange(256)
    tensors[index] = dataclasses.replace(tensor, data=data)
    return f"tensor {index} data ({how})"


def edit_opcode(rng, tensors, ops, inputs, outputs) -> str:
    index = rng.randrange(len(ops))
    present = sorted({op.opcode for op in ops})
    opcode = rng.choice(present if rng.random() < 0.5 else OPCODES)
    ops[index] = dataclasses.replace(ops[index], opcode=opcode)
    return f"operator {index} opcode -> {opcode}"


def _tensor_index(rng, tensors) -> int:
    return rng.choice((-1, -2, len(tensors), len(tensors) + 100, 2**31 - 1, rng.randrange(len(tensors)),
                       rng.randrange(len(tensors))))


def edit_op_tensors(rng, tensors, ops, inputs, outputs) -> str:
    index = rng.randrange(len(ops))
    field_name = rng.choice(("inputs", "inputs", "outputs"))
    values = list(getattr(ops[index], field_name))
    how = rng.choice(("replace", "replace", "drop", "add"))
    if how == "replace" and values:
        values[rng.randrange(len(values))] = _tensor_index(rng, tensors)
    elif how == "drop" and values:
        values.pop(rng.randrange(len(values)))
    else:
        values.append(_tensor_index(rng, tensors))
    ops[index] = dataclasses.replace(ops[index], **{field_name: tuple(values)})
    return f"operator {index} {field_name} ({how}) -> {values}"


def edit_options(rng, tensors, ops, inputs, outputs) -> str:
    index = rng.randrange(len(ops))
    op = ops[index]
    if not op.options or rng.random() < 0.2:
        options_type = rng.choice(BUILTIN_OPTIONS[1:])
        ops[index] = dataclasses.replace(op, options_type=options_type, options={})
        return f"operator {index} options type -> {options_type}"
    key = rng.choice(sorted(op.options))
    value = _number_like(rng, op.options[key])
    ops[index] = dataclasses.replace(op, options={**op.options, key: value})
    return f"operator {index} option {key} -> {value}"


def edit_graph_io(rng, tensors, ops, inputs, outputs) -> str:
    which = rng.choice((inputs, outputs))
    name = "inputs" if which is inputs else "outputs"
    how = rng.choice(("replace", "drop", "add"))
    if how == "replace" and which:
        which[rng.randrange(len(which))] = _tensor_index(rng, tensors)
    elif how == "drop" and which:
        which.pop(rng.randrange(len(which)))
    else:
        which.append(_tensor_index(rng, tensors))
    return f"graph {name} ({how}) -> {which}"


STRUCTURE_EDITS = (edit_shape, edit_dtype, edit_scale, edit_scale, edit_zero_point, edit_axis, edit_data,
                   edit_opcode, edit_op_tensors, edit_op_tensors, edit_options, edit_options, edit_graph_io)


# ---- the host path ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    label: str                 # mutant id: base model and seed
    what: str                  # the edit
    kind: str                  # clean | traceback | crash | hang | accepted
    detail: str = ""           # the message, the traceback's last line, or the accepted sources' hash
    sources: Path | None = None  # accepted: folder with the host engine and model array


def host_path(data: bytes, work: Path) -> tuple[str, str]:
    """pipeline.run on the mutant for the M55 with golden data, then the host engine into work/host."""
    project = work / "project"
    project.mkdir(parents=True)
    (project / "model.tflite").write_bytes(data)
    request = {"options": {"custom_tinyml_model": "model.tflite", "custom_tinyml_test_samples": "2"},
               "project_dir": str(project), "work_dir": str(work / "tinyml"), "board": M55, "golden": True}
    try:
        pipeline.run(request, lambda line: None)
        model = read_model(data, "model.tflite")
        generate_engine(model, data, work / "host", "host")
        write_model_sources(work / "host", data, model, "fuzz mutant")
    except pipeline.USER_ERRORS as exc:
        return "clean", str(exc).splitlines()[0][:300]
    except Exception:  # noqa: BLE001 - what the fuzzer is for
        return "traceback", traceback.format_exc().strip().splitlines()[-1][:300] + "\n" + traceback.format_exc()
    digest = hashlib.sha256()
    for path in sorted((work / "host").iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return "accepted", digest.hexdigest()


def _child(sender, data: bytes, work: Path) -> None:
    sender.send(host_path(data, work))
    sender.close()


def run_host_paths(mutants: list[tuple[str, str, bytes]], scratch: Path, jobs: int) -> list[Outcome]:
    """Every mutant's host path, `jobs` forked children at a time."""
    context = multiprocessing.get_context("fork")
    outcomes: dict[int, Outcome] = {}
    pending = list(enumerate(mutants))
    running = {}  # receiver -> (number, process, its work folder)
    seen = set()  # the accepted sources' hashes: only the first of each is kept for the sanitizers
    while pending or running:
        while pending and len(running) < jobs:
            number, (label, what, data) = pending.pop(0)
            work = scratch / f"m{number}"
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(sender, data, work))  # not a daemon: it forks the reference
            process.start()
            sender.close()
            running[receiver] = (number, process, work)
        ready = wait(list(running), timeout=HOST_PATH_TIMEOUT)
        if not ready:  # nothing finished within the timeout: the oldest child has run that long
            receiver = next(iter(running))
            number, process, work = running.pop(receiver)
            process.kill()
            process.join()
            receiver.close()
            shutil.rmtree(work, ignore_errors=True)
            label, what, _ = mutants[number]
            outcomes[number] = Outcome(label, what, "hang", f"no result within {HOST_PATH_TIMEOUT:.0f} s")
        for receiver in ready:
            number, process, work = running.pop(receiver)
            label, what, _ = mutants[number]
            try:
                kind, detail = receiver.recv()
            except EOFError:
                process.join()
                kind, detail = "crash", f"exit status {process.exitcode}"
            receiver.close()
            process.join()
            if kind == "accepted" and detail not in seen:
                seen.add(detail)
                for made in ("project", "tinyml"):
                    shutil.rmtree(work / made, ignore_errors=True)
                outcomes[number] = Outcome(label, what, kind, detail, work / "host")
            else:
                outcomes[number] = Outcome(label, what, kind, detail)
                shutil.rmtree(work, ignore_errors=True)
    return [outcomes[number] for number in range(len(mutants))]


# ---- sanitizers ------------------------------------------------------------------------------------

# UBSan prints every finding and goes on (the run's stderr is searched for them); ASan stops at its first.
# float-cast-overflow is not part of GCC's `undefined`: a float converted to an integer it does not fit.
SANITIZE = ["-fsanitize=address,undefined,float-cast-overflow", "-fno-omit-frame-pointer", "-g", "-O1"]
# CMSIS-NN's kernels shift negative values left (arm_nn_requantize and friends) by design.
CMSIS_NN_SANITIZE = [*SANITIZE, "-fno-sanitize=shift"]
# Its support header's rounding division builds the mask (1 << 31) - 1 for a shift of 31, which
# TFLite Micro also produces (a multiplier just above 2^-32): wrapping there is the idiom, and the
# header is inlined into the generated engine too.
UBSAN_SUPPRESSIONS = "".join(f"{check}:arm_nnsupportfunctions.h\n"
                             for check in ("shift-base", "shift-exponent", "signed-integer-overflow"))


@dataclass
class Sanitized:
    """The host libraries every accepted mutant links: CMSIS-NN and our runtime, built once."""
    folder: Path
    includes: list[str] = field(default_factory=list)
    archives: list[Path] = field(default_factory=list)


def _gcc() -> str:
    return shutil.which("gcc") or shutil.which("cc") or "gcc"


def _archive(sources: list[Path], flags: list[str], includes: list[str], out: Path, jobs: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    objects = [out / f"{number}_{source.stem}.o" for number, source in enumerate(sources)]
    commands = [[_gcc(), "-std=gnu11", *flags, *includes, "-c", str(source), "-o", str(obj)]
                for source, obj in zip(sources, objects)]
    for start in range(0, len(commands), jobs):
        running = [subprocess.Popen(command, stderr=subprocess.PIPE) for command in commands[start:start + jobs]]
        for process, command in zip(running, commands[start:start + jobs]):
            _, error = process.communicate()
            if process.returncode:
                raise RuntimeError(f"{' '.join(command)}:\n{error.decode()[-3000:]}")
    archive = out / "lib.a"
    subprocess.run(["ar", "rcs", str(archive), *map(str, objects)], check=True)
    return archive


def build_sanitized_libraries(folder: Path, jobs: int) -> Sanitized:
    cmsis = cmsis_nn_dir()
    includes = [f"-I{cmsis / 'Include'}", f"-I{RUNTIME / 'include'}"]
    cmsis_archive = _archive(sorted((cmsis / "Source").rglob("*.c")), CMSIS_NN_SANITIZE, includes,
                             folder / "cmsis-nn", jobs)
    runtime_archive = _archive(sorted((RUNTIME / "src").glob("*.c")), SANITIZE, includes, folder / "runtime", jobs)
    (folder / "ubsan.supp").write_text(UBSAN_SUPPRESSIONS)
    return Sanitized(folder, includes, [runtime_archive, cmsis_archive])


def sanitized_run(libraries: Sanitized, sources: Path, data: bytes) -> tuple[str, str]:
    """('bit-exact' | 'mismatch' | 'sanitizer' | 'refused', detail) for one accepted mutant."""
    model = read_model(data, "mutant")
    cases = random_cases(model, CASES, seed=0)
    try:
        expected = engine_reference_outputs(data, cases)
    except ReferenceError as exc:
        return "refused", f"TFLite Micro on random inputs: {exc}"
    (sources / "main.c").write_text(inference_main(cases))
    program = sources / "mutant"
    compiled = subprocess.run([_gcc(), "-std=gnu11", *SANITIZE, *libraries.includes, f"-I{sources}",
                               *map(str, sorted(sources.glob("*.c"))), *map(str, libraries.archives), "-lm",
                               "-o", str(program)], capture_output=True, text=True)
    if compiled.returncode:
        return "sanitizer", f"does not compile: {compiled.stderr[-2000:]}"
    ran = subprocess.run([str(program)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0",
                              "UBSAN_OPTIONS": f"suppressions={libraries.folder / 'ubsan.supp'}"})
    if "runtime error:" in ran.stderr or "AddressSanitizer" in ran.stderr or ran.returncode < 0:
        report = next((line for line in ran.stderr.splitlines()
                       if "runtime error:" in line or "ERROR: AddressSanitizer" in line), ran.stderr[-300:])
        return "sanitizer", report.strip()
    printed = parse_outputs(ran.stdout)
    for case, outputs in enumerate(expected):
        for number, want in enumerate(outputs):
            got = printed.get((case, number))
            if got is None or not np.array_equal(got, raw_bytes(want)):
                return "mismatch", (f"case {case} output {number}: {ran.stdout.strip().splitlines()[-1:]} "
                                    f"(exit {ran.returncode}) {ran.stderr.strip()[-300:]}")
    return "bit-exact", f"{len(expected)} cases"


# ---- the whole run ---------------------------------------------------------------------------------

@dataclass
class Report:
    outcomes: list[Outcome]
    checks: Counter            # bit-exact / mismatch / sanitizer / refused, over distinct accepted sources
    findings: list[str]        # every traceback, crash, hang, mismatch and sanitizer finding

    def summary(self) -> str:
        kinds = Counter(outcome.kind for outcome in self.outcomes)
        return (f"fuzz: {len(self.outcomes)} mutants: {kinds['clean']} clean errors, {kinds['traceback']} tracebacks, "
                f"{kinds['crash']} crashes, {kinds['hang']} hangs, {kinds['accepted']} accepted "
                f"({sum(self.checks.values())} distinct builds under ASan+UBSan: {self.checks['bit-exact']} bit-exact "
                f"with TFLite Micro, {self.checks['mismatch']} mismatches, {self.checks['sanitizer']} sanitizer "
                f"findings, {self.checks['refused']} refused by TFLite Micro on random inputs)")


def fuzz(count: int, shared: Path | None, jobs: int = 2, first_seed: int = 0,
         keep: Path | None = None) -> Report:
    models = base_models(shared)
    names = sorted(models)
    mutants = []
    for seed in range(first_seed, first_seed + count):
        name = names[seed % len(names)]
        data, what = mutate(name, models[name], seed)
        mutants.append((f"{name}#{seed}", what, data))
    with tempfile.TemporaryDirectory(prefix="tinyml-fuzz-") as scratch:
        scratch = Path(scratch)
        outcomes = run_host_paths(mutants, scratch / "mutants", jobs)
        checks: Counter = Counter()
        findings = [f"{o.kind}: {o.label} ({o.what}): {o.detail}" for o in outcomes
                    if o.kind in ("traceback", "crash", "hang")]
        accepted = [number for number, outcome in enumerate(outcomes) if outcome.sources is not None]
        if accepted:
            libraries = build_sanitized_libraries(scratch / "libraries", jobs)
            for number in accepted:
                outcome = outcomes[number]
                verdict, detail = sanitized_run(libraries, outcome.sources, mutants[number][2])
                checks[verdict] += 1
                if verdict in ("mismatch", "sanitizer"):
                    findings.append(f"{verdict}: {outcome.label} ({outcome.what}): {detail}")
                    if keep is not None:
                        keep.mkdir(parents=True, exist_ok=True)
                        (keep / f"{outcome.label.replace('#', '_')}.tflite").write_bytes(mutants[number][2])
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for outcome, (_, _, data) in zip(outcomes, mutants):
                if outcome.kind in ("traceback", "crash", "hang"):
                    (keep / f"{outcome.label.replace('#', '_')}.tflite").write_bytes(data)
    return Report(outcomes, checks, findings)
