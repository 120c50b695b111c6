"""Tiled inference: tile grid, blending window, ``predict_tiled`` and the 2017 mode.

``predict_tiled`` runs a batch function over overlapping tiles and blends the overlaps
with separable raised-cosine ramps, normalised by the accumulated weight so the weights
sum to one at every pixel. Images of at most ``TileConfig.max_pixels`` pixels run as one
fully-convolutional pass, which is what plates always do.

``predict_seed_tiling`` reproduces how the 2017 entry predicted: every 40x20 tile at
stride 1, each pasted back by a 50/50 ``PIL.Image.blend`` with the canvas. It is kept as
an explicit reference mode and is slow by design.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage

from deblur.config import TileConfig
from deblur.io import to_float, to_uint8
from deblur.types import Image, check_image

__all__ = [
    "BatchFn",
    "Tile",
    "tile_grid",
    "tile_starts",
    "tile_window",
    "pad_to",
    "round_up",
    "predict_tiled",
    "predict_tiles",
    "image_tiles",
    "predict_seed_tiling",
    "seed_tile_offsets",
    "SEED_TILE",
]

BatchFn = Callable[[NDArray[np.float32]], NDArray[np.float32]]
"""Maps a float32 batch ``(N, h, w, C)`` to a batch of the same shape."""

SEED_TILE = (20, 40)
"""(height, width) of the 2017 network's fixed input."""


@dataclass(frozen=True, kw_only=True)
class Tile:
    """One tile of a grid: its top-left corner, size, and which sides it shares.

    Attributes
    ----------
    top, left : int
        Offset of the tile in the (padded) image.
    height, width : int
        Tile size.
    ramps : tuple of 4 bool
        Whether the (top, bottom, left, right) side overlaps a neighbouring tile and is
        therefore blended; sides on the image border keep full weight.
    """

    top: int
    left: int
    height: int
    width: int
    ramps: tuple[bool, bool, bool, bool]


def tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    """Return tile offsets along one axis of length `size`.

    Tiles of length `tile` start every ``tile - overlap`` pixels; the last tile is
    aligned with the end, so it may overlap its neighbour by more than `overlap`.

    Examples
    --------
    >>> tile_starts(100, 40, 10)
    [0, 30, 60]
    >>> tile_starts(30, 40, 10)
    [0]
    """
    if size <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, size - tile, stride))
    starts.append(size - tile)
    return starts


def tile_grid(
    height: int, width: int, *, tile: tuple[int, int], overlap: int
) -> list[Tile]:
    """Return the tiles covering a ``height x width`` image, row by row.

    Parameters
    ----------
    height, width : int
        Image size; must be at least the tile size in each dimension.
    tile : (int, int)
        Tile (height, width).
    overlap : int
        Nominal overlap between neighbours in pixels.

    Returns
    -------
    list of Tile
    """
    rows = tile_starts(height, tile[0], overlap)
    cols = tile_starts(width, tile[1], overlap)
    return [
        Tile(
            top=top,
            left=left,
            height=tile[0],
            width=tile[1],
            ramps=(i > 0, i < len(rows) - 1, j > 0, j < len(cols) - 1),
        )
        for i, top in enumerate(rows)
        for j, left in enumerate(cols)
    ]


def _ramp(length: int, overlap: int, rise: bool, fall: bool) -> NDArray[np.float64]:
    """1-D window: 0 over the outer ``overlap // 4`` pixels, then a raised-cosine rise
    over the rest of the overlap, 1 elsewhere (mirrored on the falling side)."""
    ramp = np.ones(length)
    if overlap > 0:
        margin = overlap // 4
        position = (np.arange(overlap) + 0.5 - margin) / (overlap - 2 * margin)
        up = 0.5 - 0.5 * np.cos(np.pi * np.clip(position, 0.0, 1.0))
        if rise:
            ramp[:overlap] = np.minimum(ramp[:overlap], up)
        if fall:
            ramp[length - overlap :] = np.minimum(ramp[length - overlap :], up[::-1])
    return ramp


def tile_window(tile: Tile, *, overlap: int) -> NDArray[np.float64]:
    """Return the (unnormalised) blending weights of `tile`, shape (height, width).

    The weight is the outer product of two 1-D ramps. On every side shared with a
    neighbour the ramp is 0 over the outer ``overlap // 4`` pixels (where a
    convolutional model sees the tile's artificial border), rises as a raised cosine
    over the middle half of the overlap and is 1 beyond; sides on the image border keep
    weight 1. Every pixel gets a positive weight from at least one tile, and
    :func:`predict_tiled` divides by the accumulated weight, so the effective weights
    sum to one at every pixel.
    """
    top, bottom, left, right = tile.ramps
    rows = _ramp(tile.height, overlap, top, bottom)
    cols = _ramp(tile.width, overlap, left, right)
    return np.outer(rows, cols)


