from __future__ import annotations

import numpy as np
import pytest

from deblur.config import BlurConfig
from deblur.synth.degrade import add_noise, blur, jpeg, make_pair, seed2017_blur
from deblur.synth.kernels import linear_psf


def test_blur_with_delta_psf_is_identity(tiny_plate: np.ndarray) -> None:
    delta = np.zeros((5, 5))
    delta[2, 2] = 1
    np.testing.assert_allclose(blur(tiny_plate, delta), tiny_plate, atol=1e-6)


def test_blur_constant_image_stays_constant() -> None:
    image = np.full((20, 30, 3), 0.4, np.float32)
    np.testing.assert_allclose(blur(image, linear_psf(9, 30.0)), 0.4, atol=1e-6)


def test_blur_spreads_point_over_length() -> None:
    image = np.zeros((21, 41), np.float32)
    image[10, 20] = 1.0
    out = blur(image, linear_psf(9, 0.0))
    assert np.count_nonzero(out > 1e-6) == 9
    assert out.sum() == pytest.approx(1.0, abs=1e-5)


def test_blur_keeps_shape_dtype_and_input(tiny_plate_rgb: np.ndarray) -> None:
    before = tiny_plate_rgb.copy()
    out = blur(tiny_plate_rgb, linear_psf(7, 45.0))
    assert out.shape == tiny_plate_rgb.shape and out.dtype == np.float32
    np.testing.assert_array_equal(tiny_plate_rgb, before)


def test_blur_rejects_bad_psf(tiny_plate: np.ndarray) -> None:
    with pytest.raises(ValueError, match="psf must be 2-D"):
        blur(tiny_plate, np.ones(3))


def test_add_noise_statistics_and_determinism() -> None:
    image = np.full((200, 200), 0.5, np.float32)
    noisy = add_noise(image, 0.05, rng=0)
    assert noisy.std() == pytest.approx(0.05, rel=0.05)
    np.testing.assert_array_equal(noisy, add_noise(image, 0.05, rng=0))
    with pytest.raises(ValueError, match="sigma"):
        add_noise(image, -1.0)


def test_jpeg_roundtrip_close_and_validated(tiny_plate: np.ndarray) -> None:
    out = jpeg(tiny_plate, 95)
    assert out.shape == tiny_plate.shape
    assert np.abs(out - tiny_plate).mean() < 0.05
    with pytest.raises(ValueError, match="quality"):
        jpeg(tiny_plate, 0)


@pytest.mark.parametrize(
    "kind", ["seed2017", "linear", "trajectory", "defocus", "gaussian"]
)
def test_make_pair_deterministic_per_seed(
    kind: str, tiny_plate_rgb: np.ndarray
) -> None:
    cfg = BlurConfig(kind=kind, length=(3, 9), noise=(0.0, 0.02), jpeg_quality=(70, 90))
    a = make_pair(tiny_plate_rgb, cfg, rng=11)
    b = make_pair(tiny_plate_rgb, cfg, rng=11)
    np.testing.assert_array_equal(a.blurred, b.blurred)
    assert a.params == b.params and a.params["kind"] == kind
    assert "noise" in a.params and "jpeg_quality" in a.params
    assert a.blurred.shape == tiny_plate_rgb.shape and a.blurred.dtype == np.float32
    c = make_pair(tiny_plate_rgb, cfg, rng=12)
    assert not np.array_equal(a.blurred, c.blurred)


def test_seed2017_blur_equals_its_psf_away_from_borders() -> None:
    rng = np.random.default_rng(0)
    from scipy import ndimage

    sharp = ndimage.gaussian_filter(rng.random((60, 240)), 2).astype(np.float32)
    pair = seed2017_blur(sharp, rng=5)
    via_psf = blur(sharp, pair.psf)
    inner = (slice(15, -15), slice(30, -30))
    err = np.abs(via_psf - pair.blurred)[inner].mean()
    assert err < 0.1 * np.abs(sharp - pair.blurred)[inner].mean() + 1e-3
    assert pair.params["size"] % 2 == 1


def test_add_poisson_noise_variance_follows_signal() -> None:
    from deblur.synth.degrade import add_poisson_noise

    flat = np.full((200, 200), 0.5, np.float32)
    noisy = add_poisson_noise(flat, 100.0, rng=0)
    assert noisy.var() == pytest.approx(0.5 / 100.0, rel=0.1)
    dark = add_poisson_noise(np.full((200, 200), 0.05, np.float32), 100.0, rng=0)
    assert dark.var() < noisy.var()
    with pytest.raises(ValueError, match="photons"):
        add_poisson_noise(flat, 0.0)


def test_adjust_exposure_known_answers() -> None:
    from deblur.synth.degrade import adjust_exposure

    img = np.array([[0.25, 0.75]], np.float32)
    np.testing.assert_allclose(adjust_exposure(img), img)
    np.testing.assert_allclose(adjust_exposure(img, invert=True), [[0.75, 0.25]])
    np.testing.assert_allclose(adjust_exposure(img, contrast=0.0), [[0.5, 0.5]])
    np.testing.assert_allclose(adjust_exposure(img, gamma=2.0), [[0.0625, 0.5625]])
    with pytest.raises(ValueError, match="gamma"):
        adjust_exposure(img, gamma=0.0)
    with pytest.raises(ValueError, match="contrast"):
        adjust_exposure(img, contrast=-1.0)


def test_soften_and_resample(tiny_plate: np.ndarray) -> None:
    from deblur.synth.degrade import resample, soften

    np.testing.assert_array_equal(soften(tiny_plate, 0.0), tiny_plate)
    soft = soften(tiny_plate, 1.0)
    assert (
        np.abs(np.diff(soft, axis=1)).max() < np.abs(np.diff(tiny_plate, axis=1)).max()
    )
    with pytest.raises(ValueError, match="sigma"):
        soften(tiny_plate, -1.0)
    small = resample(tiny_plate, (24, 8))
    assert small.shape == (8, 24)
    with pytest.raises(ValueError, match="size"):
        resample(tiny_plate, (0, 8))


def test_make_pair_resolution_keeps_size_and_loses_detail(
    tiny_plate: np.ndarray,
) -> None:
    cfg = BlurConfig(kind="none", resolution=(6.0, 6.0), noise=(0.0, 0.0))
    pair = make_pair(tiny_plate, cfg, rng=0)
    assert pair.blurred.shape == tiny_plate.shape
    assert pair.params["scale"] < 1.0
    assert not np.allclose(pair.blurred, tiny_plate, atol=0.02)


def test_make_pair_invert_always_makes_negative(tiny_plate: np.ndarray) -> None:
    cfg = BlurConfig(kind="none", invert=1.0, noise=(0.0, 0.0))
    pair = make_pair(tiny_plate, cfg, rng=0)
    np.testing.assert_allclose(pair.sharp, 1.0 - tiny_plate, atol=1e-6)
    assert pair.params["invert"] == 1.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("exposure", 0.0),
        ("invert", 1.5),
        ("optics", (2.0, 1.0)),
        ("resolution", (1.0, 2.0)),
        ("photons", (0.0, 5.0)),
    ],
)
def test_blur_config_validates_new_stages(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        BlurConfig(**{field: value})  # type: ignore[arg-type]
