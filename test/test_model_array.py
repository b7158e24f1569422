"""The model as C: compiled by a real compiler, aligned, complete, and written whole."""

import subprocess

import pytest

from platformio_tinyml.graph import read_model
from platformio_tinyml.model_array import write_model_sources
from conftest import shared_model_path

CHECK = r"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "tinyml_model.h"
int main(void) {
    static const int32_t shape[] = TINYML_INPUT0_SHAPE;
    TINYML_INPUT0_TYPE sample[TINYML_INPUT0_ELEMENTS];
    printf("%u %u %.7g %d %d %d %u\n", (unsigned)((uintptr_t)tinyml_model_data % 16u),
           (unsigned)sizeof tinyml_model_data, TINYML_INPUT0_SCALE, TINYML_INPUT0_ZERO_POINT,
           (int)shape[1], memcmp(tinyml_model_data + 4, "TFL3", 4), (unsigned)sizeof sample);
    return 0;
}
"""


def test_generated_array_compiles_and_matches_the_file(tmp_path):
    data = shared_model_path("kws_ref_model.tflite").read_bytes()
    model = read_model(data, "kws_ref_model.tflite")
    source, _ = write_model_sources(tmp_path, data, model, "from kws_ref_model.tflite")
    (tmp_path / "check.c").write_text(CHECK)
    program = tmp_path / "check"
    subprocess.run(["gcc", "-Wall", "-Werror", "-I", str(tmp_path), str(source), str(tmp_path / "check.c"),
                    "-o", str(program)], check=True)
    assert subprocess.run([program], capture_output=True, text=True).stdout.split() == [
        "0", str(len(data)), "0.5847029", "83", "49", "0", "490"]


def test_a_failed_write_leaves_the_previous_files(tmp_path, monkeypatch):
    data = shared_model_path("hello_world_int8.tflite").read_bytes()
    model = read_model(data, "hello_world_int8.tflite")
    write_model_sources(tmp_path, data, model, "first")
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("platformio_tinyml.generated_files.os.replace", broken_replace)
    with pytest.raises(OSError):
        write_model_sources(tmp_path, data, model, "second")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before


def test_names_and_labels_become_c_string_literals_whatever_they_hold():
    from platformio_tinyml.c_literals import c_string

    assert c_string('a "b" \\ c\nd??=é') == '"a \\042b\\042 \\134 c\\012d\\077\\077=\\303\\251"'
