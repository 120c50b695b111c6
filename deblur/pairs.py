"""Training pairs: the sharp sources and the sampler that degrades them on the fly.

Sources are sharp images: synthetic plates (:func:`synthetic_sources`), a folder
(:func:`load_sources`), or a folder with ``labels.csv`` when the texts are needed
(:func:`load_labelled_sources`, for OCR-aware training). :class:`PairSampler` blurs a
source with one draw of the degradation mix each time and returns patches, or whole
plates of one size with their texts (:meth:`PairSampler.plate_batch`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deblur.config import BlurConfig, PlateConfig
from deblur.io import IMAGE_SUFFIXES, read_image, to_gray
from deblur.synth.degrade import make_pair
from deblur.types import Image

__all__ = [
    "PairSampler",
    "PlateBatch",
    "load_labelled_sources",
    "load_sources",
    "synthetic_plates",
    "synthetic_sources",
]


def synthetic_sources(
    count: int, *, seed: int, cfg: PlateConfig | None = None
) -> list[Image]:
    """Render `count` sharp synthetic plates (RGB) to train on."""
    return synthetic_plates(count, seed=seed, cfg=cfg)[0]


def load_sources(
    folder: str | os.PathLike[str],
    *,
    on_error: Callable[[Path, Exception], None] | None = None,
) -> list[Image]:
    """Read every sharp image in `folder` (RGB), in sorted name order.

    A ``sharp/`` sub-folder (the layout of ``deblur synth blur``) is used when present.

    Parameters
    ----------
    folder : path-like
        Folder of sharp images.
    on_error : callable, optional
        ``on_error(path, error)`` is called for each image that cannot be read
        (corrupt, truncated, too large), which is then left out; when None the first
        such image raises.

    Raises
    ------
    FileNotFoundError
        If `folder` does not exist.
    ValueError
        If it holds fewer than two (readable) images.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"training data folder not found: {folder}")
    if (folder / "sharp").is_dir():
        folder = folder / "sharp"
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if len(files) < 2:
        raise ValueError(
            f"{folder}: need at least 2 sharp images to train, found {len(files)}"
        )
    images = []
    for path in files:
        try:
            images.append(read_image(path))
        except ValueError as err:
            if on_error is None:
                raise
            on_error(path, err)
    if len(images) < 2:
        raise ValueError(
            f"{folder}: need at least 2 readable sharp images, found {len(images)}"
        )
    return images


