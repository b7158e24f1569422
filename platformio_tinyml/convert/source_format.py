"""What kind of model a `custom_tinyml_model` path is, from its name and first bytes (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

from .errors import ConversionError

ONNX, KERAS, SAVED_MODEL, TFLITE = "onnx", "keras", "saved_model", "tflite"
ACCEPTED = ".onnx, .keras, .h5, .tflite, or a TensorFlow SavedModel folder"

_ZIP_MAGIC = b"PK\x03\x04"             # .keras files are zip archives
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"     # .h5 Keras files
_TFLITE_IDENTIFIER = b"TFL3"           # at bytes 4-7 of every .tflite
# Every ONNX file onnx writes starts with ModelProto field 1 (ir_version), a varint: tag 0x08.
_ONNX_FIRST_BYTE = 0x08


def detect_format(path: Path, option_text: str) -> str:
    """ONNX, KERAS, SAVED_MODEL or TFLITE; ConversionError naming the option when it is none."""
    where = f"custom_tinyml_model = {option_text}"
    if path.is_dir():
        if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
            return SAVED_MODEL
        raise ConversionError(f"{where}: {path} is a folder but not a TensorFlow SavedModel "
                              f"(it has no saved_model.pb). Name a model file: {ACCEPTED}.")
    if not path.exists():
        raise ConversionError(f"{where}: {path} does not exist. Write the model's path relative "
                              f"to the project folder ({ACCEPTED}).")
    if not path.is_file():  # a FIFO, a device such as /dev/null, a socket: reading it would not give a model
        raise ConversionError(f"{where}: {path} is not a regular file ({_kind(path)}). Name a model "
                              f"file: {ACCEPTED}.")
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError as exc:
        raise ConversionError(f"{where}: {path} cannot be read ({exc.strerror or exc}). Give the "
                              "build's user read access to it.") from None
    suffix = path.suffix.lower()
    found = _format_of_bytes(head)
    if suffix == ".tflite" or found == TFLITE:
        return TFLITE  # the graph reader explains what is wrong with a damaged one
    expected = {".onnx": ONNX, ".keras": KERAS, ".h5": KERAS, ".hdf5": KERAS}.get(suffix)
    if expected and found == expected:
        return expected
    what = f"a {suffix} file whose content is not {expected.upper() if expected == ONNX else 'Keras'}" \
        if expected else "neither ONNX, TFLite nor Keras"
    raise ConversionError(f"{where}: {path.name} is {what} (first bytes {head[:8]!r}). "
                          f"platformio-tinyml reads {ACCEPTED}.")


def _kind(path: Path) -> str:
    if path.is_fifo():
        return "a named pipe"
    if path.is_char_device() or path.is_block_device():
        return "a device"
    return "a socket" if path.is_socket() else "not a file"


def _format_of_bytes(head: bytes) -> str | None:
    if head[4:8] == _TFLITE_IDENTIFIER:
        return TFLITE
    if head.startswith(_ZIP_MAGIC) or head.startswith(_HDF5_MAGIC):
        return KERAS
    if head and head[0] == _ONNX_FIRST_BYTE:
        return ONNX
    return None


# An ONNX TensorProto's external_data entry {key: "location", value: <file>}: the key's encoding,
# then the value's tag (field 2, length-delimited).
_LOCATION_ENTRY = b"\x0a\x08location\x12"


def model_files(path: Path) -> list[Path]:
    """The files a model's content is in: the file (or folder) itself and, for an ONNX model, the
    external data files its tensors name (torch.onnx.export's default writes the weights to
    <model>.onnx.data). Found in the protobuf bytes, without the onnx package."""
    files = [path]
    if path.is_file() and path.suffix.lower() == ".onnx":
        data = path.read_bytes()
        locations = set()
        start = data.find(_LOCATION_ENTRY)
        while start >= 0:
            length, position = _varint(data, start + len(_LOCATION_ENTRY))
            locations.add(data[position:position + length].decode("utf-8", "replace"))
            start = data.find(_LOCATION_ENTRY, position)
        files += [path.parent / location for location in sorted(locations) if (path.parent / location).is_file()]
    return files


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while position < len(data):
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position += 1
        if byte < 0x80:
            break
        shift += 7
    return value, position
