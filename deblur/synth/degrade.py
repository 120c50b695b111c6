"""Apply degradations to sharp images, in camera order.

Exposure change of the scene, PSF convolution, lens softness, sensor sampling,
Poisson-Gaussian noise, JPEG re-compression and up-scaling back. ``make_pair`` draws
one degradation from a ``BlurConfig`` and returns the sharp image, its degraded copy,
the kernel used and every drawn parameter (the manifest's columns).
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

__all__ = [
    "Pair",
    "blur",
    "add_noise",
    "add_poisson_noise",
    "adjust_exposure",
    "soften",
    "resample",
    "jpeg",
    "make_pair",
    "seed2017_blur",
]


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


def add_poisson_noise(
    image: Image, photons: float, rng: np.random.Generator | int | None = None
) -> Image:
    """Add signal-dependent (shot) noise: ``Poisson(image * photons) / photons``.

    Parameters
    ----------
    image : ndarray of float32 in [0, 1]
    photons : float
        Photon count of a white pixel (> 0); the noise's variance is
        ``image / photons``.
    rng : Generator, int or None

    References
    ----------
    A. Foi et al., "Practical Poissonian-Gaussian noise modeling and fitting for
    single-image raw-data", IEEE Trans. Image Processing 17(10), 2008.
    """
    if photons <= 0:
        raise ValueError(f"photons must be > 0, got {photons}")
    rng = np.random.default_rng(rng)
    counts = rng.poisson(np.clip(image, 0.0, 1.0).astype(np.float64) * photons)
    return np.clip(counts / photons, 0.0, 1.0).astype(np.float32)


def adjust_exposure(
    image: Image,
    *,
    gamma: float = 1.0,
    contrast: float = 1.0,
    brightness: float = 0.0,
    invert: bool = False,
) -> Image:
    """Change the exposure of `image`: optional negative, gamma, contrast, brightness.

    ``out = mean + (x ** gamma - mean) * contrast + brightness`` with ``x`` the image
    (or its negative ``1 - image`` when `invert`), clipped to [0, 1].

    Examples
    --------
    >>> img = np.array([[0.0, 1.0]], np.float32)
    >>> adjust_exposure(img, invert=True).tolist()
    [[1.0, 0.0]]
    """
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    if contrast < 0:
        raise ValueError(f"contrast must be >= 0, got {contrast}")
    out = np.clip(image, 0.0, 1.0).astype(np.float64)
    if invert:
        out = 1.0 - out
    out = np.power(out, gamma)
    mean = out.mean()
    out = mean + (out - mean) * contrast + brightness
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def soften(image: Image, sigma: float) -> Image:
    """Blur `image` with a Gaussian lens softness of standard deviation `sigma` px."""
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return image.copy()
    sigmas = (sigma, sigma, 0.0)[: image.ndim]
    out = ndimage.gaussian_filter(image.astype(np.float64), sigmas, mode="nearest")
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def resample(image: Image, size: tuple[int, int]) -> Image:
    """Resize `image` to ``size = (width, height)`` (bicubic, on float32 data)."""
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"size must be >= 1 on both sides, got {size}")
    planes = image[..., None] if image.ndim == 2 else image
    out = np.stack(
        [
            np.asarray(
                PILImage.fromarray(planes[..., c].astype(np.float32), mode="F").resize(
                    (width, height), PILImage.Resampling.BICUBIC
                )
            )
            for c in range(planes.shape[2])
        ],
        axis=2,
    )
    out = out[..., 0] if image.ndim == 2 else out
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _exposure(
    sharp: Image, cfg: BlurConfig, rng: np.random.Generator
) -> tuple[Image, dict[str, float | str]]:
    """Apply the scene's random exposure change (and negative), if `cfg` asks."""
    params: dict[str, float | str] = {}
    invert = cfg.invert > 0 and bool(rng.uniform() < cfg.invert)
    if invert:
        params["invert"] = 1.0
    if cfg.exposure is None:
        return (adjust_exposure(sharp, invert=True) if invert else sharp), params
    strength = cfg.exposure
    params["gamma"] = float(np.exp(strength * rng.uniform(-0.7, 0.7)))
    params["contrast"] = 1.0 - strength * float(rng.uniform(0.0, 0.6))
    params["brightness"] = strength * float(rng.uniform(-0.2, 0.1))
    scene = adjust_exposure(
        sharp,
        gamma=float(params["gamma"]),
        contrast=float(params["contrast"]),
        brightness=float(params["brightness"]),
        invert=invert,
    )
    return scene, params


def _sensor_scale(shape: tuple[int, ...], cfg: BlurConfig, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """Draw the sampling scale (<= 1) for `cfg.resolution`, or None when off."""
    if cfg.resolution is None:
        return None
    text_height = float(rng.uniform(*cfg.resolution))
    return min(1.0, text_height / (0.6 * shape[0]))


def _finish(
    sharp: Image, blurred: Image, cfg: BlurConfig, rng: np.random.Generator
) -> tuple[Image, dict[str, float | str]]:
    """Optics, sensor sampling, noise and JPEG after the blur; return the params."""
    params: dict[str, float | str] = {}
    out = blurred
    if cfg.optics is not None:
        params["optics"] = float(rng.uniform(*cfg.optics))
        out = soften(out, float(params["optics"]))
    scale = _sensor_scale(blurred.shape, cfg, rng)
    if scale is not None:
        params["scale"] = scale
        height, width = blurred.shape[:2]
        small = (max(1, round(width * scale)), max(1, round(height * scale)))
        out = resample(out, small) if scale < 1.0 else out
    sigma = float(rng.uniform(*cfg.noise))
    if cfg.photons is not None:
        params["photons"] = float(rng.uniform(*cfg.photons))
        out = add_poisson_noise(out, float(params["photons"]), rng)
    out = add_noise(out, sigma, rng)
    params["noise"] = sigma
    if cfg.jpeg_quality is not None:
        quality = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        out = jpeg(out, quality)
        params["jpeg_quality"] = float(quality)
    if out.shape[:2] != blurred.shape[:2]:
        out = resample(out, (blurred.shape[1], blurred.shape[0]))
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
        ``sharp`` is the scene after the exposure change (the input itself when
        `cfg` has none). ``params`` holds ``family`` (when named), ``kind``,
        ``length``, ``angle`` (when defined), ``noise``, and for each optional stage
        that ran its draw: ``invert``, ``gamma``, ``contrast``, ``brightness``,
        ``optics``, ``scale``, ``photons``, ``jpeg_quality``.

    Examples
    --------
    >>> img = np.zeros((20, 40), np.float32); img[:, 20:] = 1
    >>> p = make_pair(img, BlurConfig(kind="linear", length=(9, 9), angle=0.0), rng=0)
    >>> p.blurred.shape, p.params["kind"]
    ((20, 40), 'linear')
    """
    check_image(sharp, name="sharp")
    rng = np.random.default_rng(rng)
    scene, exposure = _exposure(sharp, cfg, rng)
    family = {"family": cfg.family} if cfg.family else {}
    if cfg.kind == "seed2017":
        pair = seed2017_blur(scene, rng)
        blurred, extra = _finish(scene, pair.blurred, cfg, rng)
        params = {**family, **pair.params, **exposure, **extra}
        return Pair(scene, blurred, pair.psf, params)
    draw = random_psf(cfg, rng, width=sharp.shape[1])
    moved = scene.copy() if cfg.kind == "none" else blur(scene, draw.psf)
    blurred, extra = _finish(scene, moved, cfg, rng)
    return Pair(
        scene, blurred, draw.psf, {**family, **draw.params, **exposure, **extra}
    )


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
