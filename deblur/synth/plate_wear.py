"""What a plate picks up on a car: screw heads, dirt, shadows, and what surrounds it.

:func:`textured_background` is the default surround (a coarse colour texture, or flat
grey). Four more pieces that :func:`deblur.synth.plates.render_plate` applies when the matching
:class:`~deblur.config.PlateConfig` knob asks for them:

- :func:`draw_bolts`: two screw heads (chrome, black or plate-coloured caps) on the
  flat plate, before it is warped into the frame;
- :func:`add_dirt`: low-frequency blotches, heavier towards the bottom where road
  spray lands, plus speckle, in a dust colour that darkens light plates and lightens
  dark ones;
- :func:`add_shadow`: a soft-edged dark region over part of the crop (a bumper, the
  boot lid, a passer-by), slightly blue like skylight;
- :func:`car_body`: a car rear around the plate: painted body colour with a top-down
  light gradient and side fall-off, the plate recess, a panel line above, the bumper
  line below, and a specular highlight band.

All take a ``Generator`` and draw every random number from it, so a seed fixes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from deblur.io import to_uint8
from deblur.types import Image

__all__ = [
    "CAR_COLOURS",
    "draw_bolts",
    "add_dirt",
    "add_shadow",
    "car_body",
    "textured_background",
]

CAR_COLOURS = {  # name -> (RGB, relative frequency on the road)
    "white": ((0.90, 0.90, 0.88), 4.0),
    "silver": ((0.68, 0.69, 0.71), 3.0),
    "grey": ((0.38, 0.39, 0.41), 3.0),
    "black": ((0.05, 0.05, 0.06), 4.0),
    "red": ((0.58, 0.06, 0.06), 1.5),
    "blue": ((0.08, 0.18, 0.45), 1.5),
    "green": ((0.08, 0.25, 0.15), 0.5),
    "beige": ((0.72, 0.64, 0.50), 0.5),
}
"""Car body colours (sRGB in [0, 1]) and how often each is drawn."""

_DUST = np.array([0.45, 0.39, 0.30], np.float32)


def _rgb8(color: Sequence[float] | np.ndarray) -> tuple[int, int, int]:
    r, g, b = (int(round(255 * min(max(float(c), 0.0), 1.0))) for c in color)
    return r, g, b


def _upsampled_noise(
    grid: tuple[int, int], size: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """Smooth noise: a ``grid`` (rows, cols) of N(0, 1) values resized to `size` (w, h)."""
    coarse = rng.standard_normal(grid).astype(np.float32)
    pil = PILImage.fromarray(coarse, mode="F").resize(size, PILImage.Resampling.BICUBIC)
    return np.asarray(pil, dtype=np.float32)


def draw_bolts(
    plate: PILImage.Image,
    centres: Sequence[tuple[float, float]],
    radius: float,
    rng: np.random.Generator,
) -> PILImage.Image:
    """Return a copy of `plate` with a screw head drawn at each of `centres`.

    Parameters
    ----------
    plate : PIL RGB image
        The flat plate face; not modified.
    centres : sequence of (x, y)
        Head centres in pixels.
    radius : float
        Head radius in pixels.
    rng : Generator
        Draws the cap kind (chrome, black or the plate's own colour) and slot angles.

    Returns
    -------
    PIL RGB image
    """
    out = plate.copy()
    draw = ImageDraw.Draw(out)
    kind = int(rng.integers(3))
    if kind == 0:
        base = np.full(3, rng.uniform(0.6, 0.85))
    elif kind == 1:
        base = np.full(3, rng.uniform(0.08, 0.2))
    else:
        x, y = centres[0]
        base = np.asarray(plate.getpixel((int(x), int(y))), float)[:3] / 255 * 0.92
    for x, y in centres:
        r = radius
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_rgb8(base * 0.45))
        r2 = 0.8 * radius
        draw.ellipse((x - r2, y - r2, x + r2, y + r2), fill=_rgb8(base))
        hx, hy, hr = x - 0.3 * radius, y - 0.3 * radius, 0.3 * radius
        highlight = base + (1 - base) * 0.6
        draw.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=_rgb8(highlight))
        angle = rng.uniform(0, math.pi)
        dx, dy = 0.7 * radius * math.cos(angle), 0.7 * radius * math.sin(angle)
        width = max(1, round(0.25 * radius))
        draw.line((x - dx, y - dy, x + dx, y + dy), fill=_rgb8(base * 0.3), width=width)
    return out


def add_dirt(image: Image, strength: float, rng: np.random.Generator) -> Image:
    """Return `image` with dirt blotches and speckle of opacity up to `strength`.

    Parameters
    ----------
    image : (H, W, 3) ndarray of float32 in [0, 1]
        Not modified.
    strength : float
        Maximum opacity of the dirt, in [0, 1].
    rng : Generator

    Returns
    -------
    (H, W, 3) ndarray of float32 in [0, 1]
    """
    h, w = image.shape[:2]
    grid = (int(rng.integers(2, 5)), int(rng.integers(4, 12)))
    field = _upsampled_noise(grid, (w, h), rng)
    fine = (grid[0] * 3, grid[1] * 3)
    field = field + 0.5 * _upsampled_noise(fine, (w, h), rng)
    spray = np.linspace(0.5, 1.3, h, dtype=np.float32)[:, None]  # heavier at bottom
    mask = np.clip((field * spray - rng.uniform(-0.2, 0.8)) / 1.2, 0.0, 1.0)
    speckle = PILImage.new("L", (w, h), 0)
    draw = ImageDraw.Draw(speckle)
    for _ in range(int(rng.uniform(0.002, 0.01) * h * w)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.4, 1.6)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=int(rng.integers(80, 256)))
    dots = np.asarray(speckle, np.float32) / 255
    alpha = np.float32(strength) * np.maximum(mask, dots)[..., None]
    colour = _DUST * np.float32(rng.uniform(0.6, 1.3))
    return np.clip(image * (1 - alpha) + colour * alpha, 0.0, 1.0).astype(np.float32)


def add_shadow(image: Image, depth: float, rng: np.random.Generator) -> Image:
    """Return `image` darkened by up to `depth` beyond a soft straight edge.

    The edge has a random direction and covers 15-60% of the image; its softness
    ranges from a hard line to a third of the image height.

    Parameters
    ----------
    image : (H, W, 3) ndarray of float32 in [0, 1]
        Not modified.
    depth : float
        Darkening inside the shadow, in [0, 1] (0.4 keeps 60% of the light).
    rng : Generator

    Returns
    -------
    (H, W, 3) ndarray of float32 in [0, 1]
    """
    h, w = image.shape[:2]
    theta = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = math.cos(theta) * (xx - w / 2) + math.sin(theta) * (yy - h / 2)
    edge = float(np.quantile(along, 1 - rng.uniform(0.15, 0.6)))
    soft = max(0.5, rng.uniform(0.0, 0.33) * h)
    inside = 0.5 * (1 + np.tanh((along - edge) / (2 * soft)))  # a logistic edge
    tint = np.array([1.0, 0.97, 0.9], np.float32)  # skylight: blue falls off least
    shade = 1 - np.float32(depth) * inside[..., None] * tint
    return np.clip(image * shade, 0.0, 1.0).astype(np.float32)


def _body_colour(rng: np.random.Generator) -> np.ndarray:
    names = list(CAR_COLOURS)
    weights = np.array([CAR_COLOURS[n][1] for n in names])
    rgb = CAR_COLOURS[names[rng.choice(len(names), p=weights / weights.sum())]][0]
    return np.asarray(rgb, np.float32) * np.float32(rng.uniform(0.85, 1.1))


def _line(body: np.ndarray, y: float, width: float, amount: float) -> None:
    """Darken (amount < 0) or lighten rows around `y` with a soft profile, in place."""
    rows = np.arange(body.shape[0], dtype=np.float32)
    profile = np.exp(-0.5 * ((rows - y) / max(width, 0.5)) ** 2)[:, None, None]
    if amount < 0:
        body *= 1 + amount * profile
    else:
        body += (1 - body) * amount * profile


def _step(t: np.ndarray, soft: float) -> np.ndarray:
    """A logistic step from 0 (t << 0) to 1 (t >> 0) about `soft` pixels wide."""
    return 0.5 * (1 + np.tanh(t / (2 * soft)))


def _recess(
    body: np.ndarray,
    box: tuple[float, float, float, float],
    grid: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
) -> None:
    """Darken the plate recess `box` with soft edges, a shadow under its upper lip
    and light on its lower one, in place."""
    x0, y0, x1, y1 = box
    xx, yy = grid
    soft = max(0.5, 0.05 * (y1 - y0))
    across = _step(xx - x0, soft) * _step(x1 - xx, soft)
    inside = across * _step(yy - y0, soft) * _step(y1 - yy, soft)
    body *= (1 - rng.uniform(0.08, 0.3) * inside)[..., None]
    lip = np.exp(-0.5 * ((yy - y0 - soft) / soft) ** 2) * across
    body *= (1 - rng.uniform(0.3, 0.6) * lip)[..., None]
    sill = np.exp(-0.5 * ((yy - y1) / soft) ** 2) * across
    body += (1 - body) * rng.uniform(0.1, 0.3) * sill[..., None]


def car_body(
    size: tuple[int, int],
    plate_box: tuple[float, float, float, float],
    rng: np.random.Generator,
) -> PILImage.Image:
    """Draw the rear of a car around a plate at `plate_box`.

    Parameters
    ----------
    size : (width, height)
        Image size in pixels.
    plate_box : (x0, y0, x1, y1)
        Where the plate will be pasted, in pixels: the recess is drawn around it,
        the bumper line below and the panel line above.
    rng : Generator

    Returns
    -------
    PIL RGB image of `size`
    """
    w, h = size
    x0, y0, x1, y1 = plate_box
    ph = max(1.0, y1 - y0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1 + rng.uniform(0.1, 0.45) * (0.5 - yy / h)  # lit from above
    light *= 1 - rng.uniform(0.0, 0.35) * ((xx - w / 2) / (w / 2)) ** 2  # curvature
    light *= 1 + 0.04 * _upsampled_noise((3, 6), (w, h), rng)
    body = _body_colour(rng)[None, None, :] * light[..., None]
    pad = rng.uniform(0.05, 0.25) * ph
    _recess(body, (x0 - pad, y0 - pad, x1 + pad, y1 + pad), (xx, yy), rng)
    if rng.random() < 0.6:
        _line(body, y0 - rng.uniform(0.4, 1.2) * ph, 0.03 * ph, -0.6)  # panel gap
    bumper = y1 + pad + rng.uniform(0.1, 0.5) * ph
    _line(body, bumper, 0.05 * ph, -0.6)
    if rng.random() < 0.5:  # black plastic lower bumper
        below = yy > bumper + rng.uniform(0.1, 0.4) * ph
        body = np.where(below[..., None], body * 0.15 + 0.02, body)
    _line(
        body,
        rng.uniform(0, max(1.0, y0)),
        rng.uniform(0.1, 0.4) * ph,
        rng.uniform(0.1, 0.5),
    )
    return PILImage.fromarray(to_uint8(np.clip(body, 0.0, 1.0).astype(np.float32)))


def textured_background(
    size: tuple[int, int], textured: bool, rng: np.random.Generator
) -> PILImage.Image:
    """Draw the default surround: low-frequency colour texture and a few edges.

    Parameters
    ----------
    size : (width, height)
    textured : bool
        False gives flat mid-grey (128) and draws nothing from `rng`.
    rng : Generator

    Returns
    -------
    PIL RGB image of `size`
    """
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
        shade = _rgb8(tuple(np.clip(base * rng.uniform(0.3, 1.6), 0, 1)))  # type: ignore[arg-type]
        draw.line(
            (0, y0, w, y1), fill=shade, width=int(rng.integers(1, max(2, h // 12)))
        )
    return image
