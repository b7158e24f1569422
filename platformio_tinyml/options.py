"""The `custom_tinyml_*` options of a PlatformIO environment, read and checked without PlatformIO.

    options = parse_options(raw, project_dir)   # raw: {option name: text} from platformio.ini

Every mistake raises OptionError whose message names the option and says what to write instead.
Paths are resolved against the project folder but not opened here: the build hook reports missing
files, so that this module stays a pure function of its input.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

PREFIX = "custom_tinyml_"

# What each runtime can run: int8, and int16x8 (16-bit activations, 8-bit weights), whose ops the
# engine names when it has no int16 kernel for one.
RUNTIME_QUANTIZATIONS = {"tinyml": ("int8", "int16x8")}
QUANTIZATIONS = ("int8", "int16x8")

# Options this module does not interpret but which are ours, so they are not reported as typos:
# the emulator options belong to the PlatformIO platform (see the README).
OTHER_KNOWN_OPTIONS = ("emulator", "emulator_timeout", "qemu_machine")
# The accuracy thresholds when the options are not set (their only definition).
DEFAULT_MIN_AGREEMENT = 97.0     # percent of samples, outputs with several classes
DEFAULT_MIN_SNR = 20.0           # dB, other outputs
DEFAULT_MIN_FLOAT_COSINE = 0.9999
# GCC optimization levels the library's own code may be compiled at.
OPTIMIZATIONS = ("O2", "O3", "Os", "O1", "O0", "Ofast")

_MODULE_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_SIZE = re.compile(r"^(\d+)\s*(|k|kb|kib|m|mb|mib)$", re.IGNORECASE)
_SIZE_FACTORS = {"": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20}


class OptionError(ValueError):
    """A `custom_tinyml_*` option has a value we cannot use; the message says what to write."""


@dataclass(frozen=True)
class SampleSource:
    """Where samples come from: `.npz`/`.npy` files (a file or a folder of them), a Python
    `module:function` returning them, or `random` (calibration only)."""
    kind: str                  # 'files' | 'function' | 'random'
    text: str                  # as written in platformio.ini, for messages
    path: Path | None = None   # kind 'files'


@dataclass(frozen=True)
class Options:
    model: Path | None                 # None: no model, the hook does nothing
    model_text: str                    # as written, for messages
    calibration: SampleSource | None
    validation: SampleSource | None
    input_shapes: tuple[tuple[str | None, tuple[int, ...]], ...]  # (input name or None, shape)
    quantization: str
    runtime: str
    arena_size: int | None
    min_agreement: float | None        # percent; None: DEFAULT_MIN_AGREEMENT
    test_samples: int                  # golden test samples
    tolerance: int                     # golden test: largest |expected - actual| allowed, in LSB
    profile: bool                      # golden test: instructions per op
    trace: bool                        # golden test: name the first op whose output differs
    embed_samples: int                 # validation samples compiled in as tinyml_samples.h (0: none)
    written: dict[str, str]            # the custom_tinyml_* entries as written, for the converter
    min_float_cosine: float | None = None  # float TFLite vs source model; None: DEFAULT_MIN_FLOAT_COSINE
    min_snr: float | None = None           # dB, int8 vs source, outputs without classes; None: DEFAULT_MIN_SNR
    optimization: str = "O2"               # GCC -O level of the runtime, engine and CMSIS-NN
    python: str | None = None              # the Python that runs the model pipeline; None: chosen
    labels: tuple[str, ...] = ()           # output 0's class names, in class order
    labels_file: Path | None = None        # where they were read from, when a file
    keras_custom_objects: str | None = None  # a module defining a Keras model's own layer classes
    models: tuple[str, ...] = ()           # custom_tinyml_models: the firmware's several models' names
    shared_arena: bool = False             # those models use one arena in turn

    def conversion_settings(self) -> dict:
        """The options that change the converted model or its accuracy report (the cache key)."""
        return {
            "input_shapes": [[name, list(shape)] for name, shape in self.input_shapes],
            "quantization": self.quantization,
            "calibration": self.calibration.text if self.calibration else None,
            "validation": self.validation.text if self.validation else None,
            **({"keras_custom_objects": self.keras_custom_objects} if self.keras_custom_objects else {}),
            # Chooses among onnx2tf's option sets; absent when default, so keys stay as they were.
            **({"min_float_cosine": self.min_float_cosine} if self.min_float_cosine is not None else {}),
        }

    def summary(self) -> str:
        """One line for the provenance comment of the generated sources."""
        parts = [f"{PREFIX}model = {self.model_text}"]
        if self.calibration:
            parts.append(f"{PREFIX}calibration = {self.calibration.text}")
        if self.validation:
            parts.append(f"{PREFIX}validation = {self.validation.text}")
        if self.input_shapes:
            parts.append(f"{PREFIX}input_shape = {format_input_shapes(self.input_shapes)}")
        parts.append(f"{PREFIX}quantization = {self.quantization}")
        parts.append(f"{PREFIX}runtime = {self.runtime}")
        return "; ".join(parts)


OPTION_NAMES = ("model", "calibration", "validation", "input_shape", "quantization", "runtime",
                "arena_size", "min_agreement", "min_float_cosine", "min_snr", "test_samples", "tolerance", "profile",
                "trace", "embed_samples", "optimization", "python", "labels",
                "keras_custom_objects", "models", "shared_arena")
DEFAULT_TEST_SAMPLES = 8


def parse_options(raw: dict[str, str], project_dir: Path) -> Options:
    """Checks every `custom_tinyml_*` entry of `raw` (other keys are ignored)."""
    values = {}
    for key, value in raw.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX):]
        if name not in OPTION_NAMES and name not in OTHER_KNOWN_OPTIONS:
            raise OptionError(_unknown_option_message(key))
        values[name] = _single_line(key, value)

    model_text = values.get("model", "")
    runtime = _choice("runtime", values.get("runtime", "tinyml"), tuple(RUNTIME_QUANTIZATIONS))
    quantization = _choice("quantization", values.get("quantization", "int8"), QUANTIZATIONS)
    if quantization not in RUNTIME_QUANTIZATIONS[runtime]:
        raise OptionError(
            f"{PREFIX}quantization = {quantization}: runtime '{runtime}' has no {quantization} "
            f"kernels yet, so such a model could not run. Write {PREFIX}quantization = "
            f"{' or '.join(RUNTIME_QUANTIZATIONS[runtime])} (or leave the option out)."
        )
    return Options(
        model=_resolve(project_dir, model_text) if model_text else None,
        model_text=model_text,
        calibration=_sample_source("calibration", values.get("calibration"), project_dir,
                                   allow_random=True),
        validation=_sample_source("validation", values.get("validation"), project_dir,
                                  allow_random=False),
        input_shapes=_input_shapes(values.get("input_shape", "")),
        quantization=quantization,
        runtime=runtime,
        arena_size=_arena_size(values.get("arena_size", "")),
        min_agreement=_percent("min_agreement", values.get("min_agreement", "")),
        test_samples=_whole_number("test_samples", values.get("test_samples", ""), DEFAULT_TEST_SAMPLES, 1, 1000),
        tolerance=_whole_number("tolerance", values.get("tolerance", ""), 0, 0, 255),
        profile=_yes_no("profile", values.get("profile", "")),
        trace=_yes_no("trace", values.get("trace", "")),
        embed_samples=_whole_number("embed_samples", values.get("embed_samples", ""), 0, 0, 10000),
        written={PREFIX + name: value for name, value in values.items()},
        min_float_cosine=_fraction("min_float_cosine", values.get("min_float_cosine", "")),
        min_snr=_decibels("min_snr", values.get("min_snr", "")),
        optimization=_optimization(values.get("optimization", "")),
        python=_python(values.get("python", ""), project_dir),
        **_labels(values.get("labels", ""), project_dir),
        keras_custom_objects=_module_name("keras_custom_objects", values.get("keras_custom_objects", "")),
        models=_model_names(values.get("models", "")),
        shared_arena=_yes_no("shared_arena", values.get("shared_arena", "")),
    )


def format_input_shapes(shapes: tuple[tuple[str | None, tuple[int, ...]], ...]) -> str:
    return "; ".join((f"{name}=" if name else "") + ",".join(map(str, shape)) for name, shape in shapes)


def _unknown_option_message(key: str) -> str:
    known = [PREFIX + name for name in OPTION_NAMES + OTHER_KNOWN_OPTIONS]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"Did you mean {close[0]}? " if close else ""
    return f"{key} is not an option of platformio-tinyml. {hint}The options are: {', '.join(known)}."


def _single_line(key: str, value) -> str:
    # PlatformIO hands multi-line values over as lists.
    if isinstance(value, (list, tuple)):
        value = " ".join(str(part) for part in value)
    return str(value).strip()


def _resolve(project_dir: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else project_dir / path


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    lowered = value.lower()
    if lowered not in choices:
        raise OptionError(f"{PREFIX}{name} = {value}: write one of {', '.join(choices)}.")
    return lowered


def _sample_source(name: str, text: str | None, project_dir: Path, allow_random: bool) -> SampleSource | None:
    if not text:
        return None
    if text.lower() == "random":
        if not allow_random:
            raise OptionError(f"{PREFIX}{name} = random: held-out samples cannot be random. Name "
                              f"a .npz/.npy file or folder, or a Python module:function.")
        return SampleSource("random", "random")
    path = _resolve(project_dir, text)
    # `pkg.mod:fn` also looks like a relative path with a colon; a file of that name wins.
    if _MODULE_FUNCTION.match(text) and not path.exists():
        return SampleSource("function", text)
    if path.suffix.lower() not in (".npz", ".npy") and not (path.is_dir() or not path.suffix):
        raise OptionError(
            f"{PREFIX}{name} = {text}: samples must be a .npz or .npy file, a folder of them, "
            f"or a Python function written module:function" + (", or random" if allow_random else "") + "."
        )
    return SampleSource("files", text, path)


def _module_name(name: str, text: str) -> str | None:
    if not text:
        return None
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", text):
        raise OptionError(f"{PREFIX}{name} = {text}: name a Python module (e.g. my_layers, for my_layers.py in "
                          f"the project folder), not a file path.")
    return text


def _labels(text: str, project_dir: Path) -> dict:
    """`yes, no, unknown`, or a text file with one label per line."""
    if not text:
        return {}
    path = _resolve(project_dir, text)
    if "," not in text and (path.is_file() or path.suffix.lower() == ".txt"):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise OptionError(f"{PREFIX}labels = {text}: {path} cannot be read ({reason}). Name a UTF-8 text "
                              f"file with one label per line, or list the labels: yes, no, unknown.") from None
        labels = tuple(line.strip() for line in lines if line.strip())
        if not labels:
            raise OptionError(f"{PREFIX}labels = {text}: {path} has no labels; write one per line.")
        return {"labels": labels, "labels_file": path}
    labels = tuple(label.strip() for label in text.split(","))
    if not all(labels):
        raise OptionError(f"{PREFIX}labels = {text}: an empty label; separate the labels with single commas "
                          f"(yes, no, unknown), or name a text file with one per line.")
    return {"labels": labels}


def _input_shapes(text: str) -> tuple[tuple[str | None, tuple[int, ...]], ...]:
    """`1,49,10,1` for a single input; `audio=1,49,10,1; flags=1,4` to name several."""
    if not text:
        return ()
    shapes = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        name, _, dims = part.rpartition("=")
        try:
            shape = tuple(int(d) for d in dims.replace("x", ",").split(","))
        except ValueError:
            raise OptionError(
                f"{PREFIX}input_shape = {text}: '{dims.strip()}' is not a list of whole numbers. "
                f"Write the static shape with batch 1, e.g. 1,49,10,1 (or name=1,49,10,1; "
                f"other=1,4 for several inputs)."
            ) from None
        if any(d < 1 for d in shape):
            raise OptionError(f"{PREFIX}input_shape = {text}: every dimension must be a fixed "
                              f"number of at least 1 (the point of the option is to fix the "
                              f"dynamic ones).")
        if shape[0] != 1:
            raise OptionError(f"{PREFIX}input_shape = {text}: the first (batch) dimension must be 1; "
                              f"firmware runs one sample at a time.")
        shapes.append((name.strip() or None, shape))
    if len(shapes) > 1 and any(name is None for name, _ in shapes):
        raise OptionError(f"{PREFIX}input_shape = {text}: with several inputs, name each one: "
                          f"name=1,49,10,1; other=1,4.")
    return tuple(shapes)


def _arena_size(text: str) -> int | None:
    if not text:
        return None
    match = _SIZE.match(text.replace("_", ""))
    if not match or int(match.group(1)) == 0:
        raise OptionError(f"{PREFIX}arena_size = {text}: write a number of bytes, e.g. 32768 or 32K.")
    return int(match.group(1)) * _SIZE_FACTORS[match.group(2).lower()]


def _percent(name: str, text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text.rstrip("%").strip())
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise OptionError(f"{PREFIX}{name} = {text}: write a percentage between 0 and 100, e.g. 97.")
    if 0 < value < 1 and not text.endswith("%"):
        raise OptionError(f"{PREFIX}{name} = {text}: this is a percentage; for {value:.0%} write "
                          f"{value * 100:g} (or {text}% if you really mean {value}%).")
    return value


def _fraction(name: str, text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -2.0
    if not -1 <= value <= 1:
        raise OptionError(f"{PREFIX}{name} = {text}: write a cosine similarity between -1 and 1, e.g. 0.9999.")
    return value


def _decibels(name: str, text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text.lower().removesuffix("db").strip())
    except ValueError:
        raise OptionError(f"{PREFIX}{name} = {text}: write a signal-to-noise ratio in dB, e.g. 20.") from None


def _whole_number(name: str, text: str, default: int, low: int, high: int) -> int:
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise OptionError(f"{PREFIX}{name} = {text}: write a whole number from {low} to {high}.")
    return int(text)


def _yes_no(name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("", "no", "false", "0", "off"):
        return False
    if lowered in ("yes", "true", "1", "on"):
        return True
    raise OptionError(f"{PREFIX}{name} = {text}: write yes or no.")


def _optimization(text: str) -> str:
    if not text:
        return "O2"
    level = text.removeprefix("-")
    if level not in OPTIMIZATIONS:
        raise OptionError(f"{PREFIX}optimization = {text}: write one of {', '.join(OPTIMIZATIONS)} "
                          f"(GCC's -O levels; O2 is the default and what the figures are measured at).")
    return level


def _python(text: str, project_dir: Path) -> str | None:
    if not text:
        return None
    return str(_resolve(project_dir, text))


# Several models: `custom_tinyml_models = kws, digits` in the environment, each model's options in a
# section of its own, `[tinyml_model:kws]`, over the environment's custom_tinyml_* options.
MODEL_SECTION = "tinyml_model:"
# Options of the whole build, not of one model: in the environment only.
BUILD_OPTIONS = ("models", "shared_arena", "optimization", "python", "profile", "trace")
_MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def _model_names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.replace("\n", ",").split(",") if name.strip())
    for name in names:
        if not _MODEL_NAME.match(name) or name == "tinyml":
            raise OptionError(
                f"{PREFIX}models = {text}: '{name}' cannot name a model. A name is the prefix of the model's C "
                f"functions ({name}_invoke()): lower-case letters, digits and _, starting with a letter, and not "
                f"'tinyml'.")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise OptionError(f"{PREFIX}models = {text}: '{duplicates[0]}' is listed twice; give each model one name.")
    return names


def model_option_sets(env_raw: dict[str, str], sections: dict[str, dict[str, str] | None],
                      env_options: Options) -> list[dict]:
    """The custom_tinyml_* options of each model of custom_tinyml_models: the environment's, except
    the build's own, with the model's section over them. `sections`: each listed name's
    `[tinyml_model:<name>]` entries, None where the section is missing. [{"name", "options"}]."""
    if env_options.model is not None:
        raise OptionError(
            f"{PREFIX}model and {PREFIX}models are both set: with several models, give each its "
            f"{PREFIX}model in its own [{MODEL_SECTION}<name>] section.")
    if (env_options.profile or env_options.trace) and len(env_options.models) > 1:
        option = "profile" if env_options.profile else "trace"
        raise OptionError(
            f"{PREFIX}{option} works on a firmware with one model: profile or trace each model in an "
            f"environment of its own ({PREFIX}model = ...).")
    shared = {key: value for key, value in env_raw.items()
              if key.startswith(PREFIX) and key[len(PREFIX):] not in (*BUILD_OPTIONS, "model")}
    build = {key: value for key, value in env_raw.items()
             if key.startswith(PREFIX) and key[len(PREFIX):] in ("profile", "trace", "optimization", "python")}
    sets = []
    for name in env_options.models:
        section = sections.get(name)
        where = f"[{MODEL_SECTION}{name}]"
        if section is None:
            raise OptionError(
                f"{PREFIX}models names '{name}', but platformio.ini has no {where} section. Add one with the "
                f"model's options, at least {PREFIX}model = <file>.")
        for key in section:
            if not key.startswith(PREFIX):
                raise OptionError(f"{where}: '{key}' is not a platformio-tinyml option; a model's section holds "
                                  f"{PREFIX}* options only.")
            if key[len(PREFIX):] in BUILD_OPTIONS:
                raise OptionError(f"{where}: {key} is an option of the whole build; set it in the environment.")
        if not section.get(PREFIX + "model", "").strip():
            raise OptionError(f"{where} has no {PREFIX}model; name the model's file there.")
        sets.append({"name": name, "options": {**shared, **section, **build}})
    return sets
