"""Render synthetic sharp licence plates from text.

Six styles, each with its own text grammar and look:

- ``uk``: ``AB12 CDE``, black characters on a white (front) or yellow (rear) plate,
  sometimes with a blue ``UK`` band on the left.
- ``eu``: a blue band on the left with a ring of stars and a country code; the text
  grammar picks the country (``AB-123-CD`` France, ``AB 123CD`` Italy, ``1234 BCD``
  Spain, ``M AB 1234`` Germany).
- ``us``: ``7ABC123`` or ``ABC-1234``, coloured characters on a light background with
  the state name in a strip at the top.
- ``cn``: ``AB 12345`` (drawn ``AB·12345``), a 7-character Chinese-style plate, white
  on blue with an inset white frame; the province character is replaced by a latin
  letter, since the fonts and OCR engines are latin.
- ``br``: ``ABC1D23``, the Brazilian Mercosur plate: black on white under a blue band
  reading ``BRASIL`` with the flag, ``BR`` and a QR code on the left.
- ``br_old``: ``ABC 1234`` (drawn ``ABC·1234``), the Brazilian plate before Mercosur:
  black on grey (red for commercial vehicles) with the state and city in a strip at
  the top.

Colours follow :attr:`PlateConfig.scheme` (the style's usual ones by default, or
one of :data:`~deblur.config.PLATE_SCHEMES`, four of them light text on a dark
plate); bolts, dirt, shadows and a car-body surround come from
:mod:`deblur.synth.plate_wear` when their knobs are set. What was drawn is recorded
in :class:`PlateLook`.

Letters ``I``, ``O`` and ``Q`` are never drawn (most real grammars avoid them, and it
keeps the labels unambiguous for OCR). The plate is drawn at twice the output
resolution, warped into the frame by one perspective transform (scale, rotation,
perspective and position jitter), composited onto a textured background and
box-downsampled; then uneven illumination and sensor noise are applied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image as PILImage

from deblur.config import PLATE_STYLES, PlateConfig
from deblur.io import to_float
from deblur.synth.plate_faces import (
    _EU_GRAMMARS,
    _US_STATES,
    FONTS,
    LIGHT_ON_DARK,
    PlateLook,
    font_path,
    plate_face,
    style_schemes,
)
from deblur.synth.plate_wear import add_shadow, car_body, textured_background
from deblur.types import Image

__all__ = [
    "FONTS",
    "LIGHT_ON_DARK",
    "PlateLook",
    "PlateSample",
    "style_schemes",
    "font_path",
    "plate_size",
    "random_text",
    "render_plate",
    "render_plate_sample",
    "make_plates",
]

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
_DIGITS = "0123456789"
_TEXT_RE = re.compile(r"^[A-Z0-9][A-Z0-9 \-]{0,10}[A-Z0-9]$")
_SS = 2  # supersampling factor

# Plate aspect (width / height) and default output aspect per style.
_PLATE_ASPECT = {
    "uk": 520 / 111,
    "eu": 520 / 110,
    "us": 2.0,
    "cn": 440 / 140,
    "br": 400 / 130,
    "br_old": 400 / 130,
}
_FRAME_ASPECT = {"uk": 240 / 56, "eu": 240 / 56, "us": 2.0}
_FRAME_ASPECT |= {"cn": 3.0, "br": 3.0, "br_old": 3.0}
_STYLE_FONTS = {s: FONTS[:2] for s in ("cn", "br", "br_old")}  # sans only; else FONTS
_CN_PATTERNS = ("LL DDDDD", "LL LDDDD", "LL DDDLL", "LL DLDDD")
_BR_PATTERN = "LLLDLDD"


@dataclass(frozen=True)
class PlateSample:
    """One rendered plate.

    Attributes
    ----------
    image : (H, W, 3) ndarray of float32 in [0, 1]
    text : str
        The exact plate text, e.g. ``"AB12 CDE"``.
    style : str
        One of :data:`~deblur.config.PLATE_STYLES`.
    font : str
        One of :data:`FONTS`.
    look : PlateLook
        Colour scheme, bolts, dirt, shadow and surround.
    """

    image: Image
    text: str
    style: str
    font: str
    look: PlateLook


def plate_size(style: str, cfg: PlateConfig | None = None) -> tuple[int, int]:
    """Return the output ``(height, width)`` of a plate of `style` under `cfg`.

    ``width = cfg.width``; the height is ``cfg.height`` when set, else the style's
    frame aspect (``uk``/``eu`` 240x56, ``us`` 240x120, ``cn``/``br``/``br_old``
    240x80).

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
    style : {"uk", "eu", "us", "cn", "br", "br_old"}
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
    if style == "cn":
        return _fill(_CN_PATTERNS[rng.integers(len(_CN_PATTERNS))], rng)
    if style == "br":
        return _fill(_BR_PATTERN, rng)
    if style == "br_old":
        return _fill("LLL DDDD", rng)
    state = list(_US_STATES)[rng.integers(len(_US_STATES))]
    return _fill(_US_STATES[state][0], rng)


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not _TEXT_RE.match(text):
        raise ValueError(
            "text must be 2-12 characters of A-Z, 0-9, space or '-' (starting and "
            f"ending with a letter or digit), got {text!r}"
        )


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


