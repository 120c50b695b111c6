"""Draw the flat face of a synthetic plate: colours, layout, text, bolts and dirt.

:func:`plate_face` draws one plate, upright and unwarped, at the size it asks for;
:func:`deblur.synth.plates.render_plate` then warps it into the camera frame. The
layouts are the classic ``uk``, ``eu`` and ``us`` ones, the ``cn`` and ``br``
(Mercosur) plates and the ``br_old`` Brazilian plate; the colour schemes are
:data:`~deblur.config.PLATE_SCHEMES`, and
:func:`style_schemes` says which ones each style takes.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from deblur.config import PLATE_STYLES, PlateConfig
from deblur.io import to_float, to_uint8
from deblur.synth.plate_wear import add_dirt, draw_bolts

__all__ = [
    "FONTS",
    "LIGHT_ON_DARK",
    "PlateLook",
    "font_path",
    "style_schemes",
    "plate_face",
]

FONTS = ("DejaVuSans-Bold", "DejaVuSansMono-Bold", "DejaVuSerif-Bold")
"""Typefaces shipped with matplotlib (no download); names of ``.ttf`` files."""

_EU_GRAMMARS = {  # country code -> (pattern for random_text, regex to recognise it)
    "F": ("LL-DDD-LL", r"^[A-Z]{2}-\d{3}-[A-Z]{2}$"),
    "I": ("LL DDDLL", r"^[A-Z]{2} \d{3}[A-Z]{2}$"),
    "E": ("DDDD LLL", r"^\d{4} [A-Z]{3}$"),
    "D": ("L LL DDDD", r"^[A-Z]{1,3} [A-Z]{1,2} \d{1,4}$"),
}
# state -> (pattern, background RGB, text RGB, state-name RGB)
_US_STATES = {
    "CALIFORNIA": (
        "NLLLDDD",
        (0.97, 0.97, 0.97),
        (0.05, 0.10, 0.45),
        (0.75, 0.10, 0.10),
    ),
    "NEW YORK": (
        "LLL-DDDD",
        (0.98, 0.85, 0.35),
        (0.05, 0.12, 0.40),
        (0.05, 0.12, 0.40),
    ),
    "TEXAS": ("LLL-DDDD", (0.95, 0.95, 0.92), (0.05, 0.05, 0.05), (0.10, 0.10, 0.35)),
    "FLORIDA": ("LLL LDD", (0.96, 0.96, 0.93), (0.05, 0.35, 0.15), (0.85, 0.40, 0.05)),
    "ILLINOIS": (
        "LL DDDDD",
        (0.93, 0.95, 0.98),
        (0.35, 0.05, 0.10),
        (0.05, 0.15, 0.45),
    ),
}
_EU_BLUE = (0.0, 0.20, 0.60)
_EU_YELLOW = (1.0, 0.80, 0.0)
_WHITE = (0.97, 0.97, 0.95)
_INK = (0.03, 0.03, 0.03)
_NIGHT = (0.06, 0.06, 0.07)
_SCHEMES = {  # name -> (plate RGB, text RGB)
    "black_on_white": (_WHITE, _INK),
    "black_on_yellow": ((0.98, 0.82, 0.08), _INK),
    "red_on_white": (_WHITE, (0.72, 0.05, 0.05)),
    "white_on_blue": ((0.03, 0.22, 0.62), (0.97, 0.97, 0.97)),
    "white_on_green": ((0.02, 0.38, 0.18), (0.97, 0.97, 0.97)),
    "white_on_black": (_NIGHT, (0.93, 0.93, 0.93)),
    "yellow_on_black": (_NIGHT, (0.98, 0.80, 0.10)),
    "black_on_grey": ((0.74, 0.74, 0.72), _INK),
    "white_on_red": ((0.66, 0.08, 0.07), (0.95, 0.95, 0.95)),
}
LIGHT_ON_DARK = (
    "white_on_blue",
    "white_on_green",
    "white_on_black",
    "yellow_on_black",
    "white_on_red",
)
"""The schemes of :data:`~deblur.config.PLATE_SCHEMES` with light text on a dark plate."""
# style -> (usual schemes, other real-world schemes taken with cfg.scheme_variety).
# "state" is the US state's own colours; UK draws white front or yellow rear plates.
_STYLE_SCHEMES = {
    "uk": (("black_on_white", "black_on_yellow"), ("white_on_black",)),
    "eu": (
        ("black_on_white",),
        ("black_on_yellow", "white_on_black", "white_on_blue"),
    ),
    "us": (
        ("state",),
        ("white_on_blue", "white_on_green", "white_on_black", "yellow_on_black"),
    ),
    "cn": (("white_on_blue",), ("black_on_yellow", "white_on_black", "black_on_white")),
    "br": (("black_on_white",), ("red_on_white",)),
    "br_old": (("black_on_grey",), ("white_on_red",)),
}
_BR_CITIES = (
    "SP-SAO PAULO", "RJ-RIO DE JANEIRO", "MG-BELO HORIZONTE", "BA-SALVADOR",
    "DF-BRASILIA", "PR-CURITIBA", "GO-GOIANIA", "RS-PORTO ALEGRE", "PE-RECIFE",
)  # fmt: skip


@dataclass(frozen=True)
class PlateLook:
    """What was drawn on and around one plate, besides its text.

    Attributes
    ----------
    scheme : str
        One of :data:`~deblur.config.PLATE_SCHEMES`, or ``"state"`` for a US plate in
        its state's own (dark-on-light) colours.
    bolts : bool
        Two screw heads were drawn.
    dirt : float
        Opacity of the dirt, 0 for a clean plate.
    shadow : float
        Darkening inside the shadow, 0 for none.
    surround : {"texture", "flat", "car"}
        What fills the crop around the plate.
    """

    scheme: str
    bolts: bool = False
    dirt: float = 0.0
    shadow: float = 0.0
    surround: str = "texture"

    def as_row(self) -> dict[str, str]:
        """The look as ``labels.csv`` columns (bolts 0/1, strengths to 3 decimals)."""
        return {
            "scheme": self.scheme,
            "bolts": str(int(self.bolts)),
            "dirt": f"{self.dirt:.3f}",
            "shadow": f"{self.shadow:.3f}",
            "surround": self.surround,
        }


def font_path(font: str) -> Path:
    """Return the ``.ttf`` file of `font`, one of :data:`FONTS`.

    Raises
    ------
    ValueError
        If `font` is not in :data:`FONTS`.
    """
    if font not in FONTS:
        raise ValueError(f"font must be one of {FONTS}, got {font!r}")
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{font}.ttf"


@functools.lru_cache(maxsize=16)
def _font(font: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(font)), size)


def style_schemes(style: str) -> tuple[str, ...]:
    """Return the colour schemes ``scheme="auto"`` can give a plate of `style`.

    The style's usual schemes first, then the other real-world ones that
    ``PlateConfig.scheme_variety`` draws; ``"state"`` stands for the US state colours.

    Raises
    ------
    ValueError
        If `style` is not in :data:`~deblur.config.PLATE_STYLES`.

    Examples
    --------
    >>> style_schemes("cn")
    ('white_on_blue', 'black_on_yellow', 'white_on_black', 'black_on_white')
    """
    if style not in PLATE_STYLES:
        raise ValueError(f"style must be one of {PLATE_STYLES}, got {style!r}")
    usual, other = _STYLE_SCHEMES[style]
    return usual + other


def _rgb(color: tuple[float, float, float]) -> tuple[int, int, int]:
    r, g, b = (int(round(255 * min(max(c, 0.0), 1.0))) for c in color)
    return r, g, b


def _jitter(
    color: tuple[float, float, float], rng: np.random.Generator, amount: float
) -> tuple[float, float, float]:
    scale = rng.uniform(1 - amount, 1) * rng.uniform(1 - amount / 4, 1, 3)
    r, g, b = (float(c) for c in np.asarray(color) * scale)
    return r, g, b


def _text_mask(text: str, font: str, height: int, max_width: int) -> PILImage.Image:
    """Render `text` as an L mask whose glyphs span `height` px, at most `max_width`."""
    face = _font(font, 96)
    left, top, right, bottom = (int(v) for v in face.getbbox(text))
    mask = PILImage.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=face)
    width = min(max_width, round(mask.width * height / mask.height))
    return mask.resize((max(1, width), max(1, height)), PILImage.Resampling.LANCZOS)


def _draw_text(
    plate: PILImage.Image,
    text: str,
    font: str,
    color: tuple[float, float, float],
    box: tuple[float, float, float, float],
    cap: float,
) -> None:
    """Centre `text` in `box` (x0, y0, x1, y1) with glyph height `cap` px."""
    x0, y0, x1, y1 = box
    mask = _text_mask(text, font, max(1, round(cap)), max(1, round(x1 - x0)))
    x = round((x0 + x1 - mask.width) / 2)
    y = round((y0 + y1 - mask.height) / 2)
    plate.paste(_rgb(color), (x, y, x + mask.width, y + mask.height), mask)


def _eu_country(text: str, rng: np.random.Generator) -> str:
    for country, (_, regex) in _EU_GRAMMARS.items():
        if re.match(regex, text):
            return country
    return ("NL", "B", "P", "A")[rng.integers(4)]


def _us_state(text: str, rng: np.random.Generator) -> str:
    shape = re.sub("[0-9]", "D", re.sub("[A-Z]", "L", text))
    states = [
        s for s, spec in _US_STATES.items() if spec[0].replace("N", "D") == shape
    ] or list(_US_STATES)
    return states[rng.integers(len(states))]


def _band(
    plate: PILImage.Image, draw: ImageDraw.ImageDraw, code: str, stars: bool
) -> float:
    """Draw the blue left band with `code`; return its width in px."""
    w, h = plate.size
    band = 0.085 * w
    draw.rectangle((0, 0, band, h), fill=_rgb(_EU_BLUE))
    if stars:
        cx, cy, radius, dot = band / 2, 0.3 * h, 0.18 * h, max(1.0, 0.025 * h)
        for k in range(12):
            a = 2 * math.pi * k / 12
            x, y = cx + radius * math.cos(a), cy + radius * math.sin(a)
            draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=_rgb(_EU_YELLOW))
    cap = 0.22 * h if len(code) == 1 else 0.17 * h
    _draw_text(
        plate, code, FONTS[0], (1.0, 1.0, 1.0), (0, 0.62 * h, band, 0.95 * h), cap
    )
    return band


def _pick_scheme(style: str, cfg: PlateConfig, rng: np.random.Generator) -> str:
    """The plate's colour scheme (see :func:`style_schemes`)."""
    if cfg.scheme != "auto":
        return cfg.scheme
    usual, other = _STYLE_SCHEMES[style]
    if cfg.scheme_variety > 0 and rng.random() < cfg.scheme_variety:
        return other[rng.integers(len(other))]
    if style == "uk":  # the pre-issue-13 draw: a yellow rear plate half the time
        return usual[1] if rng.random() < 0.5 else usual[0]
    return usual[0]


