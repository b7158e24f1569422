"""Keras 3 LSTM layers made convertible to TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM.

The TFLite converter fuses an LSTM only when it finds the function Keras 2 (tf_keras) marks with its
`api_implements` attribute; Keras 3 writes the recurrence as a plain loop, which converts to WHILE
(TFLite Micro and the engine run no such graph, and calibrating it crashes TensorFlow 2.19). So each
Keras 3 LSTM that Keras 2 would fuse (tanh, sigmoid, a bias, not unrolled) is replaced by a layer
running a tf_keras LSTM with the same weights, and the model is exported as a SavedModel with the
build's static input shapes: freezing a concrete function (the other sources' path) inlines the
marked function and loses the fusion, the SavedModel importer keeps it."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf


FUSED_LSTM = ("activation='tanh', recurrent_activation='sigmoid', use_bias=True, unroll=False and "
              "stateful=False (Keras' defaults)")


def loop_problem(layer) -> str | None:
    """Why a top-level recurrent layer would convert to a WHILE loop, which TFLite Micro does not run."""
    if not isinstance(layer, keras.layers.RNN) and not isinstance(layer, keras.layers.Bidirectional):
        return None
    if isinstance(layer, keras.layers.Bidirectional):
        return (f"layer '{layer.name}' is a Bidirectional wrapper, which converts to a loop (TFLite Micro has no "
                f"bidirectional LSTM): use one LSTM, or two (the second on the reversed sequence)")
    if fusable(layer) or layer.get_config().get("unroll"):
        return None  # the fused op, or plain ops for an unrolled loop
    if isinstance(layer, keras.layers.LSTM):
        return (f"layer '{layer.name}' is an LSTM that TFLite cannot fuse into its LSTM op; it fuses one with "
                f"{FUSED_LSTM}")
    return (f"layer '{layer.name}' ({type(layer).__name__}) converts to a loop, and TFLite Micro has no "
            f"{type(layer).__name__} op: use an LSTM ({FUSED_LSTM}), or unroll=True for a short fixed sequence")


def fusable(layer) -> bool:
    config = layer.get_config()
    return (isinstance(layer, keras.layers.LSTM) and config.get("activation") == "tanh"
            and config.get("recurrent_activation") == "sigmoid" and config.get("use_bias", True)
            and not config.get("unroll") and not config.get("stateful"))


class FusableLSTM(keras.layers.Layer):
    """A Keras 3 layer computing what `source` (a Keras 3 LSTM) computes, with tf_keras's LSTM."""

    def __init__(self, source: keras.layers.LSTM):
        import tf_keras  # only for models with LSTM layers

        super().__init__(name=source.name)
        config = source.get_config()
        self.inner = tf_keras.layers.LSTM(
            config["units"], return_sequences=config["return_sequences"], return_state=config["return_state"],
            go_backwards=config["go_backwards"], name=source.name)
        self.inner.build(tuple(source.input.shape))
        self.inner.set_weights([np.asarray(weight) for weight in source.get_weights()])

    def call(self, inputs, mask=None, **kwargs):
        return self.inner(inputs, mask=mask)

    def compute_output_shape(self, input_shape):
        return self.inner.compute_output_shape(input_shape)


def with_fusable_lstms(model: keras.Model) -> tuple[keras.Model, list[FusableLSTM]] | None:
    """The model with its fusable LSTM layers replaced, and those replacements; None if it has none."""
    if not any(fusable(layer) for layer in model.layers):  # top-level layers: what clone_model replaces
        return None
    replaced: list[FusableLSTM] = []

    def clone(layer):
        if not fusable(layer):
            return layer  # shared with the original: same weights
        replaced.append(FusableLSTM(layer))
        return replaced[-1]

    return keras.models.clone_model(model, clone_function=clone), replaced


def export(model: keras.Model, replaced: list[FusableLSTM], call, signature: list[tf.TensorSpec],
           folder: Path) -> None:
    """A SavedModel of `call` (the model on the static input signature) for TFLiteConverter.from_saved_model."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    for layer in replaced:
        archive.track(layer.inner)  # tf_keras weights, which Keras 3 does not track itself
    archive.add_endpoint("serve", call, input_signature=signature)
    archive.write_out(str(folder), verbose=False)
