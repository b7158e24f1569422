"""The platformio-tinyml development platform: see builder/main.py for what a build does."""

import sys
from pathlib import Path

import click
from platformio.exception import UserSideException
from platformio.public import PlatformBase

# The platform is a folder of the platformio_tinyml package: its parent holds the package.
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
if PACKAGE_PARENT not in sys.path:
    sys.path.append(PACKAGE_PARENT)

from platformio_tinyml.test_framework_check import test_framework_problem  # noqa: E402


class Error(UserSideException):
    """PlatformIO prints an exception's class name before its message: `Error: ...`."""


class TinymlPlatform(PlatformBase):
    def is_embedded(self):
        # The Cortex-M boards are embedded targets; only `native` runs on the host, and the
        # test runner (platformio_tinyml.pio_test) tells the two apart by board.
        return True

    def configure_default_packages(self, options, targets):
        # `pio test` asks for the platform before it installs the test framework: stop here, in
        # seconds, rather than after a minute of trying to fetch Unity.
        # `pio run` installs the framework too when test/ holds suites: there, a warning says why it waits.
        command = getattr(click.get_current_context(silent=True), "info_name", None)
        problem = self.project_env and test_framework_problem(self.project_env, options.get("test_framework"))
        if problem and command == "test":
            raise Error(problem)
        if problem and command == "run" and _has_test_suites(self.config):
            sys.stderr.write(f"Warning: {problem} Until then PlatformIO tries to install Unity from its "
                             "registry, which takes a minute to fail offline.\n")
        return super().configure_default_packages(options, targets)


def _has_test_suites(config) -> bool:
    from platformio.test.exception import TestDirNotExistsError
    from platformio.test.helpers import list_test_names

    try:
        return bool(list_test_names(config))
    except TestDirNotExistsError:
        return False
