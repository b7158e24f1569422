"""`pio test` with the golden suite needs `test_framework = custom` (the runner that runs test images
in the emulator). Without it PlatformIO fetches Unity from its registry and runs the firmware as if on
a board; offline that fails after a minute with no reason given, so the platform and the build hook
stop at once with this message."""

from __future__ import annotations

CUSTOM = "custom"


def test_framework_problem(env_name: str, framework: str | None) -> str | None:
    """The message for an environment whose `pio test` cannot work, else None."""
    if (framework or "unity").strip().lower() == CUSTOM:
        return None
    return (f"[env:{env_name}] test_framework = {framework or 'unity (PlatformIO default)'}: platformio-tinyml's tests "
            f"run in an emulator through its own runner. Add `test_framework = custom` to the environment and "
            f"copy the library's platformio_tinyml/pio_test_entry.py to test/test_custom_runner.py; your Unity "
            f"tests then run with it.")
