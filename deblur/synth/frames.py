"""Synthetic camera frames: a plate pasted into a car-like scene, with its box.

For tests and benchmarks of whole-frame restoration (:mod:`deblur.inference`): a frame
has smooth regions (sky, road, car paint), edges (car body, windows) and texture, like
a street photo, and the plate's box is known, so OCR on the plate region of a restored
frame can be compared with OCR on the restored crop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deblur.types import Image, check_image

__all__ = ["Frame", "make_frame"]


@dataclass(frozen=True, kw_only=True)
class Frame:
    """A frame and where its plate is.

    Attributes
    ----------
    image : (H, W, 3) ndarray of float32 in [0, 1]
        The frame.
    box : (int, int, int, int)
        The plate's ``(x, y, w, h)`` in pixels (left, top, width, height).
    """

    image: Image
    box: tuple[int, int, int, int]


def _scene(height: int, width: int, rng: np.random.Generator) -> Image:
    """Sky/road gradient, a car body with windows, and fine texture."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    sky = np.array([0.55, 0.65, 0.8], np.float32)
    road = np.array([0.3, 0.3, 0.32], np.float32)
    scene = np.broadcast_to((1 - rows) * sky + rows * road, (height, width, 3)).copy()
    top, bottom = int(0.25 * height), int(0.9 * height)
    left, right = int(0.1 * width), int(0.9 * width)
    scene[top:bottom, left:right] = rng.uniform(0.1, 0.8, 3).astype(np.float32)
    glass = (slice(top + 8, top + (bottom - top) // 3), slice(left + 12, right - 12))
    scene[glass] = 0.15
    for _ in range(12):  # scattered edges: mirrors, lamps, trim
        y, x = int(rng.integers(0, height - 8)), int(rng.integers(0, width - 8))
        h, w = int(rng.integers(4, height // 6)), int(rng.integers(4, width // 6))
        scene[y : y + h, x : x + w] = rng.uniform(0.0, 1.0, 3).astype(np.float32)
    texture = rng.normal(0.0, 0.02, (height, width, 1)).astype(np.float32)
    return np.clip(scene + texture, 0.0, 1.0)


def make_frame(
    plate: Image,
    *,
    height: int = 384,
    width: int = 512,
    rng: np.random.Generator | int | None = None,
) -> Frame:
    """Paste `plate` into a synthetic car scene at a random place on the car.

    Parameters
    ----------
    plate : (h, w, 3) ndarray of float32 in [0, 1]
        The plate; it must fit inside the frame with a 16 px margin.
    height, width : int
        Frame size.
    rng : numpy Generator, int or None
        Randomness of the scene and the plate's position.

    Returns
    -------
    Frame
        The frame (same dtype as `plate`) and the plate's box.

    Raises
    ------
    ValueError
        If `plate` is not RGB or does not fit.

    Examples
    --------
    >>> plate = np.full((20, 60, 3), 0.9, np.float32)
    >>> frame = make_frame(plate, height=64, width=128, rng=0)
    >>> x, y, w, h = frame.box
    >>> bool(np.array_equal(frame.image[y : y + h, x : x + w], plate))
    True
    """
    check_image(plate)
    if plate.ndim != 3 or plate.shape[2] != 3:
        raise ValueError(f"plate must be (h, w, 3), got shape {plate.shape}")
    h, w = plate.shape[:2]
    if h + 32 > height or w + 32 > width:
        raise ValueError(
            f"plate of {w}x{h} does not fit a {width}x{height} frame with 16 px margins"
        )
    rng = np.random.default_rng(rng)
    image = _scene(height, width, rng)
    y = int(rng.integers(max(16, height // 2 - h), height - 16 - h + 1))
    x = int(rng.integers(16, width - 16 - w + 1))
    image[y : y + h, x : x + w] = plate
    return Frame(image=image.astype(plate.dtype), box=(x, y, w, h))
