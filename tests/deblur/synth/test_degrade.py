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
