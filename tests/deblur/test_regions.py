"""Tests for deblur.regions: per-region restoration weights of a frame."""

from __future__ import annotations

import numpy as np

from deblur.config import TileConfig
from deblur.estimate import PsfEstimate
from deblur.regions import blur_weight, direction_weight, pooled_weights
from deblur.tiling import image_tiles


def test_blur_weight_and_direction_weight_known_answers() -> None:
    assert [blur_weight(s, (10.0, 14.0)) for s in (3.0, 10.0, 12.0, 14.0, 30.0)] == [
        0.0, 0.0, 0.5, 1.0, 1.0,
    ]  # fmt: skip
    assert blur_weight(0.0, None) == 1.0
    assert [direction_weight(r) for r in (0.1, 0.5, 0.65, 0.8, 2.0)] == [
        1.0, 1.0, 0.5, 0.0, 0.0,
    ]  # fmt: skip


def test_pooled_weights_share_evidence_only_between_agreeing_neighbours() -> None:
    tiles = image_tiles(64, 160, TileConfig(tile=64, overlap=8))  # one row of 3
    assert [t.left for t in tiles] == [0, 56, 96]
    blur = PsfEstimate(length=20.0, angle=30.0, psf=np.ones((1, 1)))
    same = PsfEstimate(length=21.5, angle=33.0, psf=np.ones((1, 1)))
    other = PsfEstimate(length=20.0, angle=80.0, psf=np.ones((1, 1)))
    found = {(0, 0): (same, 0.0), (0, 56): (blur, 1.0), (0, 96): (other, 0.2)}
    weights = pooled_weights(tiles, found)
    assert weights == {(0, 0): 1.0, (0, 56): 1.0, (0, 96): 0.2}
    far = image_tiles(64, 400, TileConfig(tile=64, overlap=8))
    found = {(t.top, t.left): (blur, 0.0) for t in far} | {(0, 0): (blur, 1.0)}
    weights = pooled_weights(far, found)
    assert weights[0, 56] == 1.0 and weights[0, 112] == 0.0  # neighbours only
