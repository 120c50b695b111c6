"""Motion-blur point-spread functions (PSFs).

Every generator returns a 2-D float64 kernel of odd size that sums to 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from deblur.config import BlurConfig
from deblur.types import PSF

__all__ = [
    "PsfDraw",
    "linear_psf",
    "seed2017_size",
    "seed2017_kernel",
    "seed2017_line_psf",
    "seed2017_psf",
    "trajectory_psf",
    "shake_psf",
    "defocus_psf",
    "gaussian_psf",
    "random_psf",
]

_SUPERSAMPLE = 8


@dataclass(frozen=True)
class PsfDraw:
    """A drawn kernel and the parameters that produced it."""

    psf: PSF
    params: dict[str, float | str] = field(default_factory=dict)


def _odd(n: int) -> int:
    return n if n % 2 == 1 else n + 1


def _normalise(kernel: np.ndarray) -> PSF:
    total = kernel.sum()
    return (kernel / total).astype(np.float64)


def _densify(path: np.ndarray, spacing: float) -> np.ndarray:
    """Resample a polyline of (x, y) vertices to points every `spacing` along it."""
    seg = np.diff(path, axis=0)
    seg_len = np.linalg.norm(seg, axis=1)
    total = seg_len.sum()
    if total == 0:
        return path[:1]
    n = max(1, int(math.ceil(total / spacing)))
    # midpoints of n equal pieces, so both ends get the same weight as the middle
    targets = (np.arange(n) + 0.5) * (total / n)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    idx = np.clip(np.searchsorted(cum, targets, side="right") - 1, 0, len(seg) - 1)
    frac = (targets - cum[idx]) / np.maximum(seg_len[idx], 1e-12)
    return path[idx] + seg[idx] * frac[:, None]


def _rasterise(path: np.ndarray, size: int) -> PSF:
    """Area-sample a polyline (x, y relative to the kernel centre) into a kernel.

    The path is sampled densely, each sample lands in a cell of a grid
    ``_SUPERSAMPLE`` times finer than the pixels, and cells are summed per pixel: exact
    coverage along the path, anti-aliased across it.
    """
    points = _densify(np.asarray(path, dtype=np.float64), 0.5 / _SUPERSAMPLE)
    centre = (size - 1) / 2.0
    fine = np.floor((points + centre + 0.5) * _SUPERSAMPLE).astype(int)
    fine = np.clip(fine, 0, size * _SUPERSAMPLE - 1)
    kernel = np.zeros((size, size), dtype=np.float64)
    np.add.at(kernel, (fine[:, 1] // _SUPERSAMPLE, fine[:, 0] // _SUPERSAMPLE), 1.0)
    return _normalise(kernel)


def linear_psf(length: float, angle: float) -> PSF:
    """Return a centred, anti-aliased linear motion-blur kernel.

    A segment of `length` pixels through the kernel centre at `angle` degrees
    (counter-clockwise from the x axis, image y pointing down) is sampled densely and
    splatted bilinearly, so fractional lengths and any angle are represented.

    Parameters
    ----------
    length : float
        Blur length in pixels, >= 1. A length-L horizontal kernel spreads a point over
        L pixels.
    angle : float
        Direction in degrees.

    Returns
    -------
    psf : (S, S) ndarray of float64
        Odd-sized kernel summing to 1.

    Raises
    ------
    ValueError
        If `length` < 1.

    References
    ----------
    Standard uniform linear motion model, e.g. Gonzalez & Woods, *Digital Image
    Processing*, 4th ed., section 5.6.

    Examples
    --------
    >>> k = linear_psf(5, 0)
    >>> k.shape, round(float(k.sum()), 6), int((k > 0).sum())
    ((5, 5), 1.0, 5)
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    if length <= 1:
        kernel = np.zeros((1, 1))
        kernel[0, 0] = 1.0
        return kernel
    rad = math.radians(angle)
    half = length / 2.0
    direction = np.array([math.cos(rad), -math.sin(rad)])
    ends = np.stack([-half * direction, half * direction])
    size = _odd(int(math.ceil(2 * np.abs(ends).max() - 1e-9)))
    return _rasterise(ends, size)


