"""`pio test` on emulated boards: a PlatformIO test runner that builds the test firmware, runs it in
the board's emulator (or on the host for `native`) and reads Unity's output.

A project uses it with `test_framework = custom` and a `test/test_custom_runner.py` of one line:

    from platformio_tinyml.pio_test import CustomTestRunner  # noqa: F401

Unity's C sources come from the package `tinyml setup` provisions (PlatformIO's registry copy of
Unity is out of reach here). A hang, fault or lock-up becomes an errored test case that says which.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from platformio.exception import ReturnErrorCode
from platformio.test.exception import UnitTestSuiteError
from platformio.test.runners.unity import UnityTestRunner

from .device_report import first_differing_ops, format_profile, format_summary, read_device_report
from .emulate import DEFAULT_TIMEOUT_S, EmulatorUnavailable, run_firmware
from .generated_files import DEVICE_REPORT_FILE, GENERATED_FOLDER, TRACE_FILE, WORK_FOLDER
from .offline_setup import SetupError, ensure_unity, platformio_packages_dir, unity_library_dir
from .test_image import read_record


class CustomTestRunner(UnityTestRunner):
    # 64-bit and double assertions on: inference tests compare instruction counts and float outputs.
    UNITY_CONFIG_H = UnityTestRunner.UNITY_CONFIG_H.replace(
        "#define UNITY_CONFIG_H", "#define UNITY_CONFIG_H\n#define UNITY_SUPPORT_64\n#define UNITY_INCLUDE_DOUBLE", 1
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # PlatformIO reads this before it installs the project's libraries. Unity comes from PyPI
        # (PlatformIO's registry copy may be out of reach), unpacked once per machine.
        unity = unity_library_dir()
        if not unity.is_dir():
            click.echo(f"tinyml: installing the Unity test framework into {unity} (once per machine)")
            try:
                ensure_unity(platformio_packages_dir())
            except SetupError as exc:
                raise UnitTestSuiteError(f"the Unity test framework could not be installed: {exc}") from None
        self.EXTRA_LIB_DEPS = [f"symlink://{unity}"]

    def _option(self, name, default=None):
        return self.project_config.get(f"env:{self.test_suite.env_name}", name, default)

    def _build_dir(self) -> Path:
        return Path(self.project_config.get("platformio", "build_dir")) / self.test_suite.env_name

    def _is_cortex_m(self) -> bool:
        board = self._option("board")
        return bool(board) and self.platform.board_config(board).get("build.cpu", "").startswith("cortex-m")

    def get_unity_framework_config(self):
        # Every board here prints through stdio: semihosting on the emulated cores, the terminal on the host.
        return self.UNITY_FRAMEWORK_CONFIG["native"]

    def stage_building(self):
        if self.options.without_building:
            return
        click.secho("Building...", bold=True)
        targets = ["__test"] + (["checkprogsize"] if self._is_cortex_m() else [])
        try:
            self.run_project_targets(targets)
        except ReturnErrorCode as exc:
            raise UnitTestSuiteError("Building stage has failed, see errors above.") from exc

    def stage_uploading(self):
        # Nothing to upload: the emulator loads the ELF itself.
        return None

    def report_figures(self, output: str, build_dir: Path) -> None:
        """The golden suite's figures: a line (and the per-op table) in the output, JSON in the build folder."""
        report = read_device_report(output)
        if not report["instructions_per_sample"] and not report["ops"] and not report.get("models"):
            return
        folder = build_dir / WORK_FOLDER
        trace_file = folder / GENERATED_FOLDER / TRACE_FILE
        if trace_file.is_file():
            trace = json.loads(trace_file.read_text(encoding="utf-8"))
            expected = [{int(op): value for op, value in sample.items()} for sample in trace["expected"]]
            names = {int(op): name for op, name in trace["ops"].items()}
            report["first_differing_ops"] = first_differing_ops(output, expected, names)
            for line in report["first_differing_ops"]:
                click.secho(f"tinyml: {line}", fg="red")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / DEVICE_REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        click.echo(format_summary(report))
        if report["ops"]:
            click.echo(format_profile(report))
        click.echo(f"tinyml: details in {folder / DEVICE_REPORT_FILE}")

    def stage_testing(self):
        if self.options.without_testing:
            return
        build_dir = self._build_dir()
        record = read_record(build_dir / WORK_FOLDER)
        if record is None:
            raise UnitTestSuiteError(
                f"the test build of environment '{self.test_suite.env_name}' did not say which program to run "
                f"(no {build_dir / WORK_FOLDER}/test_image.json): add platformio-tinyml to its lib_deps.")
        program, board = record
        timeout_s = float(self._option("custom_tinyml_emulator_timeout", DEFAULT_TIMEOUT_S))
        click.secho(f"Testing on {'the host' if board.is_native else board.name}...", bold=True)
        try:
            result = run_firmware(
                program, board, timeout_s, on_output=self.on_testing_data_output,
                backend=self._option("custom_tinyml_emulator", "auto"),
            )
        except (EmulatorUnavailable, FileNotFoundError) as exc:
            raise UnitTestSuiteError(str(exc)) from exc
        if self._testing_output_buffer:
            self.on_testing_line_output(self._testing_output_buffer + "\n")
            self._testing_output_buffer = ""
        self.report_figures(result.output, build_dir)
        if result.status != "exited" or (result.exit_code and not self.test_suite.cases):
            # PlatformIO records this as an errored test case and prints the message in red.
            raise UnitTestSuiteError(result.summary)
        self.test_suite.on_finish()
