"""Several models in one firmware (custom_tinyml_models): each under its own name, with its own
golden suite, an arena of its own or one shared, and the budget over all of them."""

import json
import re

import pytest

from conftest import REPO, run_pio, shared_model_path
from platformio_tinyml.budget import BudgetError, MemoryNeeds, check_budget
from platformio_tinyml.options import OptionError, model_option_sets, parse_options
from tiny_transformer import tiny_transformer

DIGITS = REPO / "examples" / "digits_transformer" / "model"
RUNNER = "from platformio_tinyml.pio_test import CustomTestRunner  # noqa: F401\n"

# A firmware using both models by their own names, the float and label API included.
MAIN_C = """
#include <stdio.h>
#include "tinyml.h"

int main(void) {
    if (alpha_init() != TINYML_OK || beta_init() != TINYML_OK) {
        printf("init failed\\n");
        return 1;
    }
    static float input[ALPHA_INPUT0_ELEMENTS];
    for (unsigned i = 0; i < ALPHA_INPUT0_ELEMENTS; i++) input[i] = 0.01f * (float)i;
    printf("alpha set %s\\n", tinyml_status_name(alpha_set_input_float(0, input, ALPHA_INPUT0_ELEMENTS)));
    printf("alpha invoke %s argmax %d\\n", tinyml_status_name(alpha_invoke()), alpha_output_argmax(0));
    printf("beta wrong size %s\\n", tinyml_status_name(beta_set_input_float(0, input, BETA_INPUT0_ELEMENTS + 1)));
    printf("beta invoke %s label count %d\\n", tinyml_status_name(beta_invoke()), beta_label_count());
    printf("arenas %u %u\\n", (unsigned)alpha_arena_size(), (unsigned)tinyml_model_arena_size(&beta_model));
    return 0;
}
"""


def several_models_project(root, sections: dict[str, dict[str, str]], board: str, extra: str = "", files=None):
    root.mkdir(parents=True, exist_ok=True)
    for name, text in {"test/test_tinyml_golden/test_main.c": '#include "tinyml_golden_test.c"\n',
                       "test/test_custom_runner.py": RUNNER, **(files or {})}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    text = "".join(f"\n[tinyml_model:{name}]\n" + "".join(f"{key} = {value}\n" for key, value in options.items())
                   for name, options in sections.items())
    (root / "platformio.ini").write_text(
        f"[platformio]\nplatforms_dir = .pio/platforms\n\n"
        f"[env]\nplatform = symlink://{REPO / 'platformio_tinyml' / 'platform'}\nlib_deps = symlink://{REPO}\n"
        f"test_framework = custom\n{text}\n[env:board]\nboard = {board}\n"
        f"custom_tinyml_models = {', '.join(sections)}\n{extra}\n")
    return root


def golden_cases(output: str) -> dict[str, str]:
    return dict(re.findall(r"tinyml_golden_test\.c:\d+: (\w+)\s+\[(PASSED|FAILED|IGNORED)\]", output))


@pytest.fixture(scope="module")
def two_transformers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two")
    for name, seed in (("alpha", 3), ("beta", 4)):
        (folder / f"{name}.tflite").write_bytes(tiny_transformer(seed=seed))
    return folder


@pytest.mark.parametrize("board", ["native", "nrf52840"])
def test_two_models_each_under_its_name_with_arenas_of_their_own(two_transformers, tmp_path, board):
    project = several_models_project(
        tmp_path / "p", {"alpha": {"custom_tinyml_model": two_transformers / "alpha.tflite"},
                         "beta": {"custom_tinyml_model": two_transformers / "beta.tflite",
                                  "custom_tinyml_labels": "a, b, c, d, e, f, g, h, i, j"}},
        board, files={"src/main.c": MAIN_C})
    done = run_pio(project, "run", "-t", "exec")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    ready = re.search(r"tinyml: 2 models ready \(arenas ([\d,]+) B: alpha ([\d,]+) B, beta ([\d,]+) B\)", output)
    assert ready, output
    total, alpha, beta = (int(group.replace(",", "")) for group in ready.groups())
    assert total == alpha + beta
    assert "tinyml: alpha: schedule for" in output and "tinyml: beta: schedule for" in output
    assert re.search(r"alpha set TINYML_OK\nalpha invoke TINYML_OK argmax \d", output), output
    assert "beta wrong size TINYML_ERROR_BAD_SIZE\nbeta invoke TINYML_OK label count 10\n" in output
    assert f"arenas {alpha} {beta}" in output

    done = run_pio(project, "test")
    output = done.stdout + done.stderr
    cases = golden_cases(output)
    assert done.returncode == 0, output
    assert [name for name in cases if name.startswith("alpha_")] == [f"alpha_golden_sample_{i}" for i in range(8)]
    assert [name for name in cases if name.startswith("beta_")] == [f"beta_golden_sample_{i}" for i in range(8)]
    assert set(cases.values()) <= {"PASSED", "IGNORED"}, cases

    if board == "native":  # the plain functions do not say which model: a compile-time error says so
        (project / "src" / "main.c").write_text('#include "tinyml.h"\nint main(void) { return tinyml_invoke(); }\n')
        done = run_pio(project, "run")
        assert done.returncode != 0
        assert ("this firmware has several models (custom_tinyml_models): call the model's own function, e.g. "
                "kws_invoke() for tinyml_invoke()") in done.stdout + done.stderr


