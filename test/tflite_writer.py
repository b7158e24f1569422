"""The TFLite flatbuffer writer moved into the package (platformio_tinyml.engine.tflite_writer);
re-exported here for the tests that import it by this name."""

from platformio_tinyml.engine.tflite_writer import OPCODES, OpSpec, TensorSpec, write_model  # noqa: F401
