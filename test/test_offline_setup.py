"""`tinyml setup`: idempotent, fast when ready, never leaves a half-written package, and never
touches a package it did not write."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from platformio_tinyml import offline_setup
from platformio_tinyml.offline_setup import (
    SetupError,
    official_platform_packages_line,
    platformio_packages_dir,
    sreccat_package_version,
    toolchain_package_version,
)


def test_toolchain_version_in_platformio_numbering():
    assert toolchain_package_version("12.2.1") == "1.120201.0"
    assert toolchain_package_version("10.3.1") == "1.100301.0"


def test_sreccat_version_in_platformio_numbering():
    assert sreccat_package_version("1.64") == "1.164.0"  # what nordicnrf52 asks for: ~1.164.0
    assert sreccat_package_version("1.65") == "1.165.0"


def test_second_run_does_nothing_and_says_ready():
    packages = platformio_packages_dir()
    before = {path: path.stat().st_mtime_ns for path in packages.iterdir()}
    done = subprocess.run([sys.executable, "-m", "platformio_tinyml.cli", "setup"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Ready in" in done.stdout and "installed" not in done.stdout
    # Nothing rewritten: a ready machine's set-up only looks (its time is a figure, not a test).
    assert {path: path.stat().st_mtime_ns for path in packages.iterdir()} == before
    # The output ends with the line that lets the official Arm platforms use the registered GCC.
    registered = offline_setup.registered_toolchain_dir()
    assert done.stdout.splitlines()[-1] == f"    platform_packages = toolchain-gccarmnoneeabi@symlink://{registered}"


def test_provisioned_packages_are_what_platformio_expects():
    packages = platformio_packages_dir()
    scons = json.loads((packages / "tool-scons" / ".piopm").read_text())
    assert scons["spec"]["owner"] == "platformio" and scons["version"] == "4.41101.0"
    assert (packages / "toolchain-gccarmnoneeabi" / "bin" / "arm-none-eabi-gcc").exists()
    cmsis = packages / "framework-cmsis-nn"
    assert len(list((cmsis / "Source").rglob("*.c"))) == offline_setup.CMSIS_NN_SOURCE_COUNT
    assert (cmsis / "Include" / "arm_nnfunctions.h").is_file()
    assert json.loads((cmsis / "library.json").read_text())["build"]["srcDir"] == "Source"
    unity = packages / "tinyml-unity"
    assert "MIT License" in (unity / "license.txt").read_text()
    assert (unity / "src" / "unity.c").is_file()
    sreccat = json.loads((packages / "tool-sreccat" / ".piopm").read_text())
    assert sreccat["spec"]["owner"] == "platformio" and sreccat["version"] == "1.164.0"
    assert (packages / "tool-sreccat" / "srec_cat").exists()
    # Everything set-up wrote says so, so a later set-up knows it may replace it.
    for manifest in ("tool-scons/package.json", "toolchain-gccarmnoneeabi/package.json",
                     "tool-sreccat/package.json", "framework-cmsis-nn/package.json", "tinyml-unity/library.json"):
        assert json.loads((packages / manifest).read_text())["tinyml_setup"] is True, manifest


def test_debian_packages_for_the_official_arm_platforms_are_there():
    assert offline_setup.missing_debian_packages() == []
    # Their bare builds link -lstdc++ for Thumb; Debian has it only with libstdc++-arm-none-eabi-newlib.
    found = subprocess.run(
        ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m4", "-print-file-name=libstdc++.a"],
        capture_output=True, text=True,
    ).stdout.strip()
    assert os.path.isabs(found) and os.path.isfile(found)
    assert "srec_cat version" in subprocess.run(["srec_cat", "--version"], capture_output=True, text=True).stdout


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


# ---- packages set-up did not write --------------------------------------------------------------


def snapshot(folder: Path) -> dict:
    """Every file, link and folder under `folder` with its content, link target, inode and mtime:
    equal snapshots mean nothing was rewritten, moved or replaced by a copy."""
    result = {}
    for path in sorted([folder, *folder.rglob("*")]):
        info = path.lstat()
        if path.is_symlink():
            content = ("link", os.readlink(path))
        elif path.is_dir():
            content = ("dir",)
        else:
            content = ("file", path.read_bytes())
        result[str(path.relative_to(folder))] = (content, info.st_ino, info.st_mtime_ns, info.st_mode)
    return result


def make_package(folder: Path, manifest: dict, files: dict) -> Path:
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps(manifest))
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def run_package_steps(packages_dir: Path) -> list:
    """What run_setup does to a packages folder, twice (the second run must not change its mind)."""
    return [step(packages_dir) for _ in range(2) for step in offline_setup.PACKAGE_STEPS]


@pytest.fixture
def old_gcc(tmp_path):
    """A registry toolchain (GCC 7.2.1, as the official Arm platforms want) that set-up did not write."""
    return make_package(
        tmp_path / "toolchain-gccarmnoneeabi",
        {"name": "toolchain-gccarmnoneeabi", "version": "1.70201.0"},
        {"bin/dummy": "a registry tool\n"},
    )


def test_a_foreign_toolchain_is_left_as_is_and_ours_goes_beside(tmp_path, old_gcc):
    before = snapshot(old_gcc)
    result = offline_setup.ensure_toolchain(tmp_path)
    assert snapshot(old_gcc) == before
    assert f"left as is: {old_gcc} was not installed by tinyml setup (version 1.70201.0)" in result.detail
    ours = tmp_path / "toolchain-gccarmnoneeabi.tinyml"
    assert result.changed and str(ours) in result.detail
    assert (ours / "bin" / "arm-none-eabi-gcc").exists()

    # PlatformIO takes each for what asks for it: ours for the tinyml platform (^1.100301.0).
    from platformio.package.manager.tool import ToolPackageManager
    from platformio.package.meta import PackageSpec

    spec = PackageSpec(owner="platformio", name="toolchain-gccarmnoneeabi", requirements="^1.100301.0")
    assert ToolPackageManager(str(tmp_path)).get_package(spec).path == str(ours)
    assert official_platform_packages_line(tmp_path) == f"platform_packages = toolchain-gccarmnoneeabi@symlink://{ours}"

    run_package_steps(tmp_path)
    assert snapshot(old_gcc) == before


def test_a_foreign_toolchain_that_serves_counts_as_ready(tmp_path):
    gcc = make_package(
        tmp_path / "toolchain-gccarmnoneeabi",
        {"name": "toolchain-gccarmnoneeabi", "version": "1.120301.0"},
        {"bin/arm-none-eabi-gcc": "#!/bin/sh\n"},
    )
    before = snapshot(gcc)
    result = offline_setup.ensure_toolchain(tmp_path)
    assert not result.changed
    assert result.detail.startswith(f"left as is: {gcc} was not installed by tinyml setup (version 1.120301.0)")
    assert snapshot(gcc) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toolchain-gccarmnoneeabi"]
    assert official_platform_packages_line(tmp_path) is None  # no toolchain of ours to point at


def test_a_foreign_tool_scons_is_left_as_is(tmp_path):
    scons = make_package(
        tmp_path / "tool-scons",
        {"name": "tool-scons", "version": "4.41101.0", "description": "SCons from the registry"},
        {"scons.py": "# the registry's\n", "scons-local-4.11.1/SCons/__init__.py": ""},
    )
    before = snapshot(scons)
    result = offline_setup.ensure_tool_scons(tmp_path)
    assert not result.changed
    assert result.detail.startswith(f"left as is: {scons} was not installed by tinyml setup (version 4.41101.0)")
    run_package_steps(tmp_path)
    assert snapshot(scons) == before
    assert not (tmp_path / "tool-scons.tinyml").exists()


def test_a_foreign_tool_scons_of_another_version_gets_ours_beside(tmp_path):
    scons = make_package(tmp_path / "tool-scons", {"name": "tool-scons", "version": "4.40801.0"}, {"scons.py": "#\n"})
    before = snapshot(scons)
    result = offline_setup.ensure_tool_scons(tmp_path)
    assert result.changed
    assert f"left as is: {scons} was not installed by tinyml setup (version 4.40801.0)" in result.detail
    assert (tmp_path / "tool-scons.tinyml" / "scons.py").read_text() == offline_setup.SCONS_LAUNCHER
    assert snapshot(scons) == before


def test_a_foreign_package_is_never_replaced_even_when_it_is_a_link(tmp_path):
    real = make_package(tmp_path / "elsewhere", {"name": "tool-sreccat", "version": "1.164.0"}, {"srec_cat": ""})
    (tmp_path / "packages").mkdir()
    (tmp_path / "packages" / "tool-sreccat").symlink_to(real)
    before = snapshot(real)
    result = offline_setup.ensure_sreccat(tmp_path / "packages")
    assert not result.changed and "left as is" in result.detail
    assert (tmp_path / "packages" / "tool-sreccat").is_symlink() and snapshot(real) == before


def test_a_foreign_cmsis_nn_that_does_not_serve_stops_setup_untouched(tmp_path):
    cmsis = make_package(tmp_path / "framework-cmsis-nn", {"name": "framework-cmsis-nn", "version": "6.0.0"}, {})
    before = snapshot(cmsis)
    with pytest.raises(SetupError, match=f"left as is: {cmsis} was not installed by tinyml setup.*move it away"):
        offline_setup.ensure_cmsis_nn(tmp_path)
    assert snapshot(cmsis) == before


# ---- packages an earlier set-up wrote (before the marker) ---------------------------------------


def test_packages_of_the_old_set_up_are_recognised_and_updated(tmp_path):
    toolchain = make_package(
        tmp_path / "toolchain-gccarmnoneeabi",
        {"name": "toolchain-gccarmnoneeabi", "version": "1.120201.0",
         "description": "GNU Arm Embedded Toolchain 12.2.1: the system's, linked by `tinyml setup`"},
        {"bin/arm-none-eabi-gcc": ""},
    )
    make_package(
        tmp_path / "tool-scons",
        {"name": "tool-scons", "version": "4.41101.0", "description": "SCons 4.11.1 from pip"},
        {"scons.py": offline_setup.SCONS_LAUNCHER},
    )
    assert offline_setup.ensure_toolchain(tmp_path).changed
    assert offline_setup.ensure_tool_scons(tmp_path).changed
    for name in ("toolchain-gccarmnoneeabi", "tool-scons"):
        assert json.loads((tmp_path / name / "package.json").read_text())["tinyml_setup"] is True
    assert (toolchain / "bin" / "arm-none-eabi-gcc").is_symlink()  # the real links now
    assert not (tmp_path / "toolchain-gccarmnoneeabi.tinyml").exists()
    assert not offline_setup.ensure_toolchain(tmp_path).changed
    assert not offline_setup.ensure_tool_scons(tmp_path).changed


def test_the_old_set_ups_libraries_are_recognised(tmp_path):
    cmsis = make_package(tmp_path / "cmsis", {"name": "framework-cmsis-nn", "tinyml_source": "x==1"}, {})
    unity = tmp_path / "unity"
    unity.mkdir()
    (unity / "library.json").write_text(json.dumps({"name": "Unity", "tinyml_source": "cryptoauthlib==1"}))
    assert offline_setup._is_our_cmsis_nn(cmsis) and offline_setup._is_our_unity(unity)
    assert not offline_setup._is_our_cmsis_nn(tmp_path / "missing")
    # An old tool-scons is known by its launcher alone, too.
    scons = make_package(tmp_path / "scons", {"name": "tool-scons"}, {"scons.py": offline_setup.SCONS_LAUNCHER})
    assert offline_setup._is_our_scons(scons)


# ---- tool-sreccat and the official platforms ----------------------------------------------------


def test_sreccat_is_registered_and_runs_through_the_package(tmp_path):
    result = offline_setup.ensure_sreccat(tmp_path)
    assert result.changed
    package = tmp_path / "tool-sreccat"
    manifest = json.loads((package / "package.json").read_text())
    assert manifest["name"] == "tool-sreccat" and manifest["version"] == "1.164.0"
    assert json.loads((package / ".piopm").read_text())["spec"]["owner"] == "platformio"
    # nordicnrf52's builder runs join(get_package_dir("tool-sreccat"), "srec_cat").
    from platformio.package.manager.tool import ToolPackageManager
    from platformio.package.meta import PackageSpec

    spec = PackageSpec(owner="platformio", name="tool-sreccat", requirements=offline_setup.SRECCAT_REQUIREMENT)
    found = ToolPackageManager(str(tmp_path)).get_package(spec)
    assert found.path == str(package)
    done = subprocess.run([os.path.join(found.path, "srec_cat"), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("srec_cat version 1.64")
    assert not offline_setup.ensure_sreccat(tmp_path).changed


def test_platform_packages_line_names_the_registered_folder(tmp_path):
    assert official_platform_packages_line(tmp_path) is None
    offline_setup.ensure_toolchain(tmp_path)
    line = official_platform_packages_line(tmp_path)
    registered = tmp_path / "toolchain-gccarmnoneeabi"
    assert line == f"platform_packages = toolchain-gccarmnoneeabi@symlink://{registered}"
    # Read back the way PlatformIO reads platform_packages (PlatformBase.packages, get_package_spec).
    from platformio.package.meta import PackageSpec

    name, version = line.split(" = ", 1)[1].split("@", 1)
    spec = PackageSpec(owner="platformio", name=name, requirements=version)
    assert spec.symlink and spec.uri == f"symlink://{registered}"
    note = offline_setup.official_platforms_note(tmp_path)
    assert ">=1.60301.0,<1.80000.0" in note and note.endswith("\n    " + line)