def _finish(
    image: Image, cfg: PlateConfig, rng: np.random.Generator
) -> tuple[Image, float]:
    """Apply uneven illumination, a shadow and sensor noise; return the shadow depth."""
    h, w = image.shape[:2]
    if cfg.illumination > 0:
        theta = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ramp = math.cos(theta) * xx / w + math.sin(theta) * yy / h
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        image = image * (1 - rng.uniform(0, cfg.illumination) * ramp)[..., None]
    shadow = 0.0
    if cfg.shadow > 0 and rng.random() < cfg.shadow:
        shadow = float(rng.uniform(0.25, 0.6))
        image = add_shadow(np.clip(image, 0.0, 1.0).astype(np.float32), shadow, rng)
    if cfg.noise > 0:
        noise = rng.standard_normal(image.shape, dtype=np.float32)
        image = image + np.float32(cfg.noise) * noise
    return np.clip(image, 0.0, 1.0).astype(np.float32), shadow


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
        2-12 characters of A-Z, 0-9, space and ``-``; drawn exactly (a ``cn`` plate
        draws its space as a raised dot).
    cfg : PlateConfig, optional
        Frame size, colours, wear and camera variation; ``PlateConfig()`` when None.
    rng : Generator, int or None
        Source of every random choice (colours, jitter, background, noise).
    style : {"uk", "eu", "us", "cn", "br", "br_old"}, optional
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
    return render_plate_sample(text, cfg, rng, style=style, font=font).image


def render_plate_sample(
    text: str,
    cfg: PlateConfig | None = None,
    rng: np.random.Generator | int | None = None,
    *,
    style: str | None = None,
    font: str = FONTS[0],
) -> PlateSample:
    """Render one plate like :func:`render_plate`, with what was drawn.

    Takes the same arguments and draws the same pixels as :func:`render_plate`.

    Returns
    -------
    PlateSample
        The image, `text`, style, `font` and the :class:`PlateLook`.

    Raises
    ------
    ValueError
        If `text`, `style` or `font` is invalid.

    Examples
    --------
    >>> render_plate_sample("AB 12345", rng=0, style="cn").look.scheme
    'white_on_blue'
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
    car = cfg.car > 0 and rng.random() < cfg.car
    avail_w, avail_h = (c / (1 + 2 * cfg.margin) for c in canvas)
    pw = min(avail_w, avail_h * aspect) * rng.uniform(
        1 - cfg.scale_jitter, 1 + cfg.scale_jitter
    )
    if car:  # a wider crop: the plate fills 55-85% of it
        pw *= rng.uniform(0.55, 0.85)
    size = (max(8, round(pw)), max(4, round(pw / aspect)))
    face, look = plate_face(text, style, font, size, cfg=cfg, rng=rng)
    dst = _corners(size, canvas, cfg, rng)
    src = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], float)
    coeffs = _perspective_coeffs(dst, src)
    warped = face.transform(
        canvas, PILImage.Transform.PERSPECTIVE, coeffs, PILImage.Resampling.BICUBIC
    )
    if car:
        (x0, y0), (x1, y1) = dst.min(axis=0), dst.max(axis=0)
        frame = car_body(canvas, (x0, y0, x1, y1), rng)
    else:
        frame = textured_background(canvas, cfg.background, rng)
    frame.paste(warped, (0, 0), warped)
    image, shadow = _finish(to_float(np.asarray(frame.reduce(_SS))), cfg, rng)
    surround = "car" if car else ("texture" if cfg.background else "flat")
    look = replace(look, shadow=shadow, surround=surround)
    return PlateSample(image=image, text=text, style=style, font=font, look=look)


def make_plates(
    count: int,
    cfg: PlateConfig | None = None,
    rng: np.random.Generator | int | None = None,
) -> Iterator[PlateSample]:
    """Yield `count` random plates: style (per ``cfg.style``), font and text drawn.

    ``cn``, ``br`` and ``br_old`` plates use the two sans faces of :data:`FONTS`.

    Parameters
    ----------
    count : int
        Number of plates, >= 0.
    cfg : PlateConfig, optional
        ``PlateConfig()`` when None; ``style="any"`` draws a style per plate
        from ``cfg.styles``.
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
            style = cfg.styles[rng.integers(len(cfg.styles))]
        fonts = _STYLE_FONTS.get(style, FONTS)
        font = fonts[rng.integers(len(fonts))]
        text = random_text(style, rng)
        yield render_plate_sample(text, cfg, rng, style=style, font=font)
