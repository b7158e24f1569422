"""The one error type the graph reader raises for a bad model file, and its wording."""


class ModelFormatError(ValueError):
    """A .tflite file is truncated, corrupt, inconsistent or not a TFLite model.

    The message always starts with the file's name (or '<bytes>') so it can be
    shown to the user as is.
    """


def corrupt_message(source: str, detail: str) -> str:
    return f"{source}: truncated or corrupt TFLite file: {detail}"


def corrupt(source: str, detail: str) -> ModelFormatError:
    """The error for a file whose bytes cannot be what a TFLite writer made."""
    return ModelFormatError(corrupt_message(source, detail))


def not_a_model_message(source: str, identifier: bytes) -> str:
    return (f"{source}: not a TFLite model: bytes 4-7 should hold the file "
            f"identifier b'TFL3' but hold {identifier!r}")
