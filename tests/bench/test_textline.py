"""Text-line localisation: drawn plates with known boxes, and real rendered plates."""

from __future__ import annotations

import numpy as np
import pytest

from bench.textline import TextLine, crop_text_region, find_text_line
from deblur.config import PlateConfig

CHARS = [(30 + 16 * k, 30 + 16 * k + 11) for k in range(6)]  # x ranges of 6 glyphs
TOP, BOTTOM = 22, 46  # rows of the glyphs (height 24)


def _plate(*, dark: bool = True) -> np.ndarray:
    """A 64x160 plate: frame, EU-like band, small 'state' text and 6 glyph blocks."""
    ink, paper = (0.05, 0.95) if dark else (0.95, 0.05)
    plate = np.full((64, 160), paper, np.float32)
    plate[2, 2:158] = plate[61, 2:158] = ink  # 1-px frame
    plate[2:62, 2] = plate[2:62, 157] = ink
    plate[6:58, 8:20] = ink  # band: taller than the glyphs
    for k in range(6):  # state name: a row of small glyphs above the registration
        plate[8:14, 60 + 8 * k : 60 + 8 * k + 5] = ink
    for left, right in CHARS:
        plate[TOP:BOTTOM, left:right] = ink
        plate[TOP + 6 : BOTTOM - 6, left + 4 : right - 4] = paper  # a hole, like an O
    return plate


def test_find_text_line_dark_text_box() -> None:
    line = find_text_line(_plate())
    assert line == TextLine(top=TOP, bottom=BOTTOM, left=CHARS[0][0],
                            right=CHARS[-1][1], char_height=24.0, count=6,
                            angle=pytest.approx(0.0), dark_text=True)  # fmt: skip


def test_find_text_line_light_text() -> None:
    line = find_text_line(_plate(dark=False))
    assert line is not None and not line.dark_text
    assert (line.top, line.bottom, line.left, line.right) == (
        TOP, BOTTOM, CHARS[0][0], CHARS[-1][1],
    )  # fmt: skip


def test_find_text_line_touching_characters_are_kept() -> None:
    plate = _plate()
    plate[TOP:BOTTOM, CHARS[2][1] : CHARS[3][0]] = 0.05  # glyphs 3 and 4 merge
    line = find_text_line(plate)
    assert line is not None
    assert (line.left, line.right) == (CHARS[0][0], CHARS[-1][1])


def test_find_text_line_follows_a_tilted_line() -> None:
    plate = np.full((80, 200), 0.9, np.float32)
    for k in range(7):
        left, top = 20 + 24 * k, 20 + 2 * k  # drops 2 px per glyph: tilted
        plate[top : top + 24, left : left + 14] = 0.1
    line = find_text_line(plate)
    assert line is not None and line.count == 7
    assert line.angle == pytest.approx(np.degrees(np.arctan(2 / 24)), abs=0.5)


def test_crop_text_region_deskews() -> None:
    plate = np.full((80, 200), 0.9, np.float32)
    for k in range(7):
        plate[20 + 2 * k : 44 + 2 * k, 20 + 24 * k : 34 + 24 * k] = 0.1
    level = crop_text_region(plate, margin=0.0)
    skewed = crop_text_region(plate, margin=0.0, deskew=False)
    assert skewed.shape[0] == 36  # 24 px glyphs spread over 12 px of drop
    assert level.shape[0] <= 26  # levelled: one glyph height (+ interpolation)


@pytest.mark.parametrize("image", [np.full((40, 120), 0.5, np.float32),
                                   np.zeros((40, 120), np.float32)])  # fmt: skip
def test_find_text_line_blank_is_none(image: np.ndarray) -> None:
    assert find_text_line(image) is None


def test_find_text_line_needs_min_chars() -> None:
    assert find_text_line(_plate(), min_chars=7) is None
    with pytest.raises(ValueError, match="min_chars"):
        find_text_line(_plate(), min_chars=0)