def round_up(size: int, multiple: int) -> int:
    """The smallest multiple of `multiple` that is at least `size`.

    Examples
    --------
    >>> round_up(60, 8), round_up(64, 8)
    (64, 64)
    """
    return -(-size // multiple) * multiple


def pad_to(array: NDArray[np.float32], height: int, width: int) -> NDArray[np.float32]:
    """Pad a ``(N, H, W, C)`` batch at the bottom/right to at least `height` x `width`.

    Uses symmetric (mirror) padding, falling back to edge replication where the image is
    too small to mirror.
    """
    pad_h = max(0, height - array.shape[1])
    pad_w = max(0, width - array.shape[2])
    if pad_h == 0 and pad_w == 0:
        return array
    widths = ((0, 0), (0, pad_h), (0, pad_w), (0, 0))
    if pad_h <= array.shape[1] and pad_w <= array.shape[2]:
        return np.pad(array, widths, mode="symmetric")
    return np.pad(array, widths, mode="edge")


def _as_hwc(image: Image) -> NDArray[np.float32]:
    return image[..., None] if image.ndim == 2 else image


def predict_tiled(fn: BatchFn, image: Image, *, cfg: TileConfig | None = None) -> Image:
    """Restore an image by running `fn` on overlapping tiles (or in one pass).

    Parameters
    ----------
    fn : callable
        Maps a float32 batch ``(N, h, w, C)`` to the same shape; called with at most
        ``cfg.batch`` tiles at a time (or once with the whole image).
    image : (H, W) or (H, W, C) ndarray of float32
        Image to restore; not modified. Any channel count `fn` accepts.
    cfg : TileConfig, optional
        Tile size, overlap, batch and single-pass threshold; ``TileConfig()`` if None.

    Returns
    -------
    restored : ndarray of float32
        Same shape as `image`. Overlaps are blended with :func:`tile_window` weights,
        normalised so they sum to one at every pixel. Not clipped.

    Raises
    ------
    TypeError, ValueError
        If `image` is not a float32 2-D or 3-D array.

    Notes
    -----
    Images with at most ``cfg.max_pixels`` pixels run as one pass. Otherwise tiles are
    ``cfg.tile`` square, shrunk to the image size in a dimension smaller than that, so
    every tile has the same shape and lies inside the image (no padding: a tile at the
    border sees the true image border, as a single pass does); `fn` pads if the model
    needs a size multiple. Blending accumulates in float64, so a function that returns its
    input gives back the input exactly.

    Examples
    --------
    >>> image = np.random.default_rng(0).random((50, 70), dtype=np.float32)
    >>> out = predict_tiled(lambda b: b, image, cfg=TileConfig(tile=32, overlap=8,
    ...     max_pixels=0))
    >>> bool(np.array_equal(out, image))
    True
    """
    cfg = cfg or TileConfig()
    check_image(image, channels=None)
    hwc = _as_hwc(image)
    height, width = hwc.shape[:2]
    if height * width <= cfg.max_pixels:
        out = np.asarray(fn(hwc[None]), dtype=np.float32)[0]
        return out[..., 0] if image.ndim == 2 else out
    return predict_tiles(lambda batch, _: fn(batch), image, cfg=cfg)


def image_tiles(height: int, width: int, cfg: TileConfig) -> list[Tile]:
    """The tiles :func:`predict_tiled` cuts a ``height x width`` image into, in order.

    Tiles are ``cfg.tile`` square, shrunk to the image in a smaller dimension.
    """
    size = (min(cfg.tile, height), min(cfg.tile, width))
    return tile_grid(height, width, tile=size, overlap=cfg.overlap)


def predict_tiles(
    fn: Callable[[NDArray[np.float32], list[Tile]], NDArray[np.float32]],
    image: Image,
    *,
    cfg: TileConfig,
    lanes: int = 1,
) -> Image:
    """Run `fn` on the tiles of :func:`image_tiles` (always tiled) and blend them.

    As :func:`predict_tiled` without its one-pass shortcut, except that `fn` also
    receives the :class:`Tile` objects of the batch (for per-tile state). With
    ``lanes > 1``, that many batches run at once in threads (`fn` must be
    thread-safe); they are blended in order, so the result does not change.
    """
    check_image(image, channels=None)
    if lanes < 1:
        raise ValueError(f"lanes must be >= 1, got {lanes}")
    hwc = _as_hwc(image)
    height, width = hwc.shape[:2]
    tiles = image_tiles(height, width, cfg)
    total = np.zeros(hwc.shape, np.float64)  # float64: an identity fn is exact
    weight = np.zeros((height, width), np.float64)
    chunks = [tiles[i : i + cfg.batch] for i in range(0, len(tiles), cfg.batch)]

    def run(chunk: list[Tile]) -> tuple[list[Tile], NDArray[np.float32]]:
        batch = np.stack(
            [hwc[t.top : t.top + t.height, t.left : t.left + t.width] for t in chunk]
        )
        predicted = np.asarray(fn(batch, chunk), dtype=np.float32)
        if predicted.shape != batch.shape:
            raise ValueError(
                f"fn must return the batch shape {batch.shape}, got {predicted.shape}"
            )
        return chunk, predicted

    with ThreadPoolExecutor(max_workers=lanes) as pool:
        done = pool.map(run, chunks) if lanes > 1 else map(run, chunks)
        for chunk, predicted in done:
            for t, pred in zip(chunk, predicted, strict=True):
                w = tile_window(t, overlap=cfg.overlap)
                rows = slice(t.top, t.top + t.height)
                cols = slice(t.left, t.left + t.width)
                total[rows, cols] += w[..., None] * pred
                weight[rows, cols] += w
    out = np.empty(hwc.shape, np.float32)
    np.divide(total, weight[..., None], out=out, casting="same_kind")
    return out[..., 0] if image.ndim == 2 else out


def seed_tile_offsets(
    height: int, width: int, *, stride: int = 1
) -> list[tuple[int, int]]:
    """Return the (top, left) offsets of the 2017 tiles, in prediction order.

    As in 2017, ``left`` runs over ``range(0, width - 40, stride)`` (outer loop) and
    ``top`` over ``range(0, height - 20, stride)`` (inner loop): at stride 1 that is
    exactly ``(width - 40) * (height - 20)`` tiles, so the last tile position in each
    direction (``left = width - 40``, ``top = height - 20``) is never used and the last
    pixel column and row keep the input values. Sizes must be at least 41 x 21.

    Examples
    --------
    >>> len(seed_tile_offsets(60, 240))
    8000
    """
    tile_h, tile_w = SEED_TILE
    return [
        (top, left)
        for left in range(0, width - tile_w, stride)
        for top in range(0, height - tile_h, stride)
    ]


def predict_seed_tiling(
    fn: BatchFn, image: Image, *, stride: int = 1, batch: int = 256
) -> Image:
    """Predict like the 2017 entry: stride-1 40x20 tiles, each blended 50/50 in turn.

    Parameters
    ----------
    fn : callable
        Maps a float32 batch ``(N, 20, 40, C)`` to the same shape.
    image : (H, W) or (H, W, C) ndarray of float32 in [0, 1]
        Image to restore (C = 1 or 3); not modified.
    stride : int
        Tile step in pixels; 1 reproduces 2017 (use larger values in tests).
    batch : int
        Tiles per call of `fn` (does not change the result).

    Returns
    -------
    restored : ndarray of float32 in [0, 1]
        Same shape as `image`.

    Notes
    -----
    The canvas starts as the input quantised to 8 bits. For every offset of
    :func:`seed_tile_offsets`, in order, the predicted tile (8-bit) is pasted onto a copy
    of the canvas and the canvas becomes ``PIL.Image.blend(canvas, pasted, 0.5)``, so
    later tiles weigh far more than earlier ones and values are re-quantised at every
    step, as in 2017. Blending only the tile's box is equivalent (outside it the two
    blended images are equal). Images smaller than 41 x 21 (which crashed in 2017) are
    edge-padded at the bottom/right and cropped back. At stride 1 a 240 x 60 plate is
    8,000 tiles.
    """
    check_image(image, channels=None)
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    hwc = _as_hwc(image)
    if hwc.shape[2] not in (1, 3):
        raise ValueError(f"image must have 1 or 3 channels, got shape {image.shape}")
    height, width = hwc.shape[:2]
    tile_h, tile_w = SEED_TILE
    padded = pad_to(hwc[None], tile_h + 1, tile_w + 1)[0]
    mode = "L" if hwc.shape[2] == 1 else "RGB"
    canvas = PILImage.fromarray(_squeeze(to_uint8(padded)), mode=mode)
    offsets = seed_tile_offsets(padded.shape[0], padded.shape[1], stride=stride)
    for first in range(0, len(offsets), batch):
        chunk = offsets[first : first + batch]
        tiles = np.stack([padded[t : t + tile_h, s : s + tile_w] for t, s in chunk])
        predicted = to_uint8(np.asarray(fn(tiles), dtype=np.float32))
        for (top, left), pred in zip(chunk, predicted, strict=True):
            box = (left, top, left + tile_w, top + tile_h)
            pasted = PILImage.fromarray(_squeeze(pred), mode=mode)
            canvas.paste(PILImage.blend(canvas.crop(box), pasted, 0.5), box)
    out = to_float(np.asarray(canvas))[:height, :width]
    return out if image.ndim == 2 else out.reshape(height, width, hwc.shape[2])


def _squeeze(array: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return array[..., 0] if array.shape[-1] == 1 else array
