"""Blind estimation of a linear motion-blur kernel from the blurred image alone.

Uniform linear motion of length ``L`` at angle ``theta`` multiplies the spectrum by a
sinc whose zeros repeat every ``1 / L`` along ``theta``. In the cepstrum (the inverse
Fourier transform of the log magnitude spectrum) that periodic ripple becomes a strong
negative peak at distance ``L`` in direction ``theta``; its position gives both.

Five details decide how often the peak is found on a plate (measured on 336 plates of
the default suite's generator with another seed, 7, blur 5-31 px; a gross miss is off by
more than 3 px or 10 degrees): a Tukey window instead of a Hann window (a Hann window
leaves too few rows of a 56-px-high plate to resolve a near-vertical blur: gross misses
14.3% -> 4.5%), a lifter that damps the lowest quefrencies, where the plate's own smooth
spectrum sits, a parabolic sub-pixel fit of the peak (median angle error 0.78 -> 0.38
degrees), and a slight Gaussian smoothing of the cepstrum (sigma 0.7 px). The smoothing
matters most for long near-vertical blurs: their valley is several pixels wide but
shallow, and one-pixel spikes from the plate's own texture (character pitch, border)
used to win the argmin, nearly always at a shorter length. Gross misses 4.2% -> 3.0%,
and 5 -> 1 of 144 at 13-21 px; blind Wiener's PP-OCR exact match at 13-21 px 97.9% ->
99.3%. The fifth is the window's tapered fraction (Tukey alpha, half of it at each end):
0.3, not 0.5. Alpha 0.5 leaves only half of a 56-px plate's rows at full weight, too few
for a 21-31 px near-vertical blur, whose length it underestimates (21 -> 16 px): gross
misses 3.0% -> 1.5%, blind Wiener PP-OCR 94.6% -> 95.5% (13-21 px: 99.3% -> 100%). Alpha
0.1 is better still on synthetic plates (0.9%) but lets the edges of real crops (car
body, plate frame) into the spectrum: on real US crops blurred by the ``real`` suite it
misses 54 of 222 blurs, against 13 at alpha 0.3 and 16 at 0.5 (Brazilian crops: 5, 2,
3); alpha was chosen on those and on seeds 7-9. On the default suite itself (seed 2024;
its restored plates' misses pointed at the problem): gross misses 4.8% (no smoothing) ->
1.5% -> 0.6% (alpha 0.3), blind Wiener PP-OCR at 13-21 px 91.7% -> 97.2% -> 98.6%, as
high as oracle Wiener.
``benchmarks/psf_estimate.py`` measures all of this (``results/psf_estimate.md``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import fft, ndimage

from deblur.io import to_gray
from deblur.synth.kernels import linear_psf
from deblur.types import PSF, Image, check_image

__all__ = ["PsfEstimate", "estimate_linear_psf", "tukey"]

_MIN_FFT = 64
_TUKEY_ALPHA = 0.3  # fraction of the window that is tapered, half at each end
_LIFTER = 4.0  # quefrency (px) below which the cepstrum is damped: 1 - exp(-(r / 4)^2)
_SMOOTH = 0.7  # sigma (px) of the Gaussian that favours broad valleys over lone spikes
_FLAT = 1e-6  # peak-to-peak below which an image is flat (16-bit grey level: 1.5e-5)


@dataclass(frozen=True)
class PsfEstimate:
    """An estimated linear blur: its length (px), angle (degrees) and kernel.

    ``strength`` says how clearly the image shows that blur: how far the cepstral
    valley lies below the median of the searched cepstrum, in robust standard
    deviations (1.4826 x the median absolute deviation). Sharp photo regions score
    about 3-9, linear blurs of 5 px or more about 8-30 on 256 px regions
    (:data:`deblur.config.TileConfig.pass_through` is set from these measurements).

    ``echo`` is the same depth at twice the offset, the cepstrum's second rahmonic: a
    straight blur's spectral zeros repeat evenly, so its valley echoes (about a quarter
    of ``strength`` on synthetic plates), while a curved shake's does not (under a
    tenth). :mod:`deblur.gate` uses it to tell the two apart.
    """

    length: float
    angle: float
    psf: PSF
    strength: float = math.nan
    echo: float = math.nan


def estimate_linear_psf(
    image: Image,
    *,
    min_length: float = 2.0,
    max_length: float = 40.0,
    smooth: float = _SMOOTH,
    taper: float = _TUKEY_ALPHA,
) -> PsfEstimate:
    """Estimate the linear motion blur of `image` from the negative cepstral peak.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray of float32 in [0, 1]
        Blurred image; colour is reduced to luminance.
    min_length, max_length : float
        Search range of the blur length in pixels.
    smooth : float
        Sigma in pixels of the Gaussian smoothing of the cepstrum (0: none; see the
        module notes).
    taper : float
        The Tukey window's alpha: the fraction of each axis that is tapered, half at
        each end, in [0, 1] (0: no window; 1: a Hann window).

    Returns
    -------
    PsfEstimate
        Length, angle in [0, 180) (same convention as
        :func:`deblur.synth.kernels.linear_psf`), the matching kernel and the valley's
        strength (0 on a flat image).

    Raises
    ------
    ValueError
        If the length range is invalid, `smooth` is negative or `taper` is outside
        [0, 1].

    Notes
    -----
    See the module notes for the measured accuracy. The peak is located to a fraction
    of a pixel by a parabola through its neighbours along each axis. Non-linear
    (shake) blur has no single cepstral peak; the estimate is then only the dominant
    direction.

    References
    ----------
    M. Cannon, "Blind deconvolution of spatially invariant image blurs with phase",
    IEEE Trans. ASSP 24(1), 1976; R. Rom, "On the cepstrum of two-dimensional
    functions", IEEE Trans. IT 21(2), 1975; B. P. Bogert, M. J. R. Healy, J. W. Tukey,
    "The quefrency alanysis of time series for echoes", 1963 (liftering).
    """
    check_image(image)
    if not 1.0 <= min_length < max_length:
        raise ValueError(
            f"need 1 <= min_length < max_length, got {min_length}, {max_length}"
        )
    if smooth < 0:
        raise ValueError(f"smooth must be >= 0, got {smooth}")
    if not 0.0 <= taper <= 1.0:
        raise ValueError(f"taper must be in [0, 1], got {taper}")
    gray = to_gray(image).astype(np.float32)  # float32 FFTs: half the time
    gray = gray - gray.mean()
    if float(np.ptp(gray)) < _FLAT:  # rounding alone would make a deep "valley"
        psf = linear_psf(min_length, 0.0)
        return PsfEstimate(min_length, 0.0, psf, strength=0.0, echo=0.0)
    grid = _grid(gray.shape, taper, min_length, max_length)
    spectrum = np.abs(fft.rfft2(gray * grid.window, s=grid.shape))
    cepstrum = fft.fftshift(fft.irfft2(np.log(spectrum + 1e-3), s=grid.shape))
    cepstrum *= grid.lifter
    # the blur's valley is several pixels wide; plate texture leaves one-pixel spikes
    if smooth > 0:
        cepstrum = ndimage.gaussian_filter(cepstrum, smooth, mode="wrap")
    mask, yy, xx = grid.mask, grid.yy, grid.xx
    index = int(np.argmin(np.where(mask, cepstrum, np.inf)))
    row, col = np.unravel_index(index, cepstrum.shape)
    dy = yy[row, col] + _vertex(cepstrum[row - 1 : row + 2, col])
    dx = xx[row, col] + _vertex(cepstrum[row, col - 1 : col + 2])
    length = min(max(math.hypot(dx, dy), min_length), max_length)
    angle = math.degrees(math.atan2(-dy, dx)) % 180.0
    angle = 0.0 if angle >= 180.0 else angle  # -1e-15 % 180 == 180.0
    searched = cepstrum[mask]
    centre = np.array(cepstrum.shape) // 2
    echo = ndimage.map_coordinates(
        cepstrum,
        [[centre[0] + 2 * dy], [centre[1] + 2 * dx]],
        order=1,
        mode="grid-wrap",
    )
    strength, echo_depth = _depths(searched, float(cepstrum[row, col]), float(echo[0]))
    return PsfEstimate(
        length=length,
        angle=angle,
        psf=linear_psf(length, angle),
        strength=strength,
        echo=echo_depth,
    )


@dataclass(frozen=True)
class _Grid:
    """What :func:`estimate_linear_psf` computes from the image size alone."""

    shape: tuple[int, int]  # zero-padded FFT size
    window: np.ndarray  # Tukey window of the image's size
    lifter: np.ndarray  # 1 - exp(-(r / _LIFTER)^2) on the centred cepstrum
    mask: np.ndarray  # searched half-plane annulus min_length <= r <= max_length
    yy: np.ndarray  # offsets from the centre (rows)
    xx: np.ndarray  # offsets from the centre (columns)


@functools.lru_cache(maxsize=16)
def _grid(
    size: tuple[int, ...], taper: float, min_length: float, max_length: float
) -> _Grid:
    """The window, lifter and search mask for images of `size` (cached: a folder of
    plates or a frame's tiles repeat a few sizes, and these cost a third of a call)."""
    window = np.outer(*(tukey(n, taper) for n in size)).astype(np.float32)
    # zero-pad past the longest blur so the cepstral peak does not wrap around
    shape = tuple(
        fft.next_fast_len(max(_MIN_FFT, n + int(math.ceil(max_length)) + 1), real=True)
        for n in size
    )
    yy, xx = np.indices(shape)
    yy -= shape[0] // 2
    xx -= shape[1] // 2
    radius = np.hypot(xx, yy)
    half_plane = (yy > 0) | ((yy == 0) & (xx > 0))
    mask = (radius >= min_length) & (radius <= max_length) & half_plane
    lifter = 1.0 - np.exp(-((radius / _LIFTER) ** 2))
    for array in (window, lifter, mask, yy, xx):
        array.flags.writeable = False
    return _Grid((shape[0], shape[1]), window, lifter, mask, yy, xx)


def tukey(size: int, alpha: float) -> NDArray[np.float64]:
    """The symmetric Tukey (tapered cosine) window, as ``scipy.signal.windows.tukey``.

    Written out here because importing ``scipy.signal`` imports ``scipy.stats`` and
    took about a second, in every process that restores a plate.

    Parameters
    ----------
    size : int
        Number of samples (at least 1).
    alpha : float
        Fraction of the window inside the cosine tapers, in [0, 1] (0: rectangular,
        1: Hann).

    Examples
    --------
    >>> tukey(5, 1.0).round(3).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    if size <= 1 or alpha <= 0:
        return np.ones(max(size, 0))
    position = np.arange(size) / (size - 1)  # 0 .. 1
    window = np.ones(size)
    edge = np.minimum(position, 1.0 - position)  # distance to the nearer end
    taper = edge < alpha / 2
    window[taper] = 0.5 * (1 - np.cos(2 * np.pi * edge[taper] / alpha))
    return window


def _depths(searched: np.ndarray, *valleys: float) -> tuple[float, ...]:
    """Depth of each valley below the median of `searched`, in robust standard deviations."""
    median = float(np.median(searched))
    spread = 1.4826 * float(np.median(np.abs(searched - median)))
    return tuple((median - v) / spread if spread > 0 else 0.0 for v in valleys)


def _vertex(values: np.ndarray) -> float:
    """Offset in [-0.5, 0.5] of the minimum of the parabola through three samples."""
    if values.size != 3:  # the peak sits on the edge of the grid
        return 0.0
    left, centre, right = (float(v) for v in values)
    curvature = left - 2.0 * centre + right
    if curvature <= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))