def test_crop_text_region_margin_and_channels() -> None:
    gray = _plate()
    rgb = np.repeat(gray[..., None], 3, axis=2)
    crop = crop_text_region(rgb, margin=0.25)
    pad = 6  # 0.25 * 24
    assert crop.shape == (
        BOTTOM - TOP + 2 * pad,
        CHARS[-1][1] - CHARS[0][0] + 2 * pad,
        3,
    )
    np.testing.assert_array_equal(
        crop[..., 0],
        gray[TOP - pad : BOTTOM + pad, CHARS[0][0] - pad : CHARS[-1][1] + pad],
    )


def test_crop_text_region_falls_back_to_whole_image() -> None:
    blank = np.full((40, 120), 0.5, np.float32)
    crop = crop_text_region(blank)
    assert crop.shape == blank.shape and crop is not blank


def test_crop_text_region_input_untouched() -> None:
    plate = _plate()
    before = plate.copy()
    crop_text_region(plate)
    np.testing.assert_array_equal(plate, before)


def test_crop_text_region_rejects_negative_margin() -> None:
    with pytest.raises(ValueError, match="margin"):
        crop_text_region(_plate(), margin=-0.1)


@pytest.mark.parametrize("style", ["uk", "eu", "us"])
def test_crop_text_region_on_rendered_plates(style: str) -> None:
    """The crop keeps the registration only: far narrower/shorter than the plate."""
    from deblur.synth.plates import make_plates

    for plate in make_plates(4, PlateConfig(style=style, width=240), rng=5):
        line = find_text_line(plate.image)
        assert line is not None, plate.text
        glyphs = len(plate.text.replace(" ", "").replace("-", ""))
        assert glyphs - 3 <= line.count <= glyphs, (plate.text, line)
        crop = crop_text_region(plate.image)
        assert crop.shape[0] < 0.8 * plate.image.shape[0]


def test_find_text_line_includes_a_descending_first_character() -> None:
    plate = _plate()
    left, right = CHARS[0]
    plate[TOP : BOTTOM + 8, left:right] = 0.05  # a J whose hook hangs below the line
    plate[TOP : BOTTOM - 2, left : right - 4] = 0.95
    line = find_text_line(plate)
    assert line is not None and line.count == 6
    assert (line.left, line.bottom) == (left, BOTTOM + 8)


def test_find_text_line_ignores_a_sparse_sliver_beside_the_line() -> None:
    plate = _plate()
    for row in range(TOP, BOTTOM):  # a slanted 2-px border piece, 6 px wide
        x = 22 + (row - TOP) * 5 // 24
        plate[row, x : x + 2] = 0.05
    line = find_text_line(plate)
    assert line is not None and (line.left, line.count) == (CHARS[0][0], 6)


def test_find_text_line_extend_reaches_a_glyph_merged_with_the_border() -> None:
    # After restoration the last glyph often touches the frame: its component is the
    # whole frame, so the strict line stops one glyph early and the crop cuts it off.
    plate = _plate()
    last_left, last_right = CHARS[-1]
    plate[2:TOP, last_left + 4 : last_left + 6] = 0.05  # a stroke up to the frame
    strict = find_text_line(plate)
    extended = find_text_line(plate, extend=True)
    assert strict is not None and strict.right == CHARS[-2][1]
    assert extended is not None and extended.right == last_right
    assert (extended.left, extended.top, extended.bottom) == (
        strict.left, strict.top, strict.bottom,
    )  # fmt: skip


def test_find_text_line_extend_ignores_frame_and_band() -> None:
    # The frame's sides and the EU-like band are solid pieces of tall components.
    assert find_text_line(_plate(), extend=True) == find_text_line(_plate())
    crop = crop_text_region(_plate(), margin=0.0, extend=True)
    assert crop.shape == (BOTTOM - TOP, CHARS[-1][1] - CHARS[0][0])
