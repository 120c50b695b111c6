"""Tests for deblur.gate: the learned plate gate and its features."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from deblur.config import PlateConfig, TileConfig
from deblur.estimate import estimate_linear_psf
from deblur.gate import (
    GATE_FEATURES,
    GATE_THRESHOLDS,
    PlateGate,
    fit_gate,
    plate_features,
    shipped_gate,
)
from deblur.regions import region_weight
from deblur.synth.degrade import make_pair
from deblur.synth.families import family_config
from deblur.synth.plates import make_plates


def _plates(count: int, seed: int) -> list[np.ndarray]:
    return [p.image for p in make_plates(count, PlateConfig(width=240), seed)]


def _features(image: np.ndarray) -> np.ndarray:
    return plate_features(image, estimate_linear_psf(image))


def _gate(**changes: object) -> PlateGate:
    size = len(GATE_FEATURES)
    values = {"mean": (0.0,) * size, "scale": (1.0,) * size, "coef": (1.0,) * size}
    return PlateGate(**{**values, "intercept": 0.0, **changes})  # type: ignore[arg-type]


def test_straight_blur_is_anisotropic_along_its_estimate() -> None:
    sharp = _plates(1, 3)[0]
    names = list(GATE_FEATURES)
    flat = _features(sharp)
    for angle in (0.0, 40.0, 90.0):
        blur = dataclasses.replace(family_config("motion", length=15.0), angle=angle)
        blurred = make_pair(sharp, blur, 1)
        streaked = _features(blurred.blurred)
        assert (
            streaked[names.index("anisotropy")] < 0.5 * flat[names.index("anisotropy")]
        )
        assert streaked[names.index("angle_gap")] < 10.0  # estimate and gradient agree
        assert streaked[names.index("log_strength")] > flat[names.index("log_strength")]


def test_gate_validates_and_loads_with_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="coef needs 7 values"):
        _gate(coef=(1.0,))
    with pytest.raises(ValueError, match="scale must be > 0"):
        _gate(scale=(1.0,) * (len(GATE_FEATURES) - 1) + (0.0,))
    with pytest.raises(ValueError, match="thresholds must be"):
        _gate(thresholds=(0.6, 0.4))
    with pytest.raises(ValueError, match="unknown gate keys: \\['bias'\\]"):
        PlateGate.from_dict({"bias": 1.0})
    bad = tmp_path / "gate.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="gate.json: not a plate gate") as err:
        PlateGate.load(bad)
    assert "\n" not in str(err.value)
    assert _gate().probability(np.zeros(len(GATE_FEATURES))) == 0.5
    assert _gate(thresholds=(0.2, 0.4)).probability(
        np.full(len(GATE_FEATURES), 10.0)
    ) == pytest.approx(1)


def test_fit_gate_separates_a_learnable_rule_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, len(GATE_FEATURES)))
    labels = (features[:, 0] - 2 * features[:, 1] > 0).astype(float)
    gate = fit_gate(features, labels)
    guesses = np.array([gate.probability(f) > 0.5 for f in features])
    assert np.mean(guesses == labels) > 0.95
    assert gate.coef[0] > 0 > gate.coef[1]
    record = {"features": list(GATE_FEATURES), **gate.__dict__}
    path = tmp_path / "gate.json"
    path.write_text(
        json.dumps(
            {k: list(v) if isinstance(v, tuple) else v for k, v in record.items()}
        )
    )
    assert PlateGate.load(path) == gate


def test_shipped_gate_restores_camera_plates_the_thresholds_pass_through() -> None:
    gate = shipped_gate()
    assert gate.thresholds == GATE_THRESHOLDS  # the file is what fit_gate.py writes
    thresholds = TileConfig().plate_pass_through
    camera = sharp = learned = 0
    for i, plate in enumerate(_plates(12, 21)):
        pair = make_pair(plate, family_config("camera", length=17.0), 100 + i)
        estimate = estimate_linear_psf(pair.blurred)
        learned += gate.weight(pair.blurred, estimate) > 0.5
        camera += region_weight(pair.blurred, estimate, thresholds) > 0.5
        noisy = make_pair(plate, family_config("sharp"), 200 + i).blurred
        sharp += gate.weight(noisy, estimate_linear_psf(noisy)) > 0
    assert learned >= 8 > 3 >= camera  # the camera pipeline hides the cepstral valley
    assert sharp == 0  # sharp plates are never touched


def test_tiny_plate_is_passed_through() -> None:
    sliver = np.random.default_rng(0).random((2, 40)).astype(np.float32)
    assert shipped_gate().weight(sliver, estimate_linear_psf(sliver)) == 0.0
