"""The 2017 network, kept as the reference row: 14 plain convolutions, no residual."""

from __future__ import annotations

import keras

from deblur.config import ModelConfig

__all__ = ["PLAIN15_KERNELS", "build_plain15"]

PLAIN15_KERNELS = (10, 1, 1, 1, 3, 1, 5, 5, 3, 5, 5, 1, 7)
"""Kernel sizes of the 13 hidden 128-filter layers of the 2017 entry."""


def build_plain15(cfg: ModelConfig) -> keras.Model:
    """Build the 2017 plain CNN.

    13 ``Conv2D`` layers of ``cfg.width`` filters (128 in 2017) with kernel sizes
    :data:`PLAIN15_KERNELS`, relu, 'same' padding, then a 7x7 ``Conv2D`` to
    ``cfg.channels`` with no activation. With ``width=128, channels=3`` it has
    2,876,931 parameters, as in 2017 (the 2017 README counts 15 layers with the input).

    Parameters
    ----------
    cfg : ModelConfig
        ``arch`` must be ``"plain15"``.

    Returns
    -------
    keras.Model
        Input ``(None, None, cfg.channels)``, output the same shape.
    """
    if cfg.arch != "plain15":
        raise ValueError(f"cfg.arch must be 'plain15', got {cfg.arch!r}")
    inputs = keras.Input(shape=(None, None, cfg.channels), name="blurred")
    x = inputs
    for i, k in enumerate(PLAIN15_KERNELS):
        x = keras.layers.Conv2D(
            cfg.width, k, padding="same", activation="relu", name=f"conv{i + 1}"
        )(x)
    outputs = keras.layers.Conv2D(cfg.channels, 7, padding="same", name="conv14")(x)
    return keras.Model(inputs, outputs, name="plain15")