_RGB = tuple[float, float, float]


def _classic_layout(
    plate: PILImage.Image,
    text: str,
    style: str,
    font: str,
    colours: tuple[_RGB, _RGB],
    state: str,
    rng: np.random.Generator,
) -> None:
    """UK, EU and US faces: optional blue band or state strip, then the text."""
    w, h = plate.size
    fg, strip = colours
    draw = ImageDraw.Draw(plate)
    pad = 0.035 * w
    left = pad
    if style == "eu":
        left = _band(plate, draw, _eu_country(text, rng), stars=True) + 1.5 * pad
    elif style == "uk" and rng.random() < 0.3:
        left = _band(plate, draw, "UK", stars=False) + 1.5 * pad
    if style == "us":
        strip_box = (pad, 0.04 * h, w - pad, 0.24 * h)
        _draw_text(plate, state, FONTS[0], strip, strip_box, 0.13 * h)
        _draw_text(plate, text, font, fg, (pad, 0.30 * h, w - pad, 0.90 * h), 0.48 * h)
    else:
        _draw_text(plate, text, font, fg, (left, 0, w - pad, h), 0.68 * h)


def _cn_layout(
    plate: PILImage.Image, text: str, font: str, fg: tuple[float, float, float]
) -> None:
    """CN face: seven tall characters, a dot after the second, filling the width."""
    w, h = plate.size
    shown = text.replace(" ", "\u00b7")
    _draw_text(plate, shown, font, fg, (0.05 * w, 0.1 * h, 0.95 * w, 0.9 * h), 0.64 * h)


