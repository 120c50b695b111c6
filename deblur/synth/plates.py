"""Render synthetic sharp licence plates from text.

Three styles, each with its own text grammar and look:

- ``uk``: ``AB12 CDE``, black characters on a white (front) or yellow (rear) plate,
  sometimes with a blue ``UK`` band on the left.
- ``eu``: a blue band on the left with a ring of stars and a country code; the text
  grammar picks the country (``AB-123-CD`` France, ``AB 123CD`` Italy, ``1234 BCD``
  Spain, ``M AB 1234`` Germany).
- ``us``: ``7ABC123`` or ``ABC-1234``, coloured characters on a light background with
  the state name in a strip at the top.

Letters ``I``, ``O`` and ``Q`` are never drawn (most real grammars avoid them, and it
keeps the labels unambiguous for OCR). The plate is drawn at twice the output
resolution, warped into the frame by one perspective transform (scale, rotation,
perspective and position jitter), composited onto a textured background and
box-downsampled; then uneven illumination and sensor noise are applied.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from deblur.config import PLATE_STYLES, PlateConfig
from deblur.io import to_float, to_uint8
from deblur.types import Image

__all__ = [
    "FONTS",
    "PlateSample",
    "font_path",
    "plate_size",
    "random_text",
    "render_plate",
    "make_plates",
]

FONTS = ("DejaVuSans-Bold", "DejaVuSansMono-Bold", "DejaVuSerif-Bold")
"""Typefaces shipped with matplotlib (no download); names of ``.ttf`` files."""

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
_DIGITS = "0123456789"
_TEXT_RE = re.compile(r"^[A-Z0-9][A-Z0-9 \-]{0,10}[A-Z0-9]$")
_SS = 2  # supersampling factor

# Plate aspect (width / height) and default output aspect per style.
_PLATE_ASPECT = {"uk": 520 / 111, "eu": 520 / 110, "us": 2.0}
_FRAME_ASPECT = {"uk": 240 / 56, "eu": 240 / 56, "us": 2.0}

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


@dataclass(frozen=True)
class PlateSample:
    """One rendered plate.

    Attributes
    ----------
    image : (H, W, 3) ndarray of float32 in [0, 1]
    text : str
        The exact plate text, e.g. ``"AB12 CDE"``.
    style : str
        ``"uk"``, ``"eu"`` or ``"us"``.
    font : str
        One of :data:`FONTS`.
    """

    image: Image
    text: str
    style: str
    font: str


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


def plate_size(style: str, cfg: PlateConfig | None = None) -> tuple[int, int]:
    """Return the output ``(height, width)`` of a plate of `style` under `cfg`.

    ``width = cfg.width``; the height is ``cfg.height`` when set, else the style's
    frame aspect (``uk``/``eu`` 240x56, ``us`` 240x120).

    Examples
    --------
    >>> plate_size("uk"), plate_size("us")
    ((56, 240), (120, 240))
    """
    cfg = cfg or PlateConfig()
    _check_style(style)
    if cfg.height is not None:
        return cfg.height, cfg.width
    return max(8, round(cfg.width / _FRAME_ASPECT[style])), cfg.width


def _check_style(style: str) -> None:
    if style not in PLATE_STYLES:
        raise ValueError(f"style must be one of {PLATE_STYLES}, got {style!r}")


def _fill(pattern: str, rng: np.random.Generator) -> str:
    out = []
    for token in pattern:
        if token == "L":
            out.append(_LETTERS[rng.integers(len(_LETTERS))])
        elif token == "D":
            out.append(_DIGITS[rng.integers(10)])
        elif token == "N":
            out.append(_DIGITS[rng.integers(1, 10)])
        else:
            out.append(token)
    return "".join(out)


def random_text(style: str, rng: np.random.Generator | int | None = None) -> str:
    """Draw a valid plate text of `style`.

    Parameters
    ----------
    style : {"uk", "eu", "us"}
    rng : Generator, int or None

    Returns
    -------
    text : str
        Upper-case letters (never I, O, Q), digits, spaces and hyphens.

    Examples
    --------
    >>> len(random_text("uk", 0))
    8
    """
    _check_style(style)
    rng = np.random.default_rng(rng)
    if style == "uk":
        age = int(rng.integers(2, 26)) + (50 if rng.random() < 0.5 else 0)
        return f"{_fill('LL', rng)}{age:02d} {_fill('LLL', rng)}"
    if style == "eu":
        country = list(_EU_GRAMMARS)[rng.integers(len(_EU_GRAMMARS))]
        if country == "D":  # variable-length German grammar
            pattern = (
                "L" * int(rng.integers(1, 4)) + " " + "L" * int(rng.integers(1, 3))
            )
            return _fill(pattern + " N" + "D" * int(rng.integers(0, 4)), rng)
        return _fill(_EU_GRAMMARS[country][0], rng)
    state = list(_US_STATES)[rng.integers(len(_US_STATES))]
    return _fill(_US_STATES[state][0], rng)


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not _TEXT_RE.match(text):
        raise ValueError(
            "text must be 2-12 characters of A-Z, 0-9, space or '-' (starting and "
            f"ending with a letter or digit), got {text!r}"
        )


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


def _plate_face(
    text: str,
    style: str,
    font: str,
    size: tuple[int, int],
    *,
    border: bool,
    rng: np.random.Generator,
) -> PILImage.Image:
    """Draw the flat plate (RGBA, rounded corners) of `size` (width, height)."""
    w, h = size
    if style == "us":
        state = _us_state(text, rng)
        _, bg, fg, strip = _US_STATES[state]
    else:
        rear = style == "uk" and rng.random() < 0.5
        bg = (0.98, 0.82, 0.08) if rear else (0.97, 0.97, 0.95)
        fg = (0.03, 0.03, 0.03)
    bg = _jitter(bg, rng, 0.08)
    plate = PILImage.new("RGB", size, _rgb(bg))
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
    radius = 0.07 * h
    if border:
        line = max(1, round(0.025 * h))
        draw.rounded_rectangle(
            (0, 0, w - 1, h - 1), radius, outline=_rgb(fg), width=line
        )
    alpha = PILImage.new("L", size, 0)
    ImageDraw.Draw(alpha).rounded_rectangle((0, 0, w - 1, h - 1), radius, fill=255)
    plate.putalpha(alpha)
    return plate


def _perspective_coeffs(
    dst: np.ndarray, src: np.ndarray
) -> tuple[float, float, float, float, float, float, float, float]:
    """PIL PERSPECTIVE coefficients mapping output points `dst` to input `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    a, b, c, d, e, f, g, h = np.linalg.solve(np.array(rows), np.array(rhs))
    return a, b, c, d, e, f, g, h


def _corners(
    plate: tuple[float, float],
    canvas: tuple[int, int],
    cfg: PlateConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """Where the plate's corners land in the canvas: rotation, perspective, shift."""
    pw, ph = plate
    cw, ch = canvas
    shift = rng.uniform(-0.5, 0.5, 2) * np.maximum(0.0, [cw - pw, ch - ph]) / 2
    centre = np.array([cw / 2, ch / 2]) + shift
    angle = math.radians(rng.uniform(-cfg.rotation, cfg.rotation))
    rot = np.array(
        [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    )
    corners = np.array([[-pw, -ph], [pw, -ph], [pw, ph], [-pw, ph]]) / 2
    warp = rng.uniform(-cfg.perspective, cfg.perspective, (4, 2)) * [pw, ph]
    return centre + corners @ rot.T + warp


def _background(
    size: tuple[int, int], textured: bool, rng: np.random.Generator
) -> PILImage.Image:
    """Car body around the plate: low-frequency colour texture and a few edges."""
    w, h = size
    if not textured:
        return PILImage.new("RGB", size, (128, 128, 128))
    base = rng.uniform(0.08, 0.9) * (1 - rng.uniform(0, 0.6) * rng.random(3))
    grid = (max(2, h // 24), max(2, w // 24), 1)
    coarse = base * (1 + rng.normal(0.0, 0.12, grid)) + rng.normal(0.0, 0.015, grid)
    image = PILImage.fromarray(to_uint8(coarse.astype(np.float32)))
    image = image.resize(size, PILImage.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(0, 4))):
        y0, y1 = rng.uniform(0, h, 2)
        shade = _rgb(tuple(np.clip(base * rng.uniform(0.3, 1.6), 0, 1)))  # type: ignore[arg-type]
        draw.line(
            (0, y0, w, y1), fill=shade, width=int(rng.integers(1, max(2, h // 12)))
        )
    return image


def _finish(image: Image, cfg: PlateConfig, rng: np.random.Generator) -> Image:
    """Apply uneven illumination and sensor noise to the final-size image."""
    h, w = image.shape[:2]
    if cfg.illumination > 0:
        theta = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ramp = math.cos(theta) * xx / w + math.sin(theta) * yy / h
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        image = image * (1 - rng.uniform(0, cfg.illumination) * ramp)[..., None]
    if cfg.noise > 0:
        noise = rng.standard_normal(image.shape, dtype=np.float32)
        image = image + np.float32(cfg.noise) * noise
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def render_plate(
    text: str,
    cfg: PlateConfig | None = None,
    rng: np.random.Generator | int | None = None,
    *,
    style: str | None = None,
    font: str = FONTS[0],
) -> Image:
    """Render one plate showing `text`, as a camera would crop it.

    Parameters
    ----------
    text : str
        2-12 characters of A-Z, 0-9, space and ``-``; drawn exactly.
    cfg : PlateConfig, optional
        Frame size and camera variation; ``PlateConfig()`` when None.
    rng : Generator, int or None
        Source of every random choice (colours, jitter, background, noise).
    style : {"uk", "eu", "us"}, optional
        Plate look; defaults to ``cfg.style``, which must then not be ``"any"``.
    font : str
        One of :data:`FONTS`.

    Returns
    -------
    image : (H, W, 3) ndarray of float32 in [0, 1]
        ``(H, W) = plate_size(style, cfg)``.

    Raises
    ------
    ValueError
        If `text`, `style` or `font` is invalid.

    Examples
    --------
    >>> render_plate("AB12 CDE", rng=0, style="uk").shape
    (56, 240, 3)
    """
    cfg = cfg or PlateConfig()
    style = style or cfg.style
    if style == "any":
        raise ValueError("style must be given when cfg.style is 'any'")
    _check_text(text)
    font_path(font)
    height, width = plate_size(style, cfg)
    rng = np.random.default_rng(rng)
    canvas = (width * _SS, height * _SS)
    aspect = _PLATE_ASPECT[style]
    avail_w, avail_h = (c / (1 + 2 * cfg.margin) for c in canvas)
    pw = min(avail_w, avail_h * aspect) * rng.uniform(
        1 - cfg.scale_jitter, 1 + cfg.scale_jitter
    )
    size = (max(8, round(pw)), max(4, round(pw / aspect)))
    face = _plate_face(text, style, font, size, border=cfg.border, rng=rng)
    dst = _corners(size, canvas, cfg, rng)
    src = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], float)
    coeffs = _perspective_coeffs(dst, src)
    warped = face.transform(
        canvas, PILImage.Transform.PERSPECTIVE, coeffs, PILImage.Resampling.BICUBIC
    )
    frame = _background(canvas, cfg.background, rng)
    frame.paste(warped, (0, 0), warped)
    image = to_float(np.asarray(frame.reduce(_SS)))
    return _finish(image, cfg, rng)


def make_plates(
    count: int,
    cfg: PlateConfig | None = None,
    rng: np.random.Generator | int | None = None,
) -> Iterator[PlateSample]:
    """Yield `count` random plates: style (per ``cfg.style``), font and text drawn.

    Parameters
    ----------
    count : int
        Number of plates, >= 0.
    cfg : PlateConfig, optional
        ``PlateConfig()`` when None; ``style="any"`` draws a style per plate.
    rng : Generator, int or None
        The same seed gives the same plates, pixel for pixel.

    Yields
    ------
    PlateSample

    Raises
    ------
    ValueError
        If `count` is negative.

    Examples
    --------
    >>> [p.style for p in make_plates(3, PlateConfig(style="eu", width=96), rng=1)]
    ['eu', 'eu', 'eu']
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    return _iter_plates(count, cfg or PlateConfig(), np.random.default_rng(rng))


def _iter_plates(
    count: int, cfg: PlateConfig, rng: np.random.Generator
) -> Iterator[PlateSample]:
    for _ in range(count):
        style = cfg.style
        if style == "any":
            style = PLATE_STYLES[rng.integers(len(PLATE_STYLES))]
        font = FONTS[rng.integers(len(FONTS))]
        text = random_text(style, rng)
        image = render_plate(text, cfg, rng, style=style, font=font)
        yield PlateSample(image=image, text=text, style=style, font=font)
