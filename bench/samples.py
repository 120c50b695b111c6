"""Benchmark samples: a sharp plate (when known), its blurred copy, the PSF and labels.

Sample ``i`` of a suite is built from its own seed, ``SeedSequence([suite.seed, i])``,
so any worker can build any sample alone and the same suite gives the same pixels.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from bench.config import SuiteConfig
from deblur.config import BlurConfig, PlateConfig
from deblur.io import read_image, to_float, to_uint8
from deblur.types import PSF, Image

__all__ = [
    "Sample",
    "iter_samples",
    "build_sample",
    "count_samples",
    "BOX_COLUMNS",
    "FRAME_STYLE",
]

FRAME_STYLE = "frame"
"""``Sample.style`` of a whole frame with a plate box (folders of crops: ``"real"``)."""

Box = tuple[int, int, int, int]
"""A plate box ``(x, y, w, h)`` in pixels: left, top, width, height."""

BOX_COLUMNS = ("x", "y", "w", "h")
"""Optional ``labels.csv`` columns giving the plate box of a whole camera frame."""


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One benchmark input.

    Attributes
    ----------
    index : int
        Position in the suite (0-based).
    sample_id : str
        Stable identifier, e.g. ``"default-00042"`` or the image file name.
    text : str
        Ground-truth plate text as labelled (not normalized).
    style : str
        Plate style (``uk``/``eu``/``us``), ``"real"`` for folders of crops or
        ``"frame"`` for whole frames with a plate box.
    source : str
        ``"synthetic"`` or the folder path.
    sharp : ndarray of float32 or None
        The sharp plate; None for blind suites.
    blurred : ndarray of float32
        The image every method restores.
    psf : ndarray or None
        The true blur kernel; None when unknown (blind) or no blur.
    blur : dict
        ``kind``, ``length``, ``angle``, ``noise`` (NaN when unknown).
    box : (int, int, int, int) or None
        For a whole camera frame (``labels.csv`` columns ``x,y,w,h``): the plate's box
        ``(x, y, w, h)``. Methods restore the whole frame; only the box is read and
        scored. None for plate crops.
    """

    index: int
    sample_id: str
    text: str
    style: str
    source: str
    sharp: Image | None
    blurred: Image
    psf: PSF | None
    blur: dict[str, float | str] = field(default_factory=dict)
    box: tuple[int, int, int, int] | None = None

    def in_box(self, image: Image) -> Image:
        """`image` (same size as `blurred`) cut to the plate box; whole without one."""
        if self.box is None:
            return image
        x, y, w, h = self.box
        return image[y : y + h, x : x + w]


def _sample_rng(suite: SuiteConfig, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([suite.seed, index]))


