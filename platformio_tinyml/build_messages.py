"""How build-time code stops a PlatformIO build: one clear message, no traceback, non-zero exit."""

import sys


def stop_build(env, message: str) -> None:
    """Print `message` as PlatformIO prints errors and end the SCons run with status 1."""
    sys.stderr.write(f"\nError: {message}\n\n")
    sys.stderr.flush()
    env.Exit(1)
