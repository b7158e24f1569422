# PlatformIO loads this file for `test_framework = custom`: run the test firmware in the emulator.
from platformio_tinyml.pio_test import CustomTestRunner  # noqa: F401
