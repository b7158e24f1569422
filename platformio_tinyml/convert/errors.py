"""The error a conversion stops with: its message is shown to the user as it is."""


class ConversionError(Exception):
    """A model or its samples cannot be converted; the message names the file or option."""