def _br_layout(
    plate: PILImage.Image,
    text: str,
    font: str,
    fg: tuple[float, float, float],
    rng: np.random.Generator,
) -> None:
    """BR Mercosur face: blue band with BRASIL and flag; BR and a QR code at left."""
    w, h = plate.size
    draw = ImageDraw.Draw(plate)
    band = 0.24 * h
    draw.rectangle((0, 0, w, band), fill=_rgb((0.0, 0.22, 0.60)))
    white = (1.0, 1.0, 1.0)
    _draw_text(plate, "BRASIL", FONTS[0], white, (0, 0, w, band), 0.13 * h)
    fx0, fy0, fx1, fy1 = 0.86 * w, 0.05 * h, 0.95 * w, 0.19 * h  # the flag
    draw.rectangle((fx0, fy0, fx1, fy1), fill=_rgb((0.0, 0.58, 0.25)))
    cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2
    dx, dy = 0.42 * (fx1 - fx0), 0.4 * (fy1 - fy0)
    diamond = [(cx - dx, cy), (cx, cy - dy), (cx + dx, cy), (cx, cy + dy)]
    draw.polygon(diamond, fill=_rgb((1.0, 0.85, 0.0)))
    r = 0.45 * dy
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_rgb((0.05, 0.15, 0.5)))
    for k in range(4):  # the Mercosur emblem: an arc of stars
        x, y = 0.06 * w + 0.022 * w * k, 0.12 * h - 0.03 * h * math.sin(k)
        dot = 0.02 * h
        draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=_rgb(white))
    _draw_text(
        plate, "BR", FONTS[0], fg, (0.02 * w, 0.3 * h, 0.1 * w, 0.5 * h), 0.13 * h
    )
    cell = 0.009 * w  # a QR code: 7 x 7 cells in a frame
    qx, qy = 0.03 * w, 0.58 * h
    draw.rectangle((qx, qy, qx + 7 * cell, qy + 7 * cell), outline=_rgb(_INK))
    for i, j in np.argwhere(rng.random((5, 5)) < 0.5):
        x, y = qx + (j + 1) * cell, qy + (i + 1) * cell
        draw.rectangle((x, y, x + cell, y + cell), fill=_rgb(_INK))
    _draw_text(plate, text, font, fg, (0.12 * w, 0.3 * h, 0.97 * w, 0.95 * h), 0.5 * h)


