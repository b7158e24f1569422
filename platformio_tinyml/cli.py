"""The `tinyml` command: set-up, and running firmware in the emulator outside PlatformIO."""

from __future__ import annotations

import argparse
import sys
import time

from .boards import BoardError, all_board_ids, load_board


def cmd_setup(_args) -> int:
    from .offline_setup import SetupError, run_setup

    started = time.monotonic()
    print("platformio-tinyml set-up:")
    try:
        changed = run_setup()
    except SetupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    took = time.monotonic() - started
    print(f"{'Set up' if changed else 'Ready'} in {took:.1f} s: `pio run` and `pio test` work offline.")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
