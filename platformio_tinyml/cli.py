"""The `tinyml` command: set-up, and running firmware in the emulator outside PlatformIO."""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from .boards import BoardError, all_board_ids, load_board


def cmd_setup(_args) -> int:
    from .offline_setup import SetupError, official_platforms_note, run_setup

    started = time.monotonic()
    print("platformio-tinyml set-up:")
    try:
        changed = run_setup()
    except SetupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    took = time.monotonic() - started
    print(f"{'Set up' if changed else 'Ready'} in {took:.1f} s: `pio run` and `pio test` work offline.")
    note = official_platforms_note()
    if note:
        print(note)
    return 0


def cmd_run(args) -> int:
    from .emulate import EmulatorUnavailable, run_firmware

    try:
        board = load_board(args.board)
        result = run_firmware(
            args.firmware, board, args.timeout, on_output=lambda line: print(line, end="", flush=True),
            backend=args.emulator,
        )
    except (BoardError, EmulatorUnavailable, FileNotFoundError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(f"[tinyml] {result.summary}")
    return result.exit_code if result.status == "exited" else 1


def cmd_boards(_args) -> int:
    for board_id in all_board_ids():
        board = load_board(board_id)
        where = f"QEMU {board.qemu.machine}" if board.qemu else ("host" if board.is_native else "not emulated")
        print(f"{board_id:12s} {board.cpu:11s} {where:22s} {board.name}")
    return 0


def cmd_convert(args) -> int:
    """The build's conversion path (cache, subprocess, checks) on a model, outside PlatformIO."""
    from pathlib import Path

    from .pipeline import ModelJob, check_runtime_support, emit, prepare_int8_model
    from .convert.errors import ConversionError
    from .graph import ModelFormatError
    from .op_check import UnsupportedOpsError
    from .options import PREFIX, OptionError, parse_options

    model = Path(args.model)
    out = Path(args.out) if args.out else Path.cwd() / f"{model.stem}_tinyml"
    raw = {"model": str(model.resolve()), "calibration": args.calibration, "validation": args.validation,
           "input_shape": args.input_shape, "min_agreement": args.min_agreement,
           "min_float_cosine": args.min_float_cosine, "min_snr": args.min_snr}
    raw = {PREFIX + key: str(value) for key, value in raw.items() if value is not None}
    try:
        options = parse_options(raw, Path.cwd())
        if not options.model.exists():
            raise ConversionError(f"{args.model}: no such file or folder")
        int8 = prepare_int8_model(ModelJob(options, Path.cwd(), out, verbose=args.verbose), emit)
        check_runtime_support(int8.model, options, emit)
    except (OptionError, ConversionError, ModelFormatError, UnsupportedOpsError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    target = out / "model.tflite"
    if not target.is_file() or target.read_bytes() != int8.data:
        target.write_bytes(int8.data)
    if int8.report_file is not None:
        shutil.copyfile(int8.report_file, out / "conversion_report.json")
    print(f"tinyml: int8 model: {target} ({len(int8.data):,} B)"
          + (f", report: {out / 'conversion_report.json'}" if int8.report else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinyml", description="platformio-tinyml command line")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="make PlatformIO work offline (idempotent)").set_defaults(func=cmd_setup)
    run = commands.add_parser("run", help="run a firmware ELF in its board's emulator")
    run.add_argument("firmware", help="the firmware ELF (or the native program)")
    run.add_argument("--board", required=True, help="board id, as in boards/")
    run.add_argument("--timeout", type=float, default=60.0, help="wall-clock seconds before a hang is stopped")
    run.add_argument("--emulator", default="auto", choices=("auto", "qemu", "renode"))
    run.set_defaults(func=cmd_run)
    commands.add_parser("boards", help="list the boards").set_defaults(func=cmd_boards)
    convert = commands.add_parser("convert", help="convert and check a model as `pio run` does, without PlatformIO")
    convert.add_argument("model", help=".onnx, .keras, .h5, .tflite or a SavedModel folder")
    convert.add_argument("--calibration", help="as custom_tinyml_calibration (.npz/.npy, folder, module:function, random)")
    convert.add_argument("--validation", help="as custom_tinyml_validation")
    convert.add_argument("--input-shape", help="as custom_tinyml_input_shape, e.g. 1,1,8,8")
    convert.add_argument("--min-agreement", help="as custom_tinyml_min_agreement (percent, default 97)")
    convert.add_argument("--min-float-cosine", help="as custom_tinyml_min_float_cosine (default 0.9999)")
    convert.add_argument("--min-snr", help="as custom_tinyml_min_snr (dB, default 20)")
    convert.add_argument("--out", help="folder for model.tflite and conversion_report.json (default MODEL_tinyml)")
    convert.add_argument("-v", "--verbose", action="store_true", help="show what TensorFlow and onnx2tf print")
    convert.set_defaults(func=cmd_convert)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
