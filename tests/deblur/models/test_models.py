from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from deblur.config import ModelConfig
from deblur.models import build_model, build_plain15, build_unet, model_stats

TINY_UNET = ModelConfig(arch="unet", width=4, depth=2, blocks=(1, 1, 1))


def test_plain15_has_2017_parameter_count() -> None:
    model = build_model(ModelConfig(arch="plain15", channels=3, width=128))
    assert model.count_params() == 2_876_931
    conv = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.kernel.shape[0] for layer in conv] == [
        10,
        1,
        1,
        1,
        3,
        1,
        5,
        5,
        3,
        5,
        5,
        1,
        7,
        7,
    ]


@pytest.mark.parametrize("shape", [(13, 21), (32, 96), (8, 8)])
@pytest.mark.parametrize(
    "cfg",
    [
        TINY_UNET,
        ModelConfig(arch="res15", width=4),
        ModelConfig(arch="plain15", channels=3, width=4),
    ],
    ids=["unet", "res15", "plain15"],
)
def test_models_run_any_size(cfg: ModelConfig, shape: tuple[int, int]) -> None:
    model = build_model(cfg)
    x = np.random.default_rng(0).random((2, *shape, cfg.channels)).astype(np.float32)
    assert tuple(model(x).shape) == x.shape


def test_res15_starts_as_identity() -> None:
    model = build_model(ModelConfig(arch="res15", width=4))
    x = np.random.default_rng(1).random((1, 16, 32, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(x)), x, atol=1e-6)


def test_unet_global_residual_with_zero_ending_is_identity() -> None:
    model = build_model(TINY_UNET)
    ending = model.get_layer("ending")
    ending.set_weights([np.zeros_like(w) for w in ending.get_weights()])
    x = np.random.default_rng(1).random((1, 13, 30, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(x)), x, atol=1e-6)


def test_builders_check_arch() -> None:
    with pytest.raises(ValueError, match="arch"):
        build_unet(ModelConfig(arch="res15"))
    with pytest.raises(ValueError, match="arch"):
        build_plain15(ModelConfig(arch="unet"))


def test_model_stats_plain15_macs_equal_params_without_bias() -> None:
    stats = model_stats(build_model(ModelConfig(arch="plain15", channels=3, width=128)))
    # every conv runs at full resolution: MACs per pixel = weights without biases
    assert stats.macs_per_pixel == pytest.approx(2_876_931 - 13 * 128 - 3)
    unet = model_stats(build_model(ModelConfig()))
    assert unet.macs_per_pixel < stats.macs_per_pixel / 50


@pytest.mark.slow
def test_unet_keras_save_load_roundtrip(tmp_path) -> None:
    model = build_model(TINY_UNET)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    x = np.random.default_rng(2).random((1, 16, 24, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_guided_unet_takes_guide_and_starts_at_it() -> None:
    cfg = ModelConfig(
        arch="unet", width=4, depth=2, blocks=(1, 1, 1), guide="blind_wiener"
    )
    model = build_model(cfg)
    assert model.inputs[0].shape[-1] == 2 and model.outputs[0].shape[-1] == 1
    x = np.random.default_rng(3).random((1, 13, 30, 2)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(x)), x[..., 1:], atol=1e-6)


def test_guide_blend_starts_near_the_guide_and_can_reach_the_input() -> None:
    from deblur.models.unet import BLEND_LOGIT

    cfg = dataclasses.replace(TINY_UNET, guide="blind_wiener", guide_blend=True)
    model = build_model(cfg)
    x = np.random.default_rng(3).random((1, 13, 30, 2)).astype(np.float32)
    image, guide = x[..., :1], x[..., 1:]
    start = 1 / (1 + np.exp(-BLEND_LOGIT[1]))  # the blend weight before training
    expected = image + start * (guide - image)
    np.testing.assert_allclose(np.asarray(model(x)), expected, atol=1e-5)
    # A strongly negative logit bias turns the guide off: the output is the input.
    logit = model.get_layer("blend_logit")
    kernel, _ = logit.get_weights()
    logit.set_weights([kernel, np.full((1,), -10.0, np.float32)])
    np.testing.assert_allclose(np.asarray(model(x)), image, atol=1e-5)


def test_guide_blend_needs_a_guide() -> None:
    with pytest.raises(ValueError, match="guide_blend"):
        ModelConfig(guide_blend=True)


def test_guide_needs_unet() -> None:
    with pytest.raises(ValueError, match="guide"):
        ModelConfig(arch="res15", guide="blind_wiener")
    with pytest.raises(ValueError, match="guide"):
        ModelConfig(guide="oracle")
