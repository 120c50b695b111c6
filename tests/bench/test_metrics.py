from __future__ import annotations

import math

import numpy as np
import pytest

from bench.metrics import (
    char_error_rate,
    exact_match,
    levenshtein,
    normalized_edit_distance,
    psnr,
    ssim,
    ssim_rgb,
)


def test_psnr_known_mse() -> None:
    reference = np.zeros((8, 8), np.float32)
    test = np.full((8, 8), 0.1, np.float32)
    assert psnr(reference, test) == pytest.approx(20.0, abs=1e-5)
    assert psnr(reference, test, data_range=2.0) == pytest.approx(
        20 + 20 * math.log10(2), abs=1e-5
    )


def test_psnr_identical_is_inf(tiny_plate: np.ndarray) -> None:
    assert psnr(tiny_plate, tiny_plate) == math.inf


def test_psnr_rejects_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(np.zeros((4, 4)), np.zeros((4, 5)))


def test_psnr_rejects_bad_data_range() -> None:
    with pytest.raises(ValueError, match="data_range"):
        psnr(np.zeros((4, 4)), np.ones((4, 4)), data_range=0)


def test_ssim_identical_is_one(
    tiny_plate: np.ndarray, tiny_plate_rgb: np.ndarray
) -> None:
    assert ssim(tiny_plate, tiny_plate) == pytest.approx(1.0)
    assert ssim(tiny_plate_rgb, tiny_plate_rgb) == pytest.approx(1.0)
    assert ssim_rgb(tiny_plate_rgb, tiny_plate_rgb) == pytest.approx(1.0)


def test_ssim_rgb_uses_luminance(tiny_plate_rgb: np.ndarray) -> None:
    from deblur.io import to_gray

    noisy = np.clip(tiny_plate_rgb + 0.05, 0, 1).astype(np.float32)
    assert ssim(tiny_plate_rgb, noisy) == pytest.approx(
        ssim(to_gray(tiny_plate_rgb), to_gray(noisy))
    )


def test_ssim_drops_with_blur(tiny_plate: np.ndarray) -> None:
    from scipy.ndimage import uniform_filter

    blurred = uniform_filter(tiny_plate, size=5).astype(np.float32)
    assert 0.0 < ssim(tiny_plate, blurred) < 0.9


def test_ssim_rejects_tiny_images() -> None:
    with pytest.raises(ValueError, match="11x11"):
        ssim(np.zeros((5, 5)), np.zeros((5, 5)))
    with pytest.raises(ValueError, match="11x11"):  # skimage's window is 11 wide
        ssim(np.zeros((10, 40)), np.zeros((10, 40)))


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("ABC", "", 3), ("kitten", "sitting", 3), ("AB12", "BA12", 2)],
)
def test_levenshtein_known(a: str, b: str, distance: int) -> None:
    assert levenshtein(a, b) == distance
    assert levenshtein(b, a) == distance


def test_exact_match() -> None:
    assert exact_match("AB12", "AB12") == 1.0
    assert exact_match("AB12", "AB1") == 0.0


def test_char_error_rate_known() -> None:
    assert char_error_rate("AB12CD", "AB12CD") == 0.0
    assert char_error_rate("AB12", "AB1") == pytest.approx(0.25)
    assert char_error_rate("AB", "ABCDEF") == pytest.approx(2.0)


def test_char_error_rate_empty_reference() -> None:
    assert char_error_rate("", "") == 0.0
    assert char_error_rate("", "A") == math.inf
    assert char_error_rate("", "ABC") == math.inf


def test_normalized_edit_distance_known() -> None:
    assert normalized_edit_distance("AB12", "XB12CD") == pytest.approx(0.5)
    assert normalized_edit_distance("", "") == 0.0
    assert normalized_edit_distance("ABC", "") == 1.0


# --- property tests (hypothesis) ----------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PLATE = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", max_size=10)


@st.composite
def _image_pair(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    height, width = draw(st.integers(11, 24)), draw(st.integers(11, 40))
    channels = draw(st.sampled_from([None, 3]))
    shape = (height, width) if channels is None else (height, width, channels)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    reference = rng.random(shape, dtype=np.float32)
    noise = draw(st.floats(0.0, 0.5))
    test = np.clip(reference + noise * rng.standard_normal(shape), 0, 1)
    return reference, test.astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(pair=_image_pair())
def test_psnr_ssim_properties(pair: tuple[np.ndarray, np.ndarray]) -> None:
    reference, test = pair
    forward, backward = psnr(reference, test), psnr(test, reference)
    assert forward == backward  # symmetric
    assert forward > 0 or math.isinf(forward)  # MSE <= 1 for images in [0, 1]
    assert math.isinf(psnr(reference, reference))
    assert ssim(reference, reference) == pytest.approx(1.0, abs=1e-6)
    value = ssim(reference, test)
    assert -1.0 <= value <= 1.0 + 1e-9
    assert value == pytest.approx(ssim(test, reference), abs=1e-9)  # symmetric


@settings(max_examples=50, deadline=None)
@given(reference=_PLATE, test=_PLATE)
def test_text_metric_properties(reference: str, test: str) -> None:
    assert char_error_rate(reference, reference) == 0.0
    assert normalized_edit_distance(reference, reference) == 0.0
    assert exact_match(reference, reference) == 1.0
    distance = levenshtein(reference, test)
    assert distance == levenshtein(test, reference)
    assert abs(len(reference) - len(test)) <= distance <= max(len(reference), len(test))
    assert 0.0 <= normalized_edit_distance(reference, test) <= 1.0
    assert exact_match(reference, test) == float(reference == test)
    if reference:
        cer = char_error_rate(reference, test)
        assert cer == distance / len(reference) and cer >= 0.0
        assert (cer == 0.0) == (reference == test)
