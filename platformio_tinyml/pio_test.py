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

from .boards import board_from_manifest
from .emulate import DEFAULT_TIMEOUT_S, EmulatorUnavailable, run_firmware
from .golden import first_differing_ops, format_profile, format_summary, read_device_report
from .offline_setup import unity_library_dir


def _unity_lib_deps() -> list[str]:
    unity = unity_library_dir()
    return [f"symlink://{unity}"] if unity.is_dir() else []


class CustomTestRunner(UnityTestRunner):
    EXTRA_LIB_DEPS = _unity_lib_deps()
    # 64-bit and double assertions on: inference tests compare instruction counts and float outputs.
    UNITY_CONFIG_H = UnityTestRunner.UNITY_CONFIG_H.replace(
        "#define UNITY_CONFIG_H", "#define UNITY_CONFIG_H\n#define UNITY_SUPPORT_64\n#define UNITY_INCLUDE_DOUBLE", 1
    )

    def setup(self):
        if not self.EXTRA_LIB_DEPS:
            raise UnitTestSuiteError(
                f"the Unity test framework is not installed at {unity_library_dir()}: run `tinyml setup`"
            )

    def _option(self, name, default=None):
        return self.project_config.get(f"env:{self.test_suite.env_name}", name, default)

    def _board(self):
        config = self.platform.board_config(self._option("board"))
        return board_from_manifest(config.id, config.manifest, config.manifest_path)

    def get_unity_framework_config(self):
        # Every board here prints through stdio: semihosting on the emulated cores, the terminal on the host.
        return self.UNITY_FRAMEWORK_CONFIG["native"]

    def stage_building(self):
        if self.options.without_building:
            return
        click.secho("Building...", bold=True)
        targets = ["__test"] + (["checkprogsize"] if self._board().is_arm else [])
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
        if not report["instructions_per_sample"] and not report["ops"]:
            return
        folder = build_dir / "tinyml"
        trace_file = folder / "trace_expected.json"
        if trace_file.is_file():
            trace = json.loads(trace_file.read_text(encoding="utf-8"))
            expected = [{int(op): value for op, value in sample.items()} for sample in trace["expected"]]
            names = {int(op): name for op, name in trace["ops"].items()}
            report["first_differing_ops"] = first_differing_ops(output, expected, names)
            for line in report["first_differing_ops"]:
                click.secho(f"tinyml: {line}", fg="red")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "device_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        click.echo(format_summary(report))
        if report["ops"]:
            click.echo(format_profile(report))
        click.echo(f"tinyml: details in {folder / 'device_report.json'}")

    def stage_testing(self):
        if self.options.without_testing:
            return
        board = self._board()
        build_dir = Path(self.project_config.get("platformio", "build_dir")) / self.test_suite.env_name
        program = build_dir / ("firmware" if board.is_native else "firmware.elf")
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
