from __future__ import annotations

import keras
import numpy as np
import pytest

from deblur.models.layers import (
    ChannelAttention,
    CropLike,
    PadToMultiple,
    ScaledResidual,
    SimpleGate,
)


@pytest.mark.parametrize(
    "layer",
    [
        SimpleGate(name="g"),
        ChannelAttention(4, name="a"),
        ScaledResidual(4, name="r"),
        PadToMultiple(8, name="p"),
        CropLike(name="c"),
    ],
)
def test_layer_get_config_roundtrip(layer: keras.layers.Layer) -> None:
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_simple_gate_multiplies_halves() -> None:
    x = np.arange(8, dtype=np.float32).reshape(1, 1, 2, 4)
    out = np.asarray(SimpleGate()(x))
    np.testing.assert_allclose(out, x[..., :2] * x[..., 2:])


def test_scaled_residual_starts_as_identity() -> None:
    x = np.ones((1, 2, 2, 3), np.float32)
    y = np.full((1, 2, 2, 3), 5.0, np.float32)
    np.testing.assert_allclose(np.asarray(ScaledResidual(3)([x, y])), x)


def test_pad_to_multiple_and_crop_back() -> None:
    x = np.random.default_rng(0).random((1, 13, 21, 1)).astype(np.float32)
    padded = np.asarray(PadToMultiple(8)(x))
    assert padded.shape == (1, 16, 24, 1)
    np.testing.assert_allclose(padded[:, :13, :21], x)
    np.testing.assert_allclose(np.asarray(CropLike()([padded, x])), x)
