"""Tests for deblur.wiener: real-FFT Wiener-Hunt deconvolution and edge taper."""

from __future__ import annotations

import numpy as np
import pytest

from deblur.synth.kernels import linear_psf
from deblur.wiener import edge_taper, otf, wiener_hunt


def test_otf_of_a_centred_delta_is_one() -> None:
    psf = np.zeros((5, 5))
    psf[2, 2] = 1.0
    np.testing.assert_allclose(otf(psf, (16, 24)), 1.0)


def test_wiener_hunt_matches_scikit_image_on_a_fast_size() -> None:
    from skimage.restoration import wiener

    plane = np.random.default_rng(0).random((48, 96))  # already a fast FFT size
    psf = linear_psf(9, 30)
    ours = wiener_hunt(plane, psf, balance=0.01, taper=0)
    theirs = wiener(plane, psf, 0.01, clip=False)
    np.testing.assert_allclose(ours, theirs, atol=1e-10)


@pytest.mark.parametrize("shape", [(61, 131), (48, 96)])
def test_wiener_hunt_undoes_a_circular_blur(shape: tuple[int, int]) -> None:
    plane = np.random.default_rng(1).random(shape)
    psf = linear_psf(5, 0)
    blurred = np.fft.irfft2(np.fft.rfft2(plane) * otf(psf, shape), s=shape)
    restored = wiener_hunt(blurred, psf, balance=1e-6, taper=0)
    assert restored.shape == shape
    # near the right/bottom edge the fast-size extension breaks the periodic model
    inner = (slice(8, shape[0] - 16), slice(8, shape[1] - 16))
    assert (
        np.abs(restored - plane)[inner].mean()
        < np.abs(blurred - plane)[inner].mean() / 3
    )


def test_wiener_hunt_leaves_its_input_untouched() -> None:
    plane = np.random.default_rng(2).random((30, 50))
    before = plane.copy()
    wiener_hunt(plane, linear_psf(7, 45), balance=0.01, taper=10)
    edge_taper(plane, linear_psf(7, 45), width=10)
    np.testing.assert_array_equal(plane, before)


@pytest.mark.parametrize("taper", [0, 12])
def test_wiener_hunt_in_float32_matches_float64(taper: int) -> None:
    plane = np.random.default_rng(3).random((60, 130))
    psf = linear_psf(11, 20)
    double = wiener_hunt(plane, psf, balance=0.01, taper=taper)
    single = wiener_hunt(plane.astype(np.float32), psf, balance=0.01, taper=taper)
    assert single.dtype == np.float32 and double.dtype == np.float64
    np.testing.assert_allclose(single, double, atol=1e-5)