def seed2017_size(width: int, rng: np.random.Generator | int | None = None) -> int:
    """Draw the 2017 generator's odd kernel size for an image of `width` pixels.

    ``max_size = ceil(0.25 * width)``, ``size = int(max_size * U(0.3, 1.0))``, minus
    one when even (at least 1).
    """
    rng = np.random.default_rng(rng)
    max_size = math.ceil(0.25 * width)
    size = int(max_size * rng.uniform(0.3, 1.0))
    if size % 2 == 0:
        size -= 1
    return max(size, 1)


def seed2017_kernel(size: int) -> PSF:
    """Return the 2017 one-sided horizontal kernel of odd `size`.

    A ``size x size`` zero matrix whose middle row is ones from the centre column to the
    right edge, normalised: a line of ``(size + 1) / 2`` pixels starting at the centre.
    """
    kernel = np.zeros((size, size), dtype=np.float64)
    kernel[size // 2, size // 2 :] = 1.0
    return _normalise(kernel)


def seed2017_line_psf(size: int, angle: float) -> PSF:
    """Return the 2017 one-sided line of ``(size + 1) / 2`` px in image coordinates.

    Rotating an image by `angle` (scipy's convention, canvas enlarged), convolving with
    :func:`seed2017_kernel` and rotating back equals convolving with this kernel.
    """
    line_len = (size + 1) / 2
    rad = math.radians(angle)
    direction = np.array([math.cos(rad), math.sin(rad)])
    # pixel centres 0 .. line_len - 1 along the direction, each covering one pixel
    ends = np.stack([-0.5 * direction, (line_len - 0.5) * direction])
    return _rasterise(ends, _odd(2 * int(math.ceil(line_len)) + 1))


def seed2017_psf(
    width: int, rng: np.random.Generator | int | None = None
) -> tuple[PSF, dict[str, float | str]]:
    """Draw the 2017 generator's blur as an equivalent kernel in image coordinates.

    The 2017 code rotated the image by the angle, convolved with a one-sided horizontal
    line, and rotated back; that equals convolving with the line rotated by the angle,
    which is what this returns (see :func:`deblur.synth.degrade.seed2017_blur` for the
    faithful image operation). Draws in the same order as ``seed2017_blur``.

    Returns
    -------
    psf : ndarray
        Kernel summing to 1 (odd size).
    params : dict
        ``kind``, ``size`` (the 2017 kernel size), ``length`` (``(size + 1) / 2``),
        ``angle`` (degrees).
    """
    rng = np.random.default_rng(rng)
    size = seed2017_size(width, rng)
    angle = float(rng.uniform(0.0, 180.0))
    params: dict[str, float | str] = {
        "kind": "seed2017",
        "size": float(size),
        "length": (size + 1) / 2,
        "angle": angle,
    }
    return seed2017_line_psf(size, angle), params


def trajectory_psf(
    length: float, rng: np.random.Generator | int | None = None
) -> tuple[PSF, dict[str, float | str]]:
    """Draw a random camera-shake trajectory kernel of about `length` pixels of path.

    A 2-D random walk with inertia (velocity persists, small random accelerations and
    rare impulsive jerks) is scaled to the requested path length and splatted.

    References
    ----------
    G. Boracchi and A. Foi, "Modeling the performance of image restoration from
    motion blur", IEEE Trans. Image Processing 21(8), 2012.
    """
    rng = np.random.default_rng(rng)
    steps = 200
    angle = rng.uniform(0, 2 * math.pi)
    velocity = np.array([math.cos(angle), math.sin(angle)])
    position = np.zeros(2)
    points = [position.copy()]
    anxiety = rng.uniform(0.0, 0.3)
    for _ in range(steps - 1):
        accel = rng.normal(0.0, anxiety, 2)
        if rng.uniform() < 0.02:
            accel += rng.normal(0.0, 1.0, 2)
        velocity = velocity + accel - 0.05 * position / steps
        velocity /= max(float(np.linalg.norm(velocity)), 1e-9)
        position = position + velocity
        points.append(position.copy())
    path = np.array(points)
    path_len = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
    path = path * ((length - 1) / max(path_len, 1e-9))
    path -= (path.max(axis=0) + path.min(axis=0)) / 2
    size = _odd(int(math.ceil(2 * np.abs(path).max())) + 1)
    psf = _rasterise(path, size)
    return psf, {
        "kind": "trajectory",
        "length": float(length),
        "angle": math.degrees(angle),
    }


def _splat(points: np.ndarray, size: int) -> PSF:
    """Splat equally weighted points (x, y relative to the centre) bilinearly."""
    centre = (size - 1) / 2.0
    xy = points + centre
    base = np.floor(xy).astype(int)
    frac = xy - base
    kernel = np.zeros((size + 1, size + 1), dtype=np.float64)
    for dy in (0, 1):
        for dx in (0, 1):
            weight = (frac[:, 0] if dx else 1 - frac[:, 0]) * (
                frac[:, 1] if dy else 1 - frac[:, 1]
            )
            rows = np.clip(base[:, 1] + dy, 0, size)
            cols = np.clip(base[:, 0] + dx, 0, size)
            np.add.at(kernel, (rows, cols), weight)
    return _normalise(kernel[:size, :size])


def shake_psf(
    length: float, rng: np.random.Generator | int | None = None
) -> tuple[PSF, dict[str, float | str]]:
    """Draw a curved camera-shake kernel: a smooth path travelled at uneven speed.

    The path is a cubic Bezier curve with random control points (one bend or an S),
    `length` pixels long. The exposure samples it at equal *time* steps while the
    speed along it varies smoothly (slow-downs where the hand turns), so the kernel's
    mass is uneven along the path, unlike a uniform line or splatted random walk.

    Parameters
    ----------
    length : float
        Path length in pixels, >= 1.
    rng : Generator, int or None
        Random source.

    Returns
    -------
    psf : (S, S) ndarray of float64
        Odd-sized kernel summing to 1.
    params : dict
        ``kind="shake"``, ``length`` and ``angle`` (the chord's direction, degrees).

    References
    ----------
    A. Levin et al., "Understanding and evaluating blind deconvolution algorithms",
    CVPR 2009 (recorded camera-shake kernels: curved paths with uneven intensity).
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    rng = np.random.default_rng(rng)
    angle = float(rng.uniform(0.0, 180.0))
    bend = rng.uniform(-0.6, 0.6, size=2)
    rad = math.radians(angle)
    along = np.array([math.cos(rad), -math.sin(rad)])
    across = np.array([-along[1], along[0]])
    control = np.stack(
        [
            -0.5 * along,
            -0.17 * along + bend[0] * across,
            0.17 * along + bend[1] * across,
            0.5 * along,
        ]
    )
    s = np.linspace(0.0, 1.0, 400)[:, None]
    curve = (
        (1 - s) ** 3 * control[0]
        + 3 * (1 - s) ** 2 * s * control[1]
        + 3 * (1 - s) * s**2 * control[2]
        + s**3 * control[3]
    )
    arc = np.concatenate(
        [[0.0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))]
    )
    curve *= (length - 1) / max(float(arc[-1]), 1e-9)
    arc *= (length - 1) / max(float(arc[-1]), 1e-9)
    # speed over time: 1 + a*sin(2*pi*f*t + phase), a < 1, so it never stops
    t = np.linspace(0.0, 1.0, 8 * int(math.ceil(length)) + 16)
    amp, freq, phase = rng.uniform(0.3, 0.8), rng.uniform(0.5, 1.5), rng.uniform(0, 6.3)
    speed = 1.0 + amp * np.sin(2 * math.pi * freq * t + phase)
    travelled = np.concatenate([[0.0], np.cumsum((speed[1:] + speed[:-1]) / 2)])
    travelled *= arc[-1] / max(float(travelled[-1]), 1e-9)
    points = np.stack(
        [np.interp(travelled, arc, curve[:, k]) for k in range(2)], axis=1
    )
    points -= (points.max(axis=0) + points.min(axis=0)) / 2
    size = _odd(int(math.ceil(2 * np.abs(points).max())) + 2)
    return _splat(points, size), {
        "kind": "shake",
        "length": float(length),
        "angle": angle,
    }


def defocus_psf(diameter: float) -> PSF:
    """Return a uniform disc (out-of-focus) kernel of the given `diameter` in pixels.

    Edge pixels are weighted by their covered area (8x8 supersampling).

    Examples
    --------
    >>> round(float(defocus_psf(5).sum()), 6)
    1.0
    """
    if diameter < 1:
        raise ValueError(f"diameter must be >= 1, got {diameter}")
    size = _odd(int(math.ceil(diameter)))
    sub = (np.arange(size * _SUPERSAMPLE) + 0.5) / _SUPERSAMPLE - size / 2
    yy, xx = np.meshgrid(sub, sub, indexing="ij")
    inside = (xx**2 + yy**2) <= (diameter / 2) ** 2
    kernel = inside.reshape(size, _SUPERSAMPLE, size, _SUPERSAMPLE).mean(axis=(1, 3))
    if kernel.sum() == 0:
        kernel[size // 2, size // 2] = 1.0
    return _normalise(kernel)


def gaussian_psf(sigma: float) -> PSF:
    """Return a Gaussian kernel with standard deviation `sigma`, truncated at 3 sigma.

    Examples
    --------
    >>> k = gaussian_psf(1.0)
    >>> k.shape, round(float(k.sum()), 6)
    ((7, 7), 1.0)
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    radius = max(1, int(math.ceil(3 * sigma)))
    ax = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-(ax**2) / (2 * sigma**2))
    return _normalise(np.outer(g, g))


