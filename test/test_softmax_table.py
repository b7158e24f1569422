"""The softmax's build-time exponentials are the ones CMSIS-NN's integer softmax computes at run
time (and TFLite Micro's, which it matches): the table for many input scales and betas against
CMSIS-NN's own exp_on_negative_values, compiled for the host."""

import shutil
import subprocess

import pytest

from platformio_tinyml.engine.quantization import softmax_input_scaling
from platformio_tinyml.engine.softmax_table import TABLE_SIZE, softmax_exp_table
from platformio_tinyml.offline_setup import cmsis_nn_sources

PROGRAM = """
#include <stdio.h>
#include "arm_nnsupportfunctions.h"
int main(void) {
    long mult, shift, diff_min;
    while (scanf("%ld %ld %ld", &mult, &shift, &diff_min) == 3) {
        for (int distance = 0; distance < %d; distance++) {
            const int32_t diff = -distance;
            printf("%ld ", diff >= diff_min ? (long)EXP_ON_NEG(MUL_SAT(diff * (1 << shift), (int32_t)mult)) : 0L);
        }
        printf("\\n");
    }
    return 0;
}
"""

SCALES = (1 / 16, 0.0625 * 3, 0.1, 0.25, 0.4, 1.0, 2.5, 0.0039, 0.02)
BETAS = (1.0, 0.5, 0.125)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no host C compiler (gcc) on this machine")
def test_the_table_is_cmsis_nns_exponentials(tmp_path):
    include = cmsis_nn_sources(lambda line: None) / "Include"
    (tmp_path / "exp.c").write_text(PROGRAM.replace("%d", str(TABLE_SIZE), 1))
    subprocess.run(["gcc", "-O1", "-I", str(include), str(tmp_path / "exp.c"), "-o", str(tmp_path / "exp")],
                   check=True, capture_output=True)
    cases = [softmax_input_scaling(beta, scale) for scale in SCALES for beta in BETAS]
    done = subprocess.run([str(tmp_path / "exp")], input="".join(f"{m} {s} {d}\n" for m, s, d in cases),
                          capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert len(lines) == len(cases)
    for (multiplier, shift, diff_min), line in zip(cases, lines):
        expected = tuple(int(value) for value in line.split())
        assert softmax_exp_table(multiplier, shift, diff_min) == expected, (multiplier, shift, diff_min)
    assert any(0 in softmax_exp_table(*case) for case in cases)  # diff_min cuts some rows short
