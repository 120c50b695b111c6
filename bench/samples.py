"""Benchmark samples: a sharp plate (when known), its blurred copy, the PSF and labels.

Sample ``i`` of a suite is built from its own seed, ``SeedSequence([suite.seed, i])``,
so any worker can build any sample alone and the same suite gives the same pixels. A
suite drawn several times (``repeats``/``seeds``) numbers its samples draw after draw:
sample ``d * count + i`` is sample ``i`` of the draw with root seed ``draw_seeds[d]``.
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
    "sample_label",
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
    seed : int
        Root seed of the draw the sample belongs to.
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
    seed: int = 0

    def in_box(self, image: Image) -> Image:
        """`image` (same size as `blurred`) cut to the plate box; whole without one."""
        if self.box is None:
            return image
        x, y, w, h = self.box
        return image[y : y + h, x : x + w]


def _draw(suite: SuiteConfig, index: int) -> tuple[int, int]:
    """Root seed of sample `index`'s draw and its index within that draw."""
    base = _base_count(suite)
    seeds = suite.draw_seeds
    if not 0 <= index < base * len(seeds):
        raise IndexError(f"index must be in [0, {base * len(seeds)}), got {index}")
    return seeds[index // base], index % base


def _sample_id(suite: SuiteConfig, seed: int, local: int, file: str | None) -> str:
    draw = f"s{seed}-" if len(suite.draw_seeds) > 1 else ""
    if file is None:
        return f"{suite.name}-{draw}{local:05d}"
    return f"{draw}{file}"


def sample_label(suite: SuiteConfig, index: int) -> tuple[str, str]:
    """Return ``(sample_id, text)`` of sample `index` without reading any image.

    The text is known for folder suites (from ``labels.csv``); a synthetic plate's text
    is drawn with its image, so it is empty here. Used for the rows of a sample that
    could not be built.
    """
    seed, local = _draw(suite, index)
    if suite.kind == "synthetic":
        return _sample_id(suite, seed, local, None), ""
    file, text, _ = _folder_rows(suite)[local]
    return _sample_id(suite, seed, local, file), text


def _degrade(sharp: Image, suite: SuiteConfig, index: int, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """Return (blurred, psf, params, sharp) per the suite's blur grid.

    ``sharp`` is the reference: the input, or the scene after a family's exposure
    change (family ``dim``).
    """
    from deblur.synth.degrade import add_noise, make_pair, seed2017_blur

    grid = suite.blur
    if grid.kind == "family":
        return _degrade_family(sharp, suite, index, rng)
    if grid.kind == "none":
        blurred = add_noise(sharp, grid.noise, rng) if grid.noise else sharp.copy()
        return blurred, None, {"kind": "none", "length": 0.0, "angle": math.nan}, sharp
    if grid.kind == "seed2017":
        pair = seed2017_blur(sharp, rng)
        blurred = (
            add_noise(pair.blurred, grid.noise, rng) if grid.noise else pair.blurred
        )
        return blurred, pair.psf, dict(pair.params), sharp
    length = float(grid.lengths[index % len(grid.lengths)])
    cfg = BlurConfig(
        kind="linear",
        length=(length, length),
        angle=grid.angle,
        noise=(grid.noise, grid.noise),
    )
    pair = make_pair(sharp, cfg, rng)
    return pair.blurred, pair.psf, dict(pair.params), sharp


def _degrade_family(
    sharp: Image, suite: SuiteConfig, index: int, rng: np.random.Generator
):  # type: ignore[no-untyped-def]
    """Degrade with family ``families[i % F]`` at length ``lengths[(i // F) % L]``."""
    from deblur.synth.degrade import make_pair
    from deblur.synth.families import family_config

    grid = suite.blur
    family = grid.families[index % len(grid.families)]
    length = float(grid.lengths[(index // len(grid.families)) % len(grid.lengths)])
    cfg = family_config(family, length=length)
    pair = make_pair(sharp, cfg, rng)
    params = dict(pair.params)
    params["kind"] = family
    if cfg.kind == "none":
        params["length"] = 0.0
    psf = None if cfg.kind == "none" else pair.psf
    return pair.blurred, psf, params, pair.sharp


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


def _base_count(suite: SuiteConfig) -> int:
    return suite.count if suite.kind == "synthetic" else len(_folder_rows(suite))


def count_samples(suite: SuiteConfig) -> int:
    """Return how many samples :func:`iter_samples` yields for `suite` (all draws)."""
    return _base_count(suite) * len(suite.draw_seeds)


def build_sample(suite: SuiteConfig, index: int) -> Sample:
    """Build sample `index` of `suite` alone (deterministic).

    Raises
    ------
    IndexError
        If `index` is outside ``[0, count_samples(suite))``.
    ValueError, FileNotFoundError
        If a folder suite lacks its folder or an image cannot be read.
    """
    seed, local = _draw(suite, index)
    rng = np.random.default_rng(np.random.SeedSequence([seed, local]))
    if suite.kind == "synthetic":
        from deblur.synth.plates import make_plates

        style = suite.styles[local % len(suite.styles)]
        plate = next(
            make_plates(1, PlateConfig(style=style, width=suite.plate_width), rng)
        )
        blurred, psf, params, reference = _degrade(plate.image, suite, local, rng)
        return _sample(
            suite,
            index,
            _sample_id(suite, seed, local, None),
            plate.text,
            style,
            "synthetic",
            reference,
            blurred,
            psf,
            params,
            seed=seed,
        )
    file, text, box = _folder_rows(suite)[local]
    sample_id = _sample_id(suite, seed, local, file)
    path = Path(suite.folder or ".") / file
    if box is None:
        image = _resize_width(read_image(path), suite.plate_width)
        style = "real"
    else:  # a whole frame: restored whole, read and scored only inside the box
        image = read_image(path)
        _in_frame(path, image, box)
        style = FRAME_STYLE
    if suite.kind == "blind":
        unknown: dict[str, float | str] = {
            "kind": "unknown",
            "length": math.nan,
            "angle": math.nan,
            "noise": math.nan,
        }
        return _sample(
            suite, index, sample_id, text, style, str(suite.folder), None, image,
            None, unknown, seed=seed, box=box,
        )  # fmt: skip
    blurred, psf, params, reference = _degrade(image, suite, local, rng)
    return _sample(
        suite, index, sample_id, text, style, str(suite.folder), reference, blurred,
        psf, params, seed=seed, box=box,
    )  # fmt: skip


def _sample(
    suite: SuiteConfig,
    index: int,
    sample_id: str,
    text: str,
    style: str,
    source: str,
    sharp: Image | None,
    blurred: Image,
    psf: PSF | None,
    params: dict[str, float | str],
    *,
    seed: int,
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
        seed=seed,
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
