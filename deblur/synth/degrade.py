"""Apply degradations to sharp images: PSF convolution, noise, JPEG re-compression.

``make_pair`` draws one degradation from a ``BlurConfig`` and returns
the sharp image, its blurred copy and the kernel used.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image as PILImage
from scipy import ndimage, signal

from deblur.config import BlurConfig
from deblur.io import to_float, to_uint8
from deblur.synth.kernels import (
    random_psf,
    seed2017_kernel,
    seed2017_line_psf,
    seed2017_size,
)
from deblur.types import PSF, Image, check_image

__all__ = ["Pair", "blur", "add_noise", "jpeg", "make_pair", "seed2017_blur"]


@dataclass(frozen=True)
class Pair:
    """A sharp image, its degraded copy, the kernel used and the drawn parameters."""

    sharp: Image
    blurred: Image
    psf: PSF
    params: dict[str, float | str] = field(default_factory=dict)


def blur(image: Image, psf: PSF) -> Image:
    """Convolve `image` with `psf`, replicating edge pixels.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray of float32 in [0, 1]
    psf : (h, w) ndarray
        Kernel; it is applied as a convolution (flipped), so a kernel with mass to the
        right of its centre moves content to the right.

    Returns
    -------
    blurred : ndarray of float32
        Same shape as `image`.
    """
    check_image(image)
    if psf.ndim != 2:
        raise ValueError(f"psf must be 2-D, got shape {psf.shape}")
    ph, pw = psf.shape
    pad_y, pad_x = ph // 2, pw // 2
    spatial = ((pad_y, ph - 1 - pad_y), (pad_x, pw - 1 - pad_x))
    pads = spatial if image.ndim == 2 else (*spatial, (0, 0))
    padded = np.pad(image.astype(np.float64), pads, mode="edge")
    kernel = psf if image.ndim == 2 else psf[..., None]
    out = signal.fftconvolve(padded, kernel, mode="valid", axes=(0, 1))
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def add_noise(
    image: Image, sigma: float, rng: np.random.Generator | int | None = None
) -> Image:
    """Add zero-mean Gaussian noise of standard deviation `sigma`, clipped to [0, 1]."""
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    rng = np.random.default_rng(rng)
    if sigma == 0:
        return image.copy()
    noisy = image + rng.normal(0.0, sigma, image.shape).astype(np.float32)
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


def jpeg(image: Image, quality: int) -> Image:
    """Re-compress `image` as JPEG at `quality` (1-100) and decode it again."""
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be in [1, 100], got {quality}")
    buffer = io.BytesIO()
    PILImage.fromarray(to_uint8(image)).save(
        buffer, format="JPEG", quality=int(quality)
    )
    buffer.seek(0)
    with PILImage.open(buffer) as pil:
        return to_float(np.asarray(pil))


def _finish(
    sharp: Image, blurred: Image, cfg: BlurConfig, rng: np.random.Generator
) -> tuple[Image, dict[str, float | str]]:
    sigma = float(rng.uniform(*cfg.noise))
    out = add_noise(blurred, sigma, rng)
    params: dict[str, float | str] = {"noise": sigma}
    if cfg.jpeg_quality is not None:
        quality = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        out = jpeg(out, quality)
        params["jpeg_quality"] = float(quality)
    return out, params


def make_pair(
    sharp: Image, cfg: BlurConfig, rng: np.random.Generator | int | None = None
) -> Pair:
    """Degrade `sharp` with one draw from `cfg`.

    Parameters
    ----------
    sharp : (H, W) or (H, W, C) ndarray of float32 in [0, 1]
    cfg : BlurConfig
        Kernel family, ranges, noise and JPEG settings.
    rng : Generator, int or None

    Returns
    -------
    Pair
        ``params`` holds ``kind``, ``length``, ``angle`` (when defined), ``noise`` and
        ``jpeg_quality`` (when applied).

    Examples
    --------
    >>> img = np.zeros((20, 40), np.float32); img[:, 20:] = 1
    >>> p = make_pair(img, BlurConfig(kind="linear", length=(9, 9), angle=0.0), rng=0)
    >>> p.blurred.shape, p.params["kind"]
    ((20, 40), 'linear')
    """
    check_image(sharp, name="sharp")
    rng = np.random.default_rng(rng)
    if cfg.kind == "seed2017":
        pair = seed2017_blur(sharp, rng)
        blurred, extra = _finish(sharp, pair.blurred, cfg, rng)
        return Pair(sharp, blurred, pair.psf, {**pair.params, **extra})
    draw = random_psf(cfg, rng, width=sharp.shape[1])
    blurred, extra = _finish(sharp, blur(sharp, draw.psf), cfg, rng)
    return Pair(sharp, blurred, draw.psf, {**draw.params, **extra})


def _rotate(image: np.ndarray, angle: float, *, reshape: bool) -> np.ndarray:
    return ndimage.rotate(
        image, angle, axes=(1, 0), reshape=reshape, order=1, mode="nearest"
    )


def seed2017_blur(sharp: Image, rng: np.random.Generator | int | None = None) -> Pair:
    """Blur `sharp` exactly as the 2017 generator did (rotate, convolve, rotate back).

    1. kernel size ``int(ceil(0.25 W) * U(0.3, 1))``, made odd;
    2. angle ``U(0, 180)`` degrees;
    3. rotate the image by the angle with an enlarged canvas (edges replicated);
    4. convolve with a one-sided horizontal line kernel (centre to right edge);
    5. rotate back and crop the middle to the original size.

    Returns
    -------
    Pair
        ``psf`` is the equivalent kernel in image coordinates (the one-sided line
        rotated by the angle), for oracle baselines; ``params`` has ``kind``,
        ``size``, ``length`` (``(size + 1) / 2``) and ``angle``.

    References
    ----------
    The 2017 design, see ``SEED.md`` in the project's shared material.
    """
    check_image(sharp, name="sharp")
    rng = np.random.default_rng(rng)
    height, width = sharp.shape[:2]
    size = seed2017_size(width, rng)
    angle = float(rng.uniform(0.0, 180.0))
    rotated = _rotate(sharp, angle, reshape=True)
    line = seed2017_kernel(size)
    convolved = blur(np.clip(rotated, 0, 1).astype(np.float32), line)
    back = _rotate(convolved, -angle, reshape=True)
    top = (back.shape[0] - height) // 2
    left = (back.shape[1] - width) // 2
    blurred = np.clip(back[top : top + height, left : left + width], 0, 1)
    psf = seed2017_line_psf(size, angle)
    params: dict[str, float | str] = {
        "kind": "seed2017",
        "size": float(size),
        "length": (size + 1) / 2,
        "angle": angle,
    }
    return Pair(sharp, blurred.astype(np.float32), psf, params)
