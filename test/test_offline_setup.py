"""`tinyml setup`: idempotent, fast when ready, and never leaves a half-written package."""

import json
import subprocess
import sys
import time

import pytest

from platformio_tinyml import offline_setup
from platformio_tinyml.offline_setup import SetupError, platformio_packages_dir, toolchain_package_version


def test_toolchain_version_in_platformio_numbering():
    assert toolchain_package_version("12.2.1") == "1.120201.0"
    assert toolchain_package_version("10.3.1") == "1.100301.0"


def test_second_run_is_fast_and_says_ready():
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "platformio_tinyml.cli", "setup"], capture_output=True, text=True)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "Ready in" in done.stdout and "installed" not in done.stdout
    assert took < 5, f"a set-up of a ready machine took {took:.1f} s"


def test_provisioned_packages_are_what_platformio_expects():
    packages = platformio_packages_dir()
    scons = json.loads((packages / "tool-scons" / ".piopm").read_text())
    assert scons["spec"]["owner"] == "platformio" and scons["version"] == "4.41101.0"
    assert (packages / "toolchain-gccarmnoneeabi" / "bin" / "arm-none-eabi-gcc").exists()
    cmsis = packages / "framework-cmsis-nn"
    assert len(list((cmsis / "Source").rglob("*.c"))) == 90
    assert (cmsis / "Include" / "arm_nnfunctions.h").is_file()
    assert json.loads((cmsis / "library.json").read_text())["build"]["srcDir"] == "Source"
    unity = packages / "tinyml-unity"
    assert "MIT License" in (unity / "license.txt").read_text()
    assert (unity / "src" / "unity.c").is_file()


def test_a_failed_step_leaves_the_old_package_whole(tmp_path):
    destination = tmp_path / "some-package"
    destination.mkdir()
    (destination / "package.json").write_text("{}")

    def fill(folder):
        (folder / "half.txt").write_text("half")
        raise SetupError("download broke")

    with pytest.raises(SetupError):
        offline_setup._write_package(destination, fill)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["some-package"]
    assert sorted(p.name for p in destination.iterdir()) == ["package.json"]


def test_missing_debian_packages_name_the_apt_command(monkeypatch):
    monkeypatch.setattr(offline_setup, "missing_debian_packages", lambda: ["qemu-system-arm"])
    monkeypatch.setattr(offline_setup.os, "geteuid", lambda: 1000)
    expected = r"sudo apt-get update && apt-get install -y --no-install-recommends qemu-system-arm"
    with pytest.raises(SetupError, match=expected):
        offline_setup.ensure_debian_packages()
