"""Tests for deblur.synth.plates."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image as PILImage

from deblur.config import PlateConfig
from deblur.io import to_uint8
from deblur.synth.plates import (
    FONTS,
    font_path,
    make_plates,
    plate_size,
    random_text,
    render_plate,
)

TINY = PlateConfig(width=96, height=32)
PLAIN = PlateConfig(
    scale_jitter=0.0,
    rotation=0.0,
    perspective=0.0,
    illumination=0.0,
    background=False,
    noise=0.0,
)
GRAMMARS = {
    "uk": r"^[A-Z]{2}\d{2} [A-Z]{3}$",
    "eu": r"^([A-Z]{2}-\d{3}-[A-Z]{2}|[A-Z]{2} \d{3}[A-Z]{2}|\d{4} [A-Z]{3}"
    r"|[A-Z]{1,3} [A-Z]{1,2} [1-9]\d{0,3})$",
    "us": r"^([1-9][A-Z]{3}\d{3}|[A-Z]{3}-\d{4}|[A-Z]{3} [A-Z]\d{2}|[A-Z]{2} \d{5})$",
}


@pytest.mark.parametrize("style", ["uk", "eu", "us"])
def test_random_text_follows_style_grammar(style: str) -> None:
    rng = np.random.default_rng(0)
    texts = [random_text(style, rng) for _ in range(200)]
    for text in texts:
        assert re.match(GRAMMARS[style], text), text
        assert not set(text) & set("IOQ")
    assert len(set(texts)) > 150


def test_random_text_uk_age_identifier_is_valid() -> None:
    ages = {int(random_text("uk", seed)[2:4]) for seed in range(300)}
    assert ages <= set(range(2, 26)) | set(range(52, 76))


def test_random_text_rejects_unknown_style() -> None:
    with pytest.raises(ValueError, match="style must be one of"):
        random_text("fr", 0)


def test_plate_size_known_answers() -> None:
    assert plate_size("uk") == (56, 240)
    assert plate_size("eu") == (56, 240)
    assert plate_size("us") == (120, 240)
    assert plate_size("us", PlateConfig(width=120)) == (60, 120)
    assert plate_size("uk", TINY) == (32, 96)


@pytest.mark.parametrize("font", FONTS)
def test_font_path_exists(font: str) -> None:
    assert font_path(font).is_file()


def test_font_path_rejects_unknown_font() -> None:
    with pytest.raises(ValueError, match="font must be one of"):
        font_path("Arial")


@pytest.mark.parametrize("style", ["uk", "eu", "us"])
def test_render_plate_shape_dtype_range(style: str) -> None:
    image = render_plate("AB12 CDE", TINY, 0, style=style, font=FONTS[1])
    assert image.shape == (32, 96, 3)
    assert image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_render_plate_default_size_follows_style() -> None:
    assert render_plate("7ABC123", None, 0, style="us").shape == (120, 240, 3)


def test_render_plate_plain_has_flat_grey_corners_and_dark_text() -> None:
    image = render_plate("AB12 CDE", PLAIN, 0, style="uk")
    value = to_uint8(image).max(axis=2)  # HSV value: white and yellow are both light
    assert np.all(to_uint8(image)[:2, :2] == 128)  # flat background, no noise
    plate = value[15:41, 30:210]
    assert (plate < 60).mean() > 0.15  # large dark characters
    assert (plate > 200).mean() > 0.3  # on a light plate


def test_render_plate_noise_option_changes_pixels() -> None:
    clean = render_plate("AB12 CDE", PLAIN, 3, style="eu")
    noisy = render_plate(
        "AB12 CDE", PlateConfig(**{**PLAIN.__dict__, "noise": 0.05}), 3, style="eu"
    )
    assert 0.02 < float(np.std(noisy - clean)) < 0.08


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("ab12", {"style": "uk"}, "text must be"),
        ("", {"style": "uk"}, "text must be"),
        ("AB12 CDE FGHIJKL", {"style": "uk"}, "text must be"),
        ("AB12", {"style": "xx"}, "style must be one of"),
        ("AB12", {}, "style must be given"),
        ("AB12", {"style": "uk", "font": "Comic"}, "font must be one of"),
    ],
)
def test_render_plate_rejects_bad_input(text: str, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        render_plate(text, TINY, 0, **kwargs)


def test_make_plates_is_deterministic_and_seed_dependent() -> None:
    first = list(make_plates(4, TINY, 7))
    again = list(make_plates(4, TINY, 7))
    other = list(make_plates(4, TINY, 8))
    for a, b in zip(first, again, strict=True):
        assert (a.text, a.style, a.font) == (b.text, b.style, b.font)
        np.testing.assert_array_equal(a.image, b.image)
    assert [p.text for p in first] != [p.text for p in other]


def test_make_plates_any_style_draws_all_styles_and_fonts() -> None:
    samples = list(make_plates(30, PlateConfig(width=48, height=16), 0))
    assert {p.style for p in samples} == {"uk", "eu", "us"}
    assert {p.font for p in samples} == set(FONTS)
    for p in samples:
        assert re.match(GRAMMARS[p.style], p.text)


def test_make_plates_fixed_style() -> None:
    assert {p.style for p in make_plates(5, PlateConfig(style="us", width=48), 1)} == {
        "us"
    }


def test_make_plates_rejects_negative_count() -> None:
    with pytest.raises(ValueError, match="count must be >= 0"):
        make_plates(-1, TINY, 0)


def test_make_plates_sharp_plates_are_read_by_tesseract(tesseract_binary: str) -> None:
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = tesseract_binary
    samples = list(make_plates(8, PlateConfig(**{**PLAIN.__dict__, "style": "uk"}), 0))
    read = 0
    for sample in samples:
        pil = PILImage.fromarray(to_uint8(sample.image))
        text = pytesseract.image_to_string(pil, config="--psm 7")
        read += re.sub("[^A-Z0-9]", "", text.upper()) == sample.text.replace(" ", "")
    assert read >= 4, f"tesseract read only {read} of 8 sharp plates (5 with 5.3)"