def _br_old_layout(
    plate: PILImage.Image,
    text: str,
    font: str,
    fg: tuple[float, float, float],
    rng: np.random.Generator,
) -> None:
    """Old BR face (before Mercosur): state and city in a top strip, ABC·1234."""
    w, h = plate.size
    city = _BR_CITIES[rng.integers(len(_BR_CITIES))]
    _draw_text(
        plate, city, FONTS[0], fg, (0.15 * w, 0.03 * h, 0.85 * w, 0.2 * h), 0.12 * h
    )
    line = max(1, round(0.015 * h))
    ImageDraw.Draw(plate).line((0, 0.23 * h, w, 0.23 * h), fill=_rgb(fg), width=line)
    shown = text.replace(" ", "\u00b7")
    _draw_text(
        plate, shown, font, fg, (0.04 * w, 0.28 * h, 0.96 * w, 0.95 * h), 0.56 * h
    )


def _bolt_centres(
    style: str, size: tuple[int, int], rng: np.random.Generator
) -> list[tuple[float, float]]:
    """Two screw heads near the top edge, symmetric about the centre."""
    w, h = size
    y = {"us": 0.13, "br": 0.12, "br_old": 0.11}.get(style, 0.1) * h
    spread = (0.38, 0.42) if style == "br_old" else (0.25, 0.3)  # old BR: strip ends
    dx = rng.uniform(*spread) * w
    return [(w / 2 - dx, y), (w / 2 + dx, y)]


