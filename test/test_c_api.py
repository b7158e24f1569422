"""The C API for people (tinyml.h: size-checked and float inputs and outputs, argmax, top-k, labels,
status names) in real firmware on the host and on the Cortex-M4 in QEMU, checked against the same
computations in Python and TFLite Micro's reference."""

import re

import numpy as np
import pytest

from platformio_tinyml.engine_firmware import reference_outputs, run_firmware, write_engine, write_project
from platformio_tinyml.golden import quantize_samples
from platformio_tinyml.graph import read_model
from small_models import classifier

LABELS = ("yes", "no", 'say "hi"', "unknown")
MODEL = classifier(seed=3)
SCALE, ZERO_POINT = 0.05, 3  # the classifier's input
# Halves (ties go to even), clamping both ways, NaN, and ordinary values.
FLOATS = np.array([SCALE * 2.5, SCALE * -3.5, 1e6, -1e6, np.nan, 0.123, -0.377, SCALE * 124.5], np.float32)

MAIN_C = r"""
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "tinyml.h"

static const float features[8] = {%(floats)s};

/* Floats as their bits: exact, and newlib-nano's printf (the Arm boards') has no %%f or %%g. */
static void print_float(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    printf("%%08lx", (unsigned long)bits);
}

static void print_status(const char *what, tinyml_status status)
{
    printf("STATUS %%s %%s\n", what, tinyml_status_name(status));
}

int main(void)
{
    static float too_many[9];
    print_status("before_init", tinyml_set_input_float(0, features, 8));
    print_status("init", tinyml_init());
    print_status("set_float", tinyml_set_input_float(0, features, 8));
    int8_t before[8];
    memcpy(before, tinyml_input(0), 8);
    print_status("set_float_9", tinyml_set_input_float(0, too_many, 9));
    print_status("set_bytes_7", tinyml_set_input(0, too_many, 7));
    print_status("set_index_1", tinyml_set_input(1, too_many, 8));
    printf("UNCHANGED %%d\n", memcmp(before, tinyml_input(0), 8) == 0);
    printf("INPUT");
    for (int i = 0; i < 8; i++) printf(" %%d", ((const int8_t *)tinyml_input(0))[i]);
    printf("\n");
    print_status("invoke", tinyml_invoke());
    float scores[4];
    print_status("get_float", tinyml_get_output_float(0, scores, 4));
    print_status("get_float_3", tinyml_get_output_float(0, scores, 3));
    printf("FLOATS");
    for (int i = 0; i < 4; i++) { printf(" "); print_float(scores[i]); }
    printf("\n");
    int classes[4];
    float top[4];
    int found = tinyml_output_top_k(0, 3, classes, top);
    printf("TOPK %%d:", found);
    for (int i = 0; i < found; i++) { printf(" %%d=", classes[i]); print_float(top[i]); }
    printf("\n");
    printf("TOPK_ALL %%d TOPK_BAD %%d %%d\n", tinyml_output_top_k(0, 10, classes, NULL),
           tinyml_output_top_k(0, -1, classes, top), tinyml_output_top_k(5, 1, classes, top));
    printf("ARGMAX %%d %%d\n", tinyml_output_argmax(0), tinyml_output_argmax(1));
    printf("LABELS %%d", tinyml_label_count());
    for (int i = -1; i <= 4; i++) printf(" [%%s]", tinyml_label(i) ? tinyml_label(i) : "NULL");
    printf("\n");
    printf("NAME %%s\n", tinyml_status_name((tinyml_status)42));
    return 0;
}
"""


def firmware_output(tmp_path, board: str) -> str:
    project = tmp_path / board
    write_project(project, board, tmp_path / "cache")
    floats = ", ".join("NAN" if np.isnan(v) else f"{float(v)!r}f" for v in FLOATS)
    main_c = MAIN_C % {"floats": floats}
    write_engine(project, board, MODEL, main_c, labels=LABELS)
    return run_firmware(project, board)


def printed(stdout: str, key: str) -> str:
    return re.search(rf"^{key}\b(.*)$", stdout, re.M)[1].strip()


@pytest.mark.parametrize("board", ["native", "nrf52840"])
def test_the_float_label_and_checked_api(tmp_path, board):
    out = firmware_output(tmp_path, board)
    statuses = dict(re.findall(r"^STATUS (\S+) (\S+)$", out, re.M))
    assert statuses == {"before_init": "TINYML_ERROR_NOT_INITIALIZED", "init": "TINYML_OK", "set_float": "TINYML_OK",
                        "set_float_9": "TINYML_ERROR_BAD_SIZE", "set_bytes_7": "TINYML_ERROR_BAD_SIZE",
                        "set_index_1": "TINYML_ERROR_BAD_INDEX", "invoke": "TINYML_OK", "get_float": "TINYML_OK",
                        "get_float_3": "TINYML_ERROR_BAD_SIZE"}
    assert printed(out, "UNCHANGED") == "1"  # a refused call writes nothing

    graph = read_model(MODEL).subgraphs[0]
    x = graph.tensors[graph.inputs[0]]
    finite = np.where(np.isnan(FLOATS), 0, FLOATS)  # NaN becomes the zero point (0 * scale)
    expected_input = quantize_samples([finite[None]], [x])[0].reshape(-1)
    assert [int(v) for v in printed(out, "INPUT").split()] == list(expected_input)
    assert list(expected_input[:2]) == [2 + ZERO_POINT, -4 + ZERO_POINT]  # halves to even

    output = reference_outputs(MODEL, [[expected_input.reshape(1, 8)]])[0][0]
    y = graph.tensors[graph.outputs[0]]
    probabilities = (np.float32(y.quantization.scale[0]) * (output.astype(np.float32) - y.quantization.zero_point))
    bits = [f"{int(b):08x}" for b in probabilities.astype(np.float32).view(np.uint32)]
    assert printed(out, "FLOATS").split() == bits
    order = sorted(range(4), key=lambda i: (-probabilities[i], i))
    assert printed(out, "TOPK") == "3: " + " ".join(f"{i}={bits[i]}" for i in order[:3])
    assert printed(out, "TOPK_ALL") == "4 TOPK_BAD -1 -1"
    assert printed(out, "ARGMAX") == f"{order[0]} -1"
    assert printed(out, "LABELS") == "4 [NULL] [yes] [no] [say \"hi\"] [unknown] [NULL]"
    assert printed(out, "NAME") == "unknown tinyml_status"
