from __future__ import annotations

import numpy as np
import pytest

from deblur.config import BlurConfig
from deblur.synth.degrade import make_pair
from deblur.synth.families import (
    FAMILIES,
    available_families,
    family_config,
    training_mix,
)


def test_available_families_cover_the_issue_list() -> None:
    names = set(available_families())
    assert {"sharp", "motion", "shake", "defocus", "soft", "lowres", "dim"} <= names
    assert {"jpeg", "camera", "seed2017"} <= names
    assert all(FAMILIES[n].family == n for n in names)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_draw_records_family_and_keeps_shape(
    name: str, tiny_plate_rgb: np.ndarray
) -> None:
    pair = make_pair(tiny_plate_rgb, family_config(name), rng=3)
    assert pair.blurred.shape == tiny_plate_rgb.shape
    assert pair.blurred.dtype == np.float32
    assert pair.params["family"] == name
    assert 0.0 <= pair.blurred.min() and pair.blurred.max() <= 1.0


def test_family_config_fixes_length_only_for_kernels() -> None:
    assert family_config("shake", length=9).length == (9.0, 9.0)
    assert family_config("sharp", length=9) == FAMILIES["sharp"]
    assert family_config("seed2017", length=9) == FAMILIES["seed2017"]


def test_family_config_rejects_unknown_and_short() -> None:
    with pytest.raises(KeyError, match="available"):
        family_config("wobble")
    with pytest.raises(ValueError, match="length"):
        family_config("motion", length=0.5)


def test_sharp_family_changes_only_by_noise(tiny_plate_rgb: np.ndarray) -> None:
    pair = make_pair(tiny_plate_rgb, family_config("sharp"), rng=0)
    assert np.abs(pair.blurred - tiny_plate_rgb).max() < 0.06
    np.testing.assert_array_equal(pair.sharp, tiny_plate_rgb)


def test_camera_family_runs_every_stage(tiny_plate_rgb: np.ndarray) -> None:
    params = make_pair(tiny_plate_rgb, family_config("camera"), rng=1).params
    for key in ("length", "angle", "optics", "photons", "noise", "jpeg_quality"):
        assert key in params
    assert 40 <= params["jpeg_quality"] <= 75


def test_dim_family_changes_the_reference_too(tiny_plate_rgb: np.ndarray) -> None:
    pair = make_pair(tiny_plate_rgb, family_config("dim"), rng=2)
    assert not np.array_equal(pair.sharp, tiny_plate_rgb)
    assert {"gamma", "contrast", "brightness"} <= set(pair.params)


def test_training_mix_weights_and_negatives() -> None:
    mix = training_mix({"sharp": 2.0, "shake": 1.0}, invert=0.25)
    assert [c.family for c in mix] == ["sharp", "shake"]
    assert [c.weight for c in mix] == [2.0, 1.0]
    assert all(c.invert == 0.25 for c in mix)
    with pytest.raises(KeyError):
        training_mix({"nope": 1.0})


def test_stages_off_by_default_keep_old_draws(tiny_plate: np.ndarray) -> None:
    cfg = BlurConfig(kind="linear", length=(9.0, 9.0), noise=(0.01, 0.01))
    old = make_pair(tiny_plate, cfg, rng=5)
    assert set(old.params) == {"kind", "length", "angle", "noise"}