def _wear(
    plate: PILImage.Image,
    style: str,
    cfg: PlateConfig,
    rng: np.random.Generator,
) -> tuple[PILImage.Image, tuple[bool, float]]:
    """Bolts and dirt on the flat plate, each drawn with its knob's probability."""
    bolts = cfg.bolts > 0 and rng.random() < cfg.bolts
    if bolts:
        radius = rng.uniform(0.045, 0.065) * plate.size[1]
        plate = draw_bolts(plate, _bolt_centres(style, plate.size, rng), radius, rng)
    dirt = 0.0
    if cfg.dirt > 0 and rng.random() < cfg.dirt:
        dirt = float(rng.uniform(0.25, 0.7))
        dirty = add_dirt(to_float(np.asarray(plate)), dirt, rng)
        plate = PILImage.fromarray(to_uint8(dirty))
    return plate, (bolts, dirt)


def plate_face(
    text: str,
    style: str,
    font: str,
    size: tuple[int, int],
    *,
    cfg: PlateConfig,
    rng: np.random.Generator,
) -> tuple[PILImage.Image, PlateLook]:
    """Draw the flat plate of `style` showing `text`, upright, with its look.

    Parameters
    ----------
    text : str
        Plate text, already validated (a ``cn`` plate draws its space as a dot).
    style : {"uk", "eu", "us", "cn", "br", "br_old"}
    font : str
        One of :data:`FONTS`.
    size : (width, height)
        Plate size in pixels.
    cfg : PlateConfig
        Uses ``scheme``, ``scheme_variety``, ``border``, ``bolts`` and ``dirt``.
    rng : Generator
        Draws the scheme, colour jitter, layout details, bolts and dirt.

    Returns
    -------
    face : PIL RGBA image of `size`
        Transparent outside the rounded corners.
    look : PlateLook
        The scheme, bolts and dirt drawn (``shadow`` and ``surround`` are left at
        their defaults: the caller adds them).

    Examples
    --------
    >>> face, look = plate_face("AB 12345", "cn", FONTS[0], (220, 70),
    ...                         cfg=PlateConfig(), rng=np.random.default_rng(0))
    >>> face.size, face.mode, look.scheme
    ((220, 70), 'RGBA', 'white_on_blue')
    """
    w, h = size
    state = _us_state(text, rng) if style == "us" else ""
    scheme = _pick_scheme(style, cfg, rng)
    if scheme == "state":
        _, bg, fg, strip = _US_STATES[state]
    else:
        bg, fg = _SCHEMES[scheme]
        strip = fg
    bg = _jitter(bg, rng, 0.08)
    plate = PILImage.new("RGB", size, _rgb(bg))
    if style == "cn":
        _cn_layout(plate, text, font, fg)
    elif style == "br":
        _br_layout(plate, text, font, fg, rng)
    elif style == "br_old":
        _br_old_layout(plate, text, font, fg, rng)
    else:
        _classic_layout(plate, text, style, font, (fg, strip), state, rng)
    radius = 0.07 * h
    if cfg.border:
        line = max(1, round(0.025 * h))
        inset = 0.045 * h if style == "cn" else 0  # CN: a frame inside the edge
        box = (inset, inset, w - 1 - inset, h - 1 - inset)
        ImageDraw.Draw(plate).rounded_rectangle(
            box, radius, outline=_rgb(fg), width=line
        )
    plate, (bolts, dirt) = _wear(plate, style, cfg, rng)
    alpha = PILImage.new("L", size, 0)
    ImageDraw.Draw(alpha).rounded_rectangle((0, 0, w - 1, h - 1), radius, fill=255)
    plate.putalpha(alpha)
    return plate, PlateLook(scheme=scheme, bolts=bolts, dirt=dirt)
