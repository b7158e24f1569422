"""The platformio-tinyml development platform: see builder/main.py for what a build does."""

from platformio.public import PlatformBase


class TinymlPlatform(PlatformBase):
    def is_embedded(self):
        # The Cortex-M boards are embedded targets; only `native` runs on the host, and the
        # test runner (platformio_tinyml.pio_test) tells the two apart by board.
        return True