class PairSampler:
    """Draw (blurred, sharp) patch batches from a list of sharp images.

    Parameters
    ----------
    sources : sequence of Image
        Sharp images (RGB); each is one source, so a split never leaks a plate.
    degradations : sequence of BlurConfig
        Mix drawn by ``weight``.
    patch : (int, int)
        Patch height and width; smaller images are edge-padded.
    channels : int
        1 trains on luminance, 3 on RGB.
    guide : {"none", "blind_wiener"}
        Append the blind Wiener restoration of the whole blurred image as extra input
        channels (see ``ModelConfig.guide``).
    photometric : float
        Strength of the random photometric change of each source (see
        ``TrainConfig.photometric``).
    texts : sequence of str, optional
        Each source's plate text, needed by :meth:`plate_batch`.
    """

    def __init__(
        self,
        sources: Sequence[Image],
        degradations: Sequence[BlurConfig],
        *,
        patch: tuple[int, int],
        channels: int,
        guide: str = "none",
        photometric: float = 0.0,
        texts: Sequence[str] | None = None,
    ) -> None:
        self.sources = list(sources)
        if texts is not None and len(texts) != len(self.sources):
            raise ValueError(
                f"got {len(texts)} texts for {len(self.sources)} source images"
            )
        self.texts = None if texts is None else list(texts)
        self.photometric = photometric
        self.degradations = list(degradations)
        weights = np.array([d.weight for d in self.degradations], dtype=np.float64)
        self.probs = weights / weights.sum()
        self.patch = patch
        self.channels = channels
        self.guide = None
        if guide != "none":
            from deblur.registry import get_deblurrer

            self.guide = get_deblurrer(guide)

    def pair(
        self, index: int, rng: np.random.Generator, *, whole: bool = False
    ) -> tuple[Image, Image]:
        """Degrade source `index` with one draw and cut one matching patch.

        With `whole`, the whole (blurred, sharp) plate is returned instead.
        """
        cfg = self.degradations[int(rng.choice(len(self.degradations), p=self.probs))]
        source = self.sources[index]
        if self.photometric > 0:
            source = _photometric(source, self.photometric, rng)
        pair = make_pair(source, cfg, rng)
        sharp, blurred = pair.sharp, pair.blurred
        if self.channels == 1:
            sharp, blurred = to_gray(sharp)[..., None], to_gray(blurred)[..., None]
        if self.guide is not None:
            blurred = np.concatenate([blurred, self.guide(blurred)], axis=2)
        if whole:
            return blurred, sharp
        ph, pw = self.patch
        pad = (
            (0, max(0, ph - sharp.shape[0])),
            (0, max(0, pw - sharp.shape[1])),
            (0, 0),
        )
        sharp, blurred = (
            np.pad(sharp, pad, mode="edge"),
            np.pad(blurred, pad, mode="edge"),
        )
        top = int(rng.integers(0, sharp.shape[0] - ph + 1))
        left = int(rng.integers(0, sharp.shape[1] - pw + 1))
        window = (slice(top, top + ph), slice(left, left + pw))
        return blurred[window], sharp[window]

    def batch(
        self, indices: Sequence[int] | np.ndarray, size: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``size`` pairs from randomly chosen `indices` as two 4-D arrays."""
        picks = rng.choice(np.asarray(indices), size=size)
        pairs = [self.pair(int(i), rng) for i in picks]
        return (
            np.stack([p[0] for p in pairs]).astype(np.float32),
            np.stack([p[1] for p in pairs]).astype(np.float32),
        )

    def plate_batch(
        self, indices: Sequence[int] | np.ndarray, size: int, rng: np.random.Generator
    ) -> PlateBatch:
        """Return ``size`` whole plates of one size (that of a random pick).

        Raises
        ------
        ValueError
            If the sampler was built without ``texts``.
        """
        if self.texts is None:
            raise ValueError("whole-plate batches need the plate texts")
        indices = np.asarray(indices)
        shape = self.sources[int(rng.choice(indices))].shape
        same = [int(i) for i in indices if self.sources[int(i)].shape == shape]
        picks = rng.choice(np.asarray(same), size=size)
        pairs = [self.pair(int(i), rng, whole=True) for i in picks]
        return PlateBatch(
            blurred=np.stack([p[0] for p in pairs]).astype(np.float32),
            sharp=np.stack([p[1] for p in pairs]).astype(np.float32),
            texts=[self.texts[int(i)] for i in picks],
        )


@dataclass(frozen=True, kw_only=True)
class PlateBatch:
    """Whole degraded plates, their sharp originals (``(N, H, W, C)``) and texts."""

    blurred: np.ndarray
    sharp: np.ndarray
    texts: list[str]


def _photometric(image: Image, strength: float, rng: np.random.Generator) -> Image:
    """Randomly lower contrast, change gamma and brightness, and soften `image`."""
    from scipy import ndimage

    gamma = float(np.exp(strength * rng.uniform(-0.5, 0.5)))
    contrast = 1.0 - strength * rng.uniform(0.0, 0.65)
    shift = strength * rng.uniform(-0.15, 0.15)
    sigma = strength * rng.uniform(0.0, 1.0)
    out = np.power(np.clip(image, 0.0, 1.0), gamma)
    out = out.mean() + (out - out.mean()) * contrast + shift
    if sigma > 0.05:
        out = ndimage.gaussian_filter(out, sigma=(sigma, sigma, 0)[: out.ndim])
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def load_labelled_sources(
    folder: str | os.PathLike[str],
    *,
    on_error: Callable[[Path, Exception], None] | None = None,
) -> tuple[list[Image], list[str]]:
    """Read the sharp images listed in ``folder/labels.csv`` and their plate texts.

    For OCR-aware training (``TrainConfig.ocr_weight``) on your own plates: the folder
    layout of ``deblur synth plates`` and of the bench's labelled suites
    (``file,text[,...]``, :func:`deblur.synth.dataset.load_labels`).

    Parameters
    ----------
    folder : path-like
        Folder holding ``labels.csv`` and the images it names.
    on_error : callable, optional
        ``on_error(path, error)`` for each listed image that cannot be read, which is
        then left out with its text; when None the first such image raises.

    Raises
    ------
    FileNotFoundError
        If `folder` or its ``labels.csv`` does not exist.
    ValueError
        If ``labels.csv`` is malformed (the message names the row), or fewer than two
        images can be read.
    """
    from deblur.synth.dataset import load_labels

    folder = Path(folder)
    images, texts = [], []
    for row in load_labels(folder, check_images=False):
        path = folder / row.file
        try:
            images.append(read_image(path))
        except (OSError, ValueError) as err:
            if on_error is None:
                raise
            on_error(path, err)
            continue
        texts.append(row.text)
    if len(images) < 2:
        raise ValueError(
            f"{folder}: need at least 2 readable labelled images, found {len(images)}"
        )
    return images, texts


def synthetic_plates(
    count: int, *, seed: int, cfg: PlateConfig | None = None
) -> tuple[list[Image], list[str]]:
    """Render `count` sharp synthetic plates: their images (RGB) and texts."""
    from deblur.synth.plates import make_plates

    plates = list(make_plates(count, cfg or PlateConfig(), seed))
    return [plate.image for plate in plates], [plate.text for plate in plates]
