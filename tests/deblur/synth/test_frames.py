"""Tests for deblur.synth.frames: synthetic camera frames with a known plate box."""

from __future__ import annotations

import numpy as np
import pytest

from deblur.synth.frames import make_frame


def test_make_frame_pastes_the_plate_at_its_box_and_is_deterministic() -> None:
    plate = np.random.default_rng(0).random((56, 240, 3), dtype=np.float32)
    frame = make_frame(plate, height=384, width=512, rng=3)
    x, y, w, h = frame.box
    assert (w, h) == (240, 56) and frame.image.shape == (384, 512, 3)
    assert 16 <= x <= 512 - 16 - w and 16 <= y <= 384 - 16 - h
    np.testing.assert_array_equal(frame.image[y : y + h, x : x + w], plate)
    assert frame.image.dtype == np.float32
    assert 0.0 <= frame.image.min() and frame.image.max() <= 1.0
    again = make_frame(plate, height=384, width=512, rng=3)
    np.testing.assert_array_equal(again.image, frame.image)
    assert again.box == frame.box


def test_make_frame_rejects_gray_and_oversized_plates() -> None:
    with pytest.raises(ValueError, match=r"plate must be \(h, w, 3\)"):
        make_frame(np.zeros((20, 60), np.float32))
    with pytest.raises(ValueError, match="does not fit a 100x64 frame"):
        make_frame(np.zeros((40, 90, 3), np.float32), height=64, width=100)
