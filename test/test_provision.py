"""The Python that runs the model pipeline: PlatformIO's own when it has the packages, else an
environment the library makes and fills on first use, with one line per step; a pip failure is one
message that says what to install where."""

import re
import subprocess
import sys
import tomllib

import pytest
from conftest import REPO

from platformio_tinyml.provision import ProvisionError, managed_environment_dir, pipeline_python
from platformio_tinyml.python_packages import CONVERT, REFERENCE, PackageSet

# A small package from PyPI, so that the real venv + pip path runs in a few seconds.
SMALL = PackageSet("small", ("six==1.16.0",), ("six",))


def test_this_python_is_used_when_it_has_the_packages(tmp_path):
    lines = []
    assert pipeline_python((REFERENCE,), tmp_path, None, lines.append) == sys.executable
    assert lines == [] and not (tmp_path / "tinyml").exists()


def test_a_managed_environment_is_made_once_and_filled_on_first_use(tmp_path, monkeypatch):
    monkeypatch.setattr("platformio_tinyml.provision.imports_in_this_python", lambda package_set: ["six"])
    lines = []
    python = pipeline_python((SMALL,), tmp_path, None, lines.append)
    folder = managed_environment_dir(tmp_path)
    assert python == str(folder / "bin" / "python") and folder.parent == tmp_path / "tinyml"
    assert lines[0].startswith(f"tinyml: creating a Python environment for model conversion at {folder}")
    assert lines[1] == f"tinyml: installing six==1.16.0 into {folder}"
    assert re.fullmatch(r"tinyml: small packages ready \(\d+ s\)", lines[2])
    assert subprocess.run([python, "-c", "import six"]).returncode == 0
    # Ready: the second build says nothing and installs nothing.
    stamps = {path: path.stat().st_mtime_ns for path in folder.glob(".tinyml-*-installed")}
    again = []
    assert pipeline_python((SMALL,), tmp_path, None, again.append) == python
    assert again == [] and stamps and {path: path.stat().st_mtime_ns for path in stamps} == stamps


def test_pip_failing_says_what_to_install_and_leaves_no_stamp(tmp_path, monkeypatch):
    monkeypatch.setattr("platformio_tinyml.provision.imports_in_this_python", lambda package_set: ["x"])
    missing = PackageSet("broken", ("platformio-tinyml-no-such-package==0.0.1",), ("x",))
    with pytest.raises(ProvisionError) as refused:
        pipeline_python((missing,), tmp_path, None, lambda line: None)
    message = str(refused.value)
    assert message.startswith("could not install platformio-tinyml-no-such-package==0.0.1 into ")
    assert "custom_tinyml_python = /path/to/bin/python" in message
    assert f"{sys.executable} -m pip install 'platformio-tinyml-no-such-package==0.0.1'" in message
    assert "Traceback" not in message
    assert not list(managed_environment_dir(tmp_path).glob(".tinyml-*-installed"))


def test_a_chosen_python_is_checked_not_changed(tmp_path):
    assert pipeline_python((REFERENCE,), tmp_path, sys.executable, lambda line: None) == sys.executable
    with pytest.raises(ProvisionError, match=r"custom_tinyml_python = /nonexistent/python: cannot run it"):
        pipeline_python((REFERENCE,), tmp_path, "/nonexistent/python", lambda line: None)


def test_the_pins_are_the_convert_extras():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(REFERENCE.requirements + CONVERT.requirements) == set(extras["convert"])
