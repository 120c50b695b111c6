"""Where a frame needs restoring: per-region weights from the blur estimate.

A camera frame is restored region by region (:class:`deblur.inference.ModelDeblurrer`).
Each region's :func:`region_weight` says how much of its restoration to keep: 0 passes
it through unchanged (no measurable motion blur), 1 keeps the model's output, values in
between mix the two. Two cues decide: the depth of the blur estimate's cepstral valley
(:attr:`deblur.estimate.PsfEstimate.strength`, :func:`blur_weight`) and whether the
region's gradient is flattened along the estimated blur direction
(:func:`direction_ratio`, :func:`direction_weight`). :func:`pooled_weights` then lets
neighbouring regions that show the same blur share their evidence.

Thresholds were set from measurements on 256 px regions of five ``skimage.data``
photos and synthetic street frames, sharp and blurred 3-35 px: sharp regions score a
strength of 3-9 (95th percentile 9.2, a few up to 11.4; box edges, plates and defocus
give the high ones), blurs of 5 px or more mostly 8-30. Those high sharp regions have
a direction ratio of 0.57 or more (5th percentile), plates blurred 15 px 0.26
(``results/frames.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from deblur.io import to_gray

if TYPE_CHECKING:  # scipy is imported only when a frame is restored
    from deblur.estimate import PsfEstimate
    from deblur.tiling import Tile

__all__ = [
    "blur_weight",
    "direction_ratio",
    "direction_weight",
    "region_weight",
    "pooled_weights",
    "AGREE",
    "DIRECTION_RATIO",
]


def blur_weight(strength: float, thresholds: tuple[float, float] | None) -> float:
    """How much of a region's restoration to keep, from its blur estimate's strength.

    Parameters
    ----------
    strength : float
        :attr:`deblur.estimate.PsfEstimate.strength` of the region.
    thresholds : (float, float) or None
        ``(low, high)``: 0 at or below `low` (pass through), 1 at or above `high`,
        linear in between; None always gives 1.

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> blur_weight(10.0, (8.0, 12.0)), blur_weight(3.0, (8.0, 12.0))
    (0.5, 0.0)
    """
    if thresholds is None:
        return 1.0
    low, high = thresholds
    return float(np.clip((strength - low) / (high - low), 0.0, 1.0))


DIRECTION_RATIO = (0.5, 0.8)
"""(full, none): a region is fully restored when the gradient energy along its estimated
blur is at most the first fraction of the energy across it, not at all from the second
(see :func:`direction_weight`)."""


def direction_ratio(region: NDArray[np.float32], angle: float) -> float:
    """Return the gradient energy along `angle` over the energy across it.

    Parameters
    ----------
    region : (H, W) or (H, W, C) ndarray of float32
        Image region (colour is reduced to luminance).
    angle : float
        Direction in degrees, as :attr:`deblur.estimate.PsfEstimate.angle`.

    Returns
    -------
    float
        About 1 on sharp texture, well below 1 when the region is blurred along
        `angle` (motion blur flattens the gradient along its direction only).

    Examples
    --------
    >>> ramp = np.tile(np.linspace(0, 1, 32, dtype=np.float32), (32, 1))
    >>> direction_ratio(ramp, 90.0) < 1e-6 < direction_ratio(ramp, 0.0)
    True
    """
    gray = to_gray(region).astype(np.float64)
    rows, cols = np.gradient(gray)
    theta = np.radians(angle)
    along = np.cos(theta) * cols - np.sin(theta) * rows
    across = np.sin(theta) * cols + np.cos(theta) * rows
    return float(np.mean(along**2) / max(float(np.mean(across**2)), 1e-12))


def region_weight(
    region: NDArray[np.float32],
    estimate: PsfEstimate,
    thresholds: tuple[float, float] | None,
) -> float:
    """How much of a region's restoration to keep (0: pass it through unchanged).

    :func:`blur_weight` of the estimate's strength times :func:`direction_weight` of
    the region's :func:`direction_ratio` along the estimated blur; 1 without
    `thresholds`.
    """
    if thresholds is None:
        return 1.0
    weight = blur_weight(estimate.strength, thresholds)
    if weight > 0:
        weight *= direction_weight(direction_ratio(region, estimate.angle))
    return weight


AGREE = (2.0, 0.1, 5.0)
"""Two blur estimates agree when their lengths differ by at most 2 px or 10 % and
their angles by at most 5 degrees (see :func:`pooled_weights`)."""


def _agree(first: PsfEstimate, second: PsfEstimate) -> bool:
    pixels, fraction, degrees = AGREE
    longer = max(first.length, second.length)
    turn = abs(first.angle - second.angle) % 180.0
    return abs(first.length - second.length) <= max(pixels, fraction * longer) and (
        min(turn, 180.0 - turn) <= degrees
    )


def pooled_weights(
    tiles: Sequence[Tile],
    found: dict[tuple[int, int], tuple[PsfEstimate, float]],
) -> dict[tuple[int, int], float]:
    """Raise each tile's weight to that of a neighbour whose blur estimate agrees.

    Parameters
    ----------
    tiles : sequence of Tile
        The frame's tiles.
    found : dict
        ``(top, left) -> (estimate, weight)`` of every tile (:func:`region_weight`).

    Returns
    -------
    dict
        ``(top, left) -> weight``.

    Notes
    -----
    A moving car blurs every tile it covers the same way, but a tile holding only a
    corner of it (a plate's first characters) may show too little texture to pass the
    thresholds alone, and would be passed through while its neighbour is restored:
    measured on plates pasted into 512x384 frames blurred 21-31 px, the left part of
    the plate then stayed blurred and OCR lost its first characters. Two neighbouring
    tiles (sharing an overlap or a corner) whose estimates agree (:data:`AGREE`) show
    one blur, so the evidence of the stronger one counts for both. On sharp frames
    the spurious estimates of neighbours rarely agree.
    """
    weights = {}
    for tile in tiles:
        estimate, weight = found[tile.top, tile.left]
        for other in tiles:
            near = (
                abs(other.top - tile.top) <= tile.height
                and abs(other.left - tile.left) <= tile.width
            )
            other_estimate, other_weight = found[other.top, other.left]
            if near and other_weight > weight and _agree(estimate, other_estimate):
                weight = other_weight
        weights[tile.top, tile.left] = weight
    return weights


def direction_weight(ratio: float) -> float:
    """How much restoration a :func:`direction_ratio` allows (in [0, 1]).

    Measured on 256 px regions of five photos and six synthetic frames: regions whose
    cepstral strength wrongly suggests a blur (box edges, plates, defocus) have a
    ratio of 0.57 or more (5th percentile; median 1.3), plates blurred by 15 px 0.26.
    1 at or below ``DIRECTION_RATIO[0]``, 0 at or above ``DIRECTION_RATIO[1]``.

    Examples
    --------
    >>> direction_weight(0.2), direction_weight(0.65), direction_weight(1.0)
    (1.0, 0.5, 0.0)
    """
    low, high = DIRECTION_RATIO
    return float(np.clip((high - ratio) / (high - low), 0.0, 1.0))
