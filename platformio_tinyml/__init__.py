"""platformio-tinyml: trained neural networks into microcontroller firmware, built by PlatformIO and
tested on emulated boards."""

__version__ = "0.1.0"
