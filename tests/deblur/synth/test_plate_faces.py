"""Tests for deblur.synth.plate_faces."""

from __future__ import annotations

import numpy as np
import pytest

from deblur.config import PLATE_SCHEMES, PLATE_STYLES, PlateConfig
from deblur.io import to_float, to_gray
from deblur.synth.plate_faces import (
    FONTS,
    LIGHT_ON_DARK,
    PlateLook,
    plate_face,
    style_schemes,
)

TEXT = {"uk": "AB12 CDE", "eu": "AB-123-CD", "us": "7ABC123", "cn": "AB 12345"}
TEXT |= {"br": "ABC1D23", "br_old": "ABC 1234"}
SIZE = (300, 80)


def _face(style: str, scheme: str, **options: float) -> tuple[np.ndarray, PlateLook]:
    cfg = PlateConfig(scheme=scheme, border=False, **options)  # type: ignore[arg-type]
    face, look = plate_face(
        TEXT[style], style, FONTS[0], SIZE, cfg=cfg, rng=np.random.default_rng(1)
    )
    return to_float(np.asarray(face)), look


def _ink_and_plate(style: str) -> tuple[np.ndarray, np.ndarray]:
    """Text and plate pixels, found on the black-on-white face of the same draw."""
    rgba, _ = _face(style, "black_on_white")
    inside = rgba[..., 3] == 1.0
    ink = (rgba[..., :3].max(axis=2) < 0.3) & inside
    plate = (rgba[..., :3].min(axis=2) > 0.8) & inside
    return ink, plate


@pytest.mark.parametrize("style", PLATE_STYLES)
@pytest.mark.parametrize("scheme", PLATE_SCHEMES)
def test_plate_face_scheme_sets_text_and_plate_luminance(
    style: str, scheme: str
) -> None:
    ink, plate = _ink_and_plate(style)
    assert ink.mean() > 0.05 and plate.mean() > 0.3
    rgba, look = _face(style, scheme)
    luminance = to_gray(rgba[..., :3])
    text, ground = float(luminance[ink].mean()), float(luminance[plate].mean())
    assert look.scheme == scheme
    if scheme in LIGHT_ON_DARK:
        assert text > ground + 0.4, (text, ground)
    else:
        assert text < ground - 0.3, (text, ground)


def test_light_on_dark_holds_the_four_schemes_of_the_issue() -> None:
    assert set(LIGHT_ON_DARK) == {
        "white_on_blue", "white_on_green", "white_on_black", "yellow_on_black",
        "white_on_red",
    }  # fmt: skip
    assert set(LIGHT_ON_DARK) < set(PLATE_SCHEMES)


def test_style_schemes_known_answers() -> None:
    assert style_schemes("uk") == (
        "black_on_white",
        "black_on_yellow",
        "white_on_black",
    )
    assert style_schemes("us")[0] == "state"
    assert style_schemes("cn")[0] == "white_on_blue"
    assert style_schemes("br") == ("black_on_white", "red_on_white")
    assert style_schemes("br_old") == ("black_on_grey", "white_on_red")
    for style in PLATE_STYLES:
        assert set(style_schemes(style)) <= {*PLATE_SCHEMES, "state"}


def test_style_schemes_rejects_unknown_style() -> None:
    with pytest.raises(ValueError, match="style must be one of"):
        style_schemes("mars")


@pytest.mark.parametrize(("style", "usual"), [("cn", "white_on_blue"), ("us", "state")])
def test_plate_face_auto_scheme_is_the_usual_one(style: str, usual: str) -> None:
    assert _face(style, "auto")[1].scheme == usual


def test_plate_face_is_rgba_with_transparent_corners() -> None:
    rgba, look = _face("br", "auto")
    assert rgba.shape == (SIZE[1], SIZE[0], 4)
    assert rgba[0, 0, 3] == 0.0 and rgba[SIZE[1] // 2, SIZE[0] // 2, 3] == 1.0
    assert look == PlateLook(scheme="black_on_white")


def test_plate_face_bolts_and_dirt_are_drawn_and_recorded() -> None:
    clean, _ = _face("cn", "white_on_blue")
    worn, look = _face("cn", "white_on_blue", bolts=1.0, dirt=1.0)
    assert look.bolts and 0.25 <= look.dirt <= 0.7
    assert np.abs(worn - clean).max() > 0.2


def test_plate_look_as_row() -> None:
    look = PlateLook(scheme="white_on_black", bolts=True, dirt=0.31234, shadow=0.5)
    assert look.as_row() == {
        "scheme": "white_on_black", "bolts": "1", "dirt": "0.312",
        "shadow": "0.500", "surround": "texture",
    }  # fmt: skip