def test_kws_and_the_digits_transformer_share_an_arena_on_the_m55(tmp_path):
    kws = shared_model_path("kws_ref_model.tflite")
    project = several_models_project(
        tmp_path / "p",
        {"kws": {"custom_tinyml_model": kws},
         "digits": {"custom_tinyml_model": DIGITS / "digits_transformer_p2.onnx",
                    "custom_tinyml_calibration": DIGITS / "calibration.npz",
                    "custom_tinyml_validation": DIGITS / "test_data.npz"}},
        "corstone300", "custom_tinyml_shared_arena = yes")
    done = run_pio(project, "test", timeout=1200)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # Each model's report beside its int8 model; the firmware's one arena is the larger of the two.
    work = project / ".pio" / "build" / "board" / "tinyml"
    kws_arena, digits_arena = (json.loads((work / name / "engine_report.json").read_text())["arena_bytes"]
                               for name in ("kws", "digits"))
    shared = max(kws_arena, digits_arena)
    assert f"int8_t tinyml_shared_arena[{shared}];" in (work / "generated" / "tinyml_models.c").read_text()
    cases = golden_cases(output)
    assert sum(name.startswith("kws_golden_sample_") for name in cases) == 8
    assert sum(name.startswith("digits_golden_sample_") for name in cases) == 8
    assert set(cases.values()) == {"PASSED"}, cases
    # The figures per model, and the one arena the firmware has.
    assert re.search(r"tinyml: kws: 8 samples, [\d,]+ to [\d,]+ instructions per inference; digits: 8 samples, "
                     rf"[\d,]+ to [\d,]+ instructions per inference; arena {shared:,} B, stack", output), output


def test_several_models_options(tmp_path):
    env = {"custom_tinyml_models": "kws, vad", "custom_tinyml_tolerance": "1"}
    options = parse_options(env, tmp_path)
    sets = model_option_sets(env, {"kws": {"custom_tinyml_model": "kws.tflite"},
                                   "vad": {"custom_tinyml_model": "vad.tflite", "custom_tinyml_tolerance": "0"}},
                             options)
    assert sets == [{"name": "kws", "options": {"custom_tinyml_tolerance": "1", "custom_tinyml_model": "kws.tflite"}},
                    {"name": "vad", "options": {"custom_tinyml_tolerance": "0", "custom_tinyml_model": "vad.tflite"}}]
    refusals = {
        r"no \[tinyml_model:vad\] section": ({"kws": {"custom_tinyml_model": "a"}, "vad": None}, env),
        r"\[tinyml_model:vad\] has no custom_tinyml_model": ({"kws": {"custom_tinyml_model": "a"}, "vad": {}}, env),
        r"\[tinyml_model:vad\]: custom_tinyml_optimization is an option of the whole build": (
            {"kws": {"custom_tinyml_model": "a"}, "vad": {"custom_tinyml_model": "b", "custom_tinyml_optimization": "O3"}},
            env),
        "custom_tinyml_model and custom_tinyml_models are both set": (
            {"kws": {"custom_tinyml_model": "a"}, "vad": {"custom_tinyml_model": "b"}},
            {**env, "custom_tinyml_model": "c.tflite"}),
        "custom_tinyml_profile works on a firmware with one model": (
            {"kws": {"custom_tinyml_model": "a"}, "vad": {"custom_tinyml_model": "b"}},
            {**env, "custom_tinyml_profile": "yes"}),
    }
    for message, (sections, raw) in refusals.items():
        with pytest.raises(OptionError, match=message):
            model_option_sets(raw, sections, parse_options(raw, tmp_path))
    for names, message in (("kws, tinyml", "'tinyml' cannot name a model"), ("Kws", "'Kws' cannot name"),
                           ("kws, kws", "'kws' is listed twice")):
        with pytest.raises(OptionError, match=message):
            parse_options({"custom_tinyml_models": names}, tmp_path)


def test_the_budget_counts_every_model(tmp_path):
    needs = MemoryNeeds(arena=300_000, arena_lower_bound=250_000, stack_reserve=8192, model=100_000, tables=0)
    with pytest.raises(BudgetError) as refused:
        check_budget("corstone300", 262_144, 524_288, needs, None, models=("kws", "digits"))
    text = str(refused.value)
    assert text.startswith("the models kws, digits do not fit the board together")
    assert "tensor arenas (kws + digits)" in text
    assert "custom_tinyml_shared_arena = yes" in text
    with pytest.raises(BudgetError, match=r"tensor arena \(shared\)") as refused:
        check_budget("corstone300", 262_144, 524_288, needs, None, models=("kws", "digits"), shared_arena=True)
    assert "custom_tinyml_shared_arena = yes" not in str(refused.value)
