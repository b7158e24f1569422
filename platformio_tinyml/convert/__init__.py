"""Model file -> fully int8 .tflite (static batch-1 shapes), cached by content hash.

Hook side, without TensorFlow: `source_format` (what the file is), `cache` (the key and the stored
conversions), `launcher` (runs the conversion in a subprocess and relays its progress).
Subprocess side (`worker`): one module per source format (`keras_source`, `saved_model_source`,
`onnx_source`, `tflite_source`), each giving a `FloatModel`; `samples` loads calibration and
validation data; `accuracy` compares the float model with the int8 one run by TFLite Micro.
"""
