"""`pio test` with platformio-tinyml: copy this file to your project as test/test_custom_runner.py
(with `test_framework = custom`). PlatformIO loads it from its own interpreter, where the library's
Python package is not installed: the file finds the library among the environment's lib_deps
(installing them first when PlatformIO has not yet) and hands over to its test runner, which runs
the test firmware in an emulator, or on the host for `native`.
"""

import os
import sys

from platformio.exception import UserSideException
from platformio.package.commands.install import install_project_env_dependencies
from platformio.package.manager.library import LibraryPackageManager
from platformio.test.runners.base import TestRunnerBase

LIBRARY = "platformio-tinyml"
INSTALLING = "PLATFORMIO_TINYML_INSTALLING_LIBDEPS"


def _library_root(project_config, env_name):
    libdeps = os.path.join(project_config.get("platformio", "libdeps_dir"), env_name)
    for package in LibraryPackageManager(libdeps).get_installed():
        if package.metadata and package.metadata.name == LIBRARY:
            return package.path
    return None


class CustomTestRunner(TestRunnerBase):
    def __new__(cls, test_suite, project_config, options=None):
        root = _library_root(project_config, test_suite.env_name)
        if root is None and os.environ.get(INSTALLING):
            # Asked for while the libraries below are installed: it needs no test framework yet.
            return TestRunnerBase(test_suite, project_config, options)
        if root is None:
            os.environ[INSTALLING] = "1"
            try:
                install_project_env_dependencies(test_suite.env_name, {"silent": True})
            finally:
                del os.environ[INSTALLING]
            root = _library_root(project_config, test_suite.env_name)
        if root is not None and root not in sys.path:
            sys.path.insert(0, root)
        try:  # without the library in lib_deps, a pip-installed platformio_tinyml, if any
            from platformio_tinyml.pio_test import CustomTestRunner as LibraryRunner
        except ImportError as exc:
            raise UserSideException(
                f"test/test_custom_runner.py runs platformio-tinyml's test runner, but environment "
                f"'{test_suite.env_name}' does not have the library: add it to lib_deps ({exc})") from None

        return LibraryRunner(test_suite, project_config, options)