def random_psf(
    cfg: BlurConfig, rng: np.random.Generator | int | None = None, *, width: int
) -> PsfDraw:
    """Draw a kernel from the family `cfg.kind` for an image `width` pixels wide.

    Parameters
    ----------
    cfg : BlurConfig
        Kernel family and parameter ranges.
    rng : Generator, int or None
        Random source.
    width : int
        Image width; used by ``seed2017`` (lengths scale with the width).

    Returns
    -------
    PsfDraw
        Kernel and parameters (``kind``, ``length``, ``angle`` where meaningful).
    """
    rng = np.random.default_rng(rng)
    length = float(rng.uniform(*cfg.length))
    if cfg.kind == "seed2017":
        psf, params = seed2017_psf(width, rng)
        return PsfDraw(psf, params)
    if cfg.kind == "linear":
        angle = float(rng.uniform(0.0, 180.0)) if cfg.angle is None else cfg.angle
        return PsfDraw(
            linear_psf(length, angle),
            {"kind": "linear", "length": length, "angle": angle},
        )
    if cfg.kind == "trajectory":
        psf, params = trajectory_psf(length, rng)
        return PsfDraw(psf, params)
    if cfg.kind == "shake":
        psf, params = shake_psf(length, rng)
        return PsfDraw(psf, params)
    if cfg.kind == "none":
        return PsfDraw(np.ones((1, 1)), {"kind": "none", "length": 0.0})
    if cfg.kind == "defocus":
        return PsfDraw(defocus_psf(length), {"kind": "defocus", "length": length})
    sigma = length / 6.0
    return PsfDraw(gaussian_psf(sigma), {"kind": "gaussian", "length": length})
