from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deblur.config import BlurConfig
from deblur.synth.kernels import (
    defocus_psf,
    gaussian_psf,
    linear_psf,
    random_psf,
    seed2017_kernel,
    seed2017_line_psf,
    seed2017_psf,
    seed2017_size,
    trajectory_psf,
)


@pytest.mark.parametrize("length", [3, 5, 9, 17, 31])
def test_linear_psf_horizontal_spreads_point_over_length(length: int) -> None:
    psf = linear_psf(length, 0.0)
    columns = np.nonzero(psf.sum(axis=0) > 1e-9)[0]
    assert len(columns) == length
    assert np.count_nonzero(psf.sum(axis=1) > 1e-9) == 1
    np.testing.assert_allclose(psf.sum(axis=0)[columns], 1.0 / length, rtol=1e-6)


def test_linear_psf_vertical_is_transpose_of_horizontal() -> None:
    np.testing.assert_allclose(linear_psf(9, 90.0), linear_psf(9, 0.0).T, atol=1e-9)


def test_linear_psf_fractional_length_is_antialiased() -> None:
    psf = linear_psf(5.5, 0.0)
    assert psf.shape[0] % 2 == 1
    row = psf.sum(axis=0)
    assert row[0] < row[psf.shape[1] // 2]


def test_linear_psf_rejects_short_length() -> None:
    with pytest.raises(ValueError, match="length"):
        linear_psf(0.5, 0.0)


@settings(max_examples=40, deadline=None)
@given(length=st.floats(1.0, 40.0), angle=st.floats(0.0, 360.0))
def test_linear_psf_property_sums_to_one_odd_centred(
    length: float, angle: float
) -> None:
    psf = linear_psf(length, angle)
    assert psf.shape[0] == psf.shape[1] and psf.shape[0] % 2 == 1
    assert psf.min() >= 0
    assert psf.sum() == pytest.approx(1.0)
    # centred: the centroid is the middle pixel
    ys, xs = np.indices(psf.shape)
    centre = (psf.shape[0] - 1) / 2
    assert (psf * xs).sum() == pytest.approx(centre, abs=1e-6)
    assert (psf * ys).sum() == pytest.approx(centre, abs=1e-6)


def test_seed2017_size_is_odd_and_in_range() -> None:
    rng = np.random.default_rng(0)
    sizes = [seed2017_size(240, rng) for _ in range(500)]
    assert all(s % 2 == 1 for s in sizes)
    assert min(sizes) >= int(60 * 0.3) - 1 and max(sizes) <= 60


def test_seed2017_kernel_is_one_sided_line() -> None:
    k = seed2017_kernel(7)
    assert k[3, 3:].tolist() == pytest.approx([0.25] * 4)
    assert k.sum() == pytest.approx(1.0) and k[3, :3].sum() == 0


def test_seed2017_psf_matches_line_and_params() -> None:
    psf, params = seed2017_psf(240, rng=3)
    assert params["kind"] == "seed2017"
    assert params["length"] == (params["size"] + 1) / 2
    np.testing.assert_allclose(
        psf, seed2017_line_psf(int(params["size"]), params["angle"])
    )
    assert psf.sum() == pytest.approx(1.0)


def test_trajectory_psf_deterministic_and_normalised() -> None:
    a, pa = trajectory_psf(21, rng=5)
    b, pb = trajectory_psf(21, rng=5)
    np.testing.assert_array_equal(a, b)
    assert pa == pb and a.sum() == pytest.approx(1.0)
    assert a.shape[0] <= 25


def test_defocus_psf_symmetric() -> None:
    k = defocus_psf(7)
    np.testing.assert_allclose(k, k.T)
    np.testing.assert_allclose(k, k[::-1, ::-1])
    assert k.sum() == pytest.approx(1.0)


def test_gaussian_psf_sigma_validation() -> None:
    with pytest.raises(ValueError, match="sigma"):
        gaussian_psf(0.0)
    with pytest.raises(ValueError, match="diameter"):
        defocus_psf(0.5)


@pytest.mark.parametrize(
    "kind", ["seed2017", "linear", "trajectory", "defocus", "gaussian"]
)
def test_random_psf_every_kind_sums_to_one_and_records_params(kind: str) -> None:
    draw = random_psf(BlurConfig(kind=kind, length=(5.0, 15.0)), rng=1, width=120)
    assert draw.psf.sum() == pytest.approx(1.0)
    assert draw.params["kind"] == kind
    again = random_psf(BlurConfig(kind=kind, length=(5.0, 15.0)), rng=1, width=120)
    np.testing.assert_array_equal(draw.psf, again.psf)


def test_random_psf_fixed_angle_is_used() -> None:
    draw = random_psf(
        BlurConfig(kind="linear", length=(9, 9), angle=0.0), rng=0, width=100
    )
    assert draw.params["angle"] == 0.0
    np.testing.assert_allclose(draw.psf, linear_psf(9, 0.0))


@pytest.mark.parametrize("length", [1.0, 5.0, 17.0, 31.0])
def test_shake_psf_sums_to_one_and_is_odd(length: float) -> None:
    from deblur.synth.kernels import shake_psf

    psf, params = shake_psf(length, rng=4)
    assert psf.shape[0] == psf.shape[1] and psf.shape[0] % 2 == 1
    assert psf.sum() == pytest.approx(1.0)
    assert params["kind"] == "shake" and params["length"] == length


def test_shake_psf_is_uneven_along_its_path() -> None:
    from deblur.synth.kernels import shake_psf

    psf, _ = shake_psf(25.0, rng=1)
    on_path = psf[psf > 1e-4]
    assert on_path.max() > 2.0 * np.median(on_path)
    with pytest.raises(ValueError, match="length"):
        shake_psf(0.5)


def test_random_psf_none_is_delta() -> None:
    draw = random_psf(BlurConfig(kind="none"), rng=0, width=64)
    np.testing.assert_array_equal(draw.psf, np.ones((1, 1)))
