"""Tests for deblur.synth.plate_wear."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from deblur.io import to_float
from deblur.synth.plate_wear import (
    CAR_COLOURS,
    add_dirt,
    add_shadow,
    car_body,
    draw_bolts,
    textured_background,
)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_draw_bolts_draws_only_around_the_centres_on_a_copy() -> None:
    plate = PILImage.new("RGB", (120, 40), (200, 200, 40))
    before = np.asarray(plate).copy()
    out = draw_bolts(plate, [(30.0, 10.0), (90.0, 10.0)], 4.0, _rng())
    np.testing.assert_array_equal(np.asarray(plate), before)  # input untouched
    changed = np.any(np.asarray(out) != before, axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 20
    near = np.minimum(np.hypot(xs - 30, ys - 10), np.hypot(xs - 90, ys - 10))
    assert near.max() <= 5.5  # within the radius (plus anti-aliasing)
    assert changed[:, :60].sum() > 0 and changed[:, 60:].sum() > 0


@pytest.mark.parametrize(("level", "sign"), [(0.95, -1), (0.05, 1)])
def test_add_dirt_darkens_light_and_lightens_dark_plates(
    level: float, sign: int
) -> None:
    image = np.full((40, 120, 3), level, np.float32)
    dirty = add_dirt(image, 0.6, _rng(3))
    assert np.all(image == level)  # input untouched
    assert dirty.dtype == np.float32 and 0 <= dirty.min() and dirty.max() <= 1
    assert sign * float(dirty.mean() - level) > 0.005
    assert np.abs(dirty - level).max() <= 0.6 + 1e-6  # opacity at most `strength`


def test_add_dirt_zero_strength_is_identity() -> None:
    image = _rng(1).random((20, 30, 3), dtype=np.float32)
    np.testing.assert_allclose(add_dirt(image, 0.0, _rng(2)), image, atol=1e-7)


def test_add_shadow_darkens_part_by_at_most_depth() -> None:
    image = np.full((56, 240, 3), 0.8, np.float32)
    shaded = add_shadow(image, 0.5, _rng(4))
    assert np.all(image == 0.8)
    ratio = shaded[..., 0] / 0.8  # red falls off by the full depth
    assert ratio.min() >= 0.5 - 1e-5 and ratio.max() <= 1 + 1e-6
    dark = (ratio < 0.75).mean()
    assert 0.05 < dark < 0.7, dark
    assert (ratio > 0.99).mean() > 0.2  # part of the image is left alone


def test_add_shadow_zero_depth_is_identity() -> None:
    image = _rng(5).random((20, 30, 3), dtype=np.float32)
    np.testing.assert_allclose(add_shadow(image, 0.0, _rng(6)), image, atol=1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_car_body_recess_is_darker_than_the_body_beside_it(seed: int) -> None:
    box = (150.0, 60.0, 330.0, 100.0)
    image = to_float(np.asarray(car_body((480, 160), box, _rng(seed))))
    assert image.shape == (160, 480, 3)
    rows = slice(70, 90)
    inside = image[rows, 152:160].mean()  # in the recess, beside the plate
    outside = image[rows, 100:108].mean()  # body, beyond any recess padding
    assert inside < outside, (inside, outside)


def test_car_colours_are_valid() -> None:
    for rgb, weight in CAR_COLOURS.values():
        assert all(0 <= c <= 1 for c in rgb) and weight > 0


def test_textured_background_flat_is_grey_and_draws_nothing() -> None:
    rng = _rng(7)
    flat = textured_background((40, 20), False, rng)
    assert np.all(np.asarray(flat) == 128)
    assert rng.random() == _rng(7).random()
    textured = np.asarray(textured_background((40, 20), True, _rng(8)))
    assert textured.shape == (20, 40, 3) and textured.std() > 0
