"""Tests for deblur.models.export_form: the same function, fewer operations."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from deblur.config import ModelConfig  # noqa: E402
from deblur.models import build_model  # noqa: E402
from deblur.models.export_form import (  # noqa: E402
    ChannelNorm,
    PixelShuffleConv,
    export_form,
)
from deblur.models.layers import ScaledResidual  # noqa: E402


def _model(guide: str = "none", *, blend: bool = False) -> keras.Model:
    keras.utils.set_random_seed(0)
    cfg = ModelConfig(
        arch="unet", width=4, depth=2, blocks=(1, 1, 1), guide=guide, guide_blend=blend
    )
    model = build_model(cfg)
    rng = np.random.default_rng(0)  # away from the identity start (beta = 0)
    model.set_weights(
        [w + 0.3 * rng.standard_normal(w.shape) for w in model.get_weights()]
    )
    return model


@pytest.mark.parametrize(
    ("guide", "blend"),
    [("none", False), ("blind_wiener", False), ("blind_wiener", True)],
)
def test_export_form_computes_the_same_function(guide: str, blend: bool) -> None:
    model = _model(guide, blend=blend)
    channels = model.inputs[0].shape[-1]
    batch = np.random.default_rng(1).random((2, 16, 24, channels), dtype=np.float32)
    expected = np.asarray(model(batch))
    for drop in (True, False):
        out = np.asarray(export_form(model, drop_padding=drop)(batch))
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_export_form_folds_every_norm_and_residual_scale() -> None:
    model = _model()
    core = export_form(model)
    kinds = {type(layer) for layer in core.layers}
    assert keras.layers.LayerNormalization not in kinds
    assert ScaledResidual not in kinds
    assert keras.layers.Conv2DTranspose not in kinds and PixelShuffleConv in kinds
    norms = [layer for layer in core.layers if isinstance(layer, ChannelNorm)]
    assert len(norms) == sum(
        isinstance(layer, keras.layers.LayerNormalization) for layer in model.layers
    )
    assert all(not layer.weights for layer in norms)


def test_export_form_keeps_padding_unless_dropped() -> None:
    model = _model()
    odd = np.random.default_rng(2).random((1, 13, 22, 1), dtype=np.float32)
    kept = np.asarray(export_form(model, drop_padding=False)(odd))
    np.testing.assert_allclose(kept, np.asarray(model(odd)), rtol=1e-4, atol=1e-4)
    assert kept.shape == odd.shape


def test_a_norm_read_by_two_layers_keeps_its_weights() -> None:
    inputs = keras.Input(shape=(None, None, 3))
    norm = keras.layers.LayerNormalization(name="norm")(inputs)
    a = keras.layers.Conv2D(2, 1, name="a")(norm)
    b = keras.layers.Conv2D(2, 1, name="b")(norm)
    model = keras.Model(inputs, keras.layers.Add()([a, b]))
    rng = np.random.default_rng(3)
    model.set_weights([w + rng.standard_normal(w.shape) for w in model.get_weights()])
    core = export_form(model)
    assert isinstance(core.get_layer("norm"), keras.layers.LayerNormalization)
    batch = rng.random((1, 5, 6, 3), dtype=np.float32)
    np.testing.assert_allclose(
        np.asarray(core(batch)), np.asarray(model(batch)), rtol=1e-4, atol=1e-4
    )


def test_channel_norm_matches_layer_normalization_without_affine() -> None:
    x = np.random.default_rng(4).random((2, 3, 4, 5), dtype=np.float32)
    reference = keras.layers.LayerNormalization(epsilon=1e-6, center=False, scale=False)
    np.testing.assert_allclose(
        np.asarray(ChannelNorm(1e-6)(x)), np.asarray(reference(x)), atol=1e-5
    )


@pytest.mark.parametrize("stride", [2, 3])
def test_a_block_transpose_becomes_a_pixel_shuffle(stride: int) -> None:
    inputs = keras.Input(shape=(None, None, 3))
    up = keras.layers.Conv2DTranspose(5, stride, strides=stride, name="up")(inputs)
    model = keras.Model(inputs, up)
    rng = np.random.default_rng(5)
    model.set_weights([rng.standard_normal(w.shape) for w in model.get_weights()])
    core = export_form(model)
    assert isinstance(core.get_layer("up"), PixelShuffleConv)
    batch = rng.random((2, 4, 7, 3), dtype=np.float32)
    np.testing.assert_allclose(
        np.asarray(core(batch)), np.asarray(model(batch)), rtol=1e-5, atol=1e-5
    )
