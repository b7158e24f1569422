"""The examples are end-to-end tests too: each one's golden suite passes on the Cortex-M4 and M55
boards (real conversion, real firmware, QEMU), and the main job's firmware prints what it promises."""

import re

import pytest

from conftest import MODELS_DIR, REPO, run_pio

EXAMPLES = REPO / "examples"
SUITES = {
    "digits_transformer": ["m4", "m55"],
    "sensor_anomaly": ["m4", "m55"],
    "digits_linear_attention": ["windowed_m4", "windowed_m55", "linear_m4", "linear_m55"],
    "keyword_spotting": ["m4", "m55"],
}


@pytest.mark.parametrize("example", sorted(SUITES))
def test_example_golden_suites_pass(example):
    if example == "keyword_spotting" and not MODELS_DIR.is_dir():
        pytest.skip("../shared/models not present (only on the project's machines)")
    envs = [arg for env in SUITES[example] for arg in ("-e", env)]
    done = run_pio(EXAMPLES / example, "test", *envs, timeout=1800)
    outcomes = dict(re.findall(r"^(\w+)\s+test_tinyml_golden\s+(PASSED|FAILED|ERRORED)", done.stdout, re.M))
    assert outcomes == {env: "PASSED" for env in SUITES[example]}, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_main_job_prints_predictions_accuracy_and_costs():
    done = run_pio(EXAMPLES / "digits_transformer", "run", "-e", "m55", "-t", "exec", timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"^  (\d/\d\*? ){19}\d/\d\*?$", done.stdout, re.M)  # 20 predictions per line
    accuracy = re.search(r"int8 accuracy: (\d+) of 200 = ", done.stdout)
    assert accuracy and int(accuracy.group(1)) >= 190, "the issue's goal is at least 95% int8 top-1"
    assert re.search(r"^first sample: (zero|one|two|three|four|five|six|seven|eight|nine) with probability "
                     r"[01]\.\d{3} \(its label: \w+\)$", done.stdout, re.M), done.stdout[-3000:]
    assert re.search(r"instructions per inference: \d{6,}", done.stdout)
    assert re.search(r"arena: \d+ bytes; model: \d+ bytes", done.stdout)
    assert re.search(r"Flash: .* \(used \d+ bytes from 524288 bytes\)", done.stdout)
