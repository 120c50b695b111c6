"""Property tests (hypothesis) for the PSF families of deblur.synth.kernels.

Every kernel is a valid PSF: 2-D, square, odd-sized, non-negative, finite and summing to
one, and the same seed gives the same kernel.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deblur.config import BlurConfig
from deblur.synth.kernels import defocus_psf, random_psf, trajectory_psf
from deblur.types import PSF

KINDS = ["seed2017", "linear", "trajectory", "defocus", "gaussian"]


def _assert_valid_psf(psf: PSF) -> None:
    assert psf.ndim == 2 and psf.shape[0] == psf.shape[1] and psf.shape[0] % 2 == 1
    assert np.isfinite(psf).all() and psf.min() >= 0
    assert psf.sum() == pytest.approx(1.0, abs=1e-9)


def _centroid_offset(psf: PSF) -> float:
    ys, xs = np.indices(psf.shape)
    centre = (psf.shape[0] - 1) / 2
    return float(max(abs((psf * xs).sum() - centre), abs((psf * ys).sum() - centre)))


@settings(max_examples=20, deadline=None)
@given(length=st.floats(1.0, 40.0), seed=st.integers(0, 2**32 - 1))
def test_trajectory_psf_property(length: float, seed: int) -> None:
    psf, params = trajectory_psf(length, rng=seed)
    _assert_valid_psf(psf)
    assert params["kind"] == "trajectory" and params["length"] == length
    # the path is centred and scaled to `length - 1`: the support fits the length
    assert psf.shape[0] <= 2 * int(np.ceil(length)) + 3
    again, _ = trajectory_psf(length, rng=seed)
    np.testing.assert_array_equal(psf, again)


@settings(max_examples=20, deadline=None)
@given(diameter=st.floats(1.0, 30.0))
def test_defocus_psf_property(diameter: float) -> None:
    psf = defocus_psf(diameter)
    _assert_valid_psf(psf)
    assert psf.shape[0] <= int(np.ceil(diameter)) + 1
    np.testing.assert_allclose(psf, psf.T, atol=1e-12)  # a disc: symmetric
    np.testing.assert_allclose(psf, psf[::-1, ::-1], atol=1e-12)
    assert _centroid_offset(psf) == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    low=st.floats(1.0, 20.0),
    span=st.floats(0.0, 15.0),
    width=st.integers(40, 300),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_psf_property(
    kind: str, low: float, span: float, width: int, seed: int
) -> None:
    cfg = BlurConfig(kind=kind, length=(low, low + span))
    draw = random_psf(cfg, rng=seed, width=width)
    _assert_valid_psf(draw.psf)
    assert draw.params["kind"] == kind
    if kind != "seed2017":  # seed2017 draws its own length from the image width
        assert low <= float(draw.params["length"]) <= low + span
    if kind in ("linear", "defocus", "gaussian"):
        assert _centroid_offset(draw.psf) == pytest.approx(0.0, abs=1e-6)
    again = random_psf(cfg, rng=seed, width=width)
    np.testing.assert_array_equal(draw.psf, again.psf)