def _degrade(sharp: Image, suite: SuiteConfig, index: int, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """Return (blurred, psf, params) per the suite's blur grid."""
    from deblur.synth.degrade import add_noise, make_pair, seed2017_blur

    grid = suite.blur
    if grid.kind == "none":
        blurred = add_noise(sharp, grid.noise, rng) if grid.noise else sharp.copy()
        return blurred, None, {"kind": "none", "length": 0.0, "angle": math.nan}
    if grid.kind == "seed2017":
        pair = seed2017_blur(sharp, rng)
        blurred = (
            add_noise(pair.blurred, grid.noise, rng) if grid.noise else pair.blurred
        )
        return blurred, pair.psf, dict(pair.params)
    length = float(grid.lengths[index % len(grid.lengths)])
    cfg = BlurConfig(
        kind="linear",
        length=(length, length),
        angle=grid.angle,
        noise=(grid.noise, grid.noise),
    )
    pair = make_pair(sharp, cfg, rng)
    return pair.blurred, pair.psf, dict(pair.params)


def _resize_width(image: Image, width: int) -> Image:
    if width == 0 or image.shape[1] == width:
        return image
    height = max(8, round(image.shape[0] * width / image.shape[1]))
    pil = PILImage.fromarray(to_uint8(image)).resize(
        (width, height), PILImage.Resampling.LANCZOS
    )
    return to_float(np.asarray(pil))


def _folder_rows(suite: SuiteConfig) -> list[tuple[str, str, Box | None]]:
    """Rows of the suite folder's ``labels.csv`` (validated; images are not opened).

    A missing or unreadable image fails only its own sample (in :func:`build_sample`,
    which the runner records as an error row). The parsed file is cached on its path,
    size and modification time, so building sample ``i`` does not re-read it.
    """
    if suite.folder is None:
        raise ValueError(
            f"suite {suite.name!r} of kind {suite.kind!r} needs a data folder "
            "(bench run --data DIR)"
        )
    folder = Path(suite.folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"data folder not found: {folder}")
    labels = folder / "labels.csv"
    stat = labels.stat() if labels.is_file() else None
    stamp = stat and (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    rows = _labels_cached(str(folder), stamp)
    return list(rows[: suite.count] if suite.count else rows)


@functools.lru_cache(maxsize=8)
def _labels_cached(
    folder: str, _stamp: object
) -> tuple[tuple[str, str, Box | None], ...]:
    from deblur.synth.dataset import load_labels

    rows = load_labels(folder, check_images=False)
    labels = Path(folder) / "labels.csv"
    return tuple(
        (row.file, row.text, _box(labels, row.file, row.extra)) for row in rows
    )


def _box(labels: Path, file: str, extra: dict[str, str]) -> Box | None:
    """The plate box of a row: all four of x, y, w, h, or none of them (a crop)."""
    values = [extra.get(c, "").strip() for c in BOX_COLUMNS]
    if not any(values):
        return None
    try:
        x, y, w, h = (int(v) for v in values)
    except ValueError:
        x = y = w = h = -1
    if min(x, y) < 0 or min(w, h) < 1:
        raise ValueError(
            f"{labels}: row {file!r}: the plate box x,y,w,h must be four integers "
            f"(x, y >= 0; w, h >= 1) or all empty, got {','.join(values)!r}"
        )
    return x, y, w, h


def _in_frame(path: Path, image: Image, box: Box) -> None:
    x, y, w, h = box
    if x + w > image.shape[1] or y + h > image.shape[0]:
        raise ValueError(
            f"{path}: plate box x={x} y={y} w={w} h={h} leaves the "
            f"{image.shape[1]}x{image.shape[0]} image"
        )


def count_samples(suite: SuiteConfig) -> int:
    """Return how many samples :func:`iter_samples` yields for `suite`."""
    return suite.count if suite.kind == "synthetic" else len(_folder_rows(suite))


def build_sample(suite: SuiteConfig, index: int) -> Sample:
    """Build sample `index` of `suite` alone (deterministic).

    Raises
    ------
    IndexError
        If `index` is outside ``[0, count_samples(suite))``.
    ValueError, FileNotFoundError
        If a folder suite lacks its folder or an image cannot be read.
    """
    rng = _sample_rng(suite, index)
    if suite.kind == "synthetic":
        if not 0 <= index < suite.count:
            raise IndexError(f"index must be in [0, {suite.count}), got {index}")
        from deblur.synth.plates import make_plates

        style = suite.styles[index % len(suite.styles)]
        plate = next(
            make_plates(1, PlateConfig(style=style, width=suite.plate_width), rng)
        )
        blurred, psf, params = _degrade(plate.image, suite, index, rng)
        return _sample(
            suite,
            index,
            f"{suite.name}-{index:05d}",
            plate.text,
            style,
            "synthetic",
            plate.image,
            blurred,
            psf,
            params,
        )
    rows = _folder_rows(suite)
    if not 0 <= index < len(rows):
        raise IndexError(f"index must be in [0, {len(rows)}), got {index}")
    file, text, box = rows[index]
    path = Path(suite.folder or ".") / file
    if box is None:
        image = _resize_width(read_image(path), suite.plate_width)
        style = "real"
    else:  # a whole frame: restored whole, read and scored only inside the box
        image = read_image(path)
        _in_frame(path, image, box)
        style = FRAME_STYLE
    sharp: Image | None = image
    if suite.kind == "blind":
        sharp, blurred, psf = None, image, None
        params = {"kind": "unknown", "length": math.nan, "angle": math.nan,
                  "noise": math.nan}  # fmt: skip
    else:
        blurred, psf, params = _degrade(image, suite, index, rng)
    return _sample(suite, index, file, text, style, str(suite.folder), sharp, blurred,
                   psf, params, box)  # fmt: skip


def _sample(
    suite: SuiteConfig,
    index: int,
    sample_id: str,
    text: str,
    style: str,  # noqa: PLR0913
    source: str,
    sharp: Image | None,
    blurred: Image,
    psf: PSF | None,
    params: dict[str, float | str],
    box: Box | None = None,
) -> Sample:
    blur: dict[str, float | str] = {
        "kind": str(params.get("kind", suite.blur.kind)),
        "length": float(params.get("length", math.nan)),
        "angle": float(params.get("angle", math.nan)),
        "noise": float(params.get("noise", suite.blur.noise)),
    }
    return Sample(
        index=index,
        sample_id=sample_id,
        text=text,
        style=style,
        source=source,
        sharp=sharp,
        blurred=np.asarray(blurred, np.float32),
        psf=psf,
        blur=blur,
        box=box,
    )


def iter_samples(suite: SuiteConfig, *, start: int = 0) -> Iterator[Sample]:
    """Yield the samples of `suite` in order, from index `start`.

    Parameters
    ----------
    suite : SuiteConfig
        The suite (use ``BenchConfig.effective_suite`` for run overrides).
    start : int
        First index.

    Yields
    ------
    Sample
        The same suite and seed give the same images, pixel for pixel.
    """
    for index in range(start, count_samples(suite)):
        yield build_sample(suite, index)
