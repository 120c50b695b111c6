"""Image and text metrics: pure functions, arrays or strings in, ``float`` out.

The bench report uses :func:`psnr` and :func:`ssim` on the BT.601 luminance of RGB
images (:func:`deblur.io.to_gray`), which is what the OCR engines are most sensitive to
and what the default (luminance) model restores. Text metrics take already-normalized
strings (:func:`bench.ocr.normalize_plate_text`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from rapidfuzz.distance import Levenshtein
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from deblur.io import to_gray

__all__ = [
    "psnr",
    "ssim",
    "ssim_rgb",
    "levenshtein",
    "exact_match",
    "char_error_rate",
    "normalized_edit_distance",
    "SSIM_MIN_SIDE",
]

SSIM_MIN_SIDE = 11
"""Smallest image side SSIM accepts: the 11x11 Gaussian window (sigma 1.5)."""


def _check_pair(reference: NDArray[np.floating], test: NDArray[np.floating]) -> None:
    if reference.shape != test.shape:
        raise ValueError(
            f"reference and test shapes differ: {reference.shape} vs {test.shape}"
        )
    if reference.ndim not in (2, 3):
        raise ValueError(f"reference must be 2-D or 3-D, got shape {reference.shape}")


def psnr(
    reference: NDArray[np.floating],
    test: NDArray[np.floating],
    *,
    data_range: float = 1.0,
) -> float:
    """Return the peak signal-to-noise ratio of `test` against `reference`, in dB.

    Computed over all pixels and channels given (in float64, by
    :func:`skimage.metrics.peak_signal_noise_ratio`); pass luminance for the report's
    value.

    Parameters
    ----------
    reference, test : ndarray of float, same shape
        Images in ``[0, data_range]``.
    data_range : float
        Peak value.

    Returns
    -------
    float
        ``10 log10(data_range**2 / MSE)``; ``inf`` for identical images.

    Raises
    ------
    ValueError
        If the shapes differ or `data_range` is not positive.

    References
    ----------
    Wang, Z. & Bovik, A. C., "Mean squared error: love it or leave it?", IEEE Signal
    Processing Magazine 26(1), 2009.

    Examples
    --------
    >>> a = np.zeros((4, 4)); b = np.full((4, 4), 0.1)
    >>> round(psnr(a, b), 6)
    20.0
    """
    _check_pair(reference, test)
    if data_range <= 0:
        raise ValueError(f"data_range must be > 0, got {data_range}")
    with np.errstate(divide="ignore"):  # identical images: MSE 0 gives inf
        value = peak_signal_noise_ratio(
            np.asarray(reference, np.float64),
            np.asarray(test, np.float64),
            data_range=data_range,
        )
    return float(value)


def ssim(
    reference: NDArray[np.floating],
    test: NDArray[np.floating],
    *,
    data_range: float = 1.0,
) -> float:
    """Return the structural similarity of `test` to `reference` on luminance.

    RGB(A) inputs are converted to BT.601 luminance first; this is the value the bench
    report shows. Gaussian-weighted 11x11 windows (sigma 1.5), as in the paper.

    Parameters
    ----------
    reference, test : (H, W) or (H, W, C) ndarray of float, same shape
        Images in ``[0, data_range]``; at least 11 pixels on each side (the Gaussian window).
    data_range : float
        Peak value.

    Returns
    -------
    float
        Mean SSIM in ``[-1, 1]``; 1.0 for identical images.

    Raises
    ------
    ValueError
        If the shapes differ, an image is smaller than 11x11 or `data_range` <= 0.

    References
    ----------
    Wang, Z., Bovik, A. C., Sheikh, H. R. & Simoncelli, E. P., "Image quality
    assessment: from error visibility to structural similarity", IEEE Transactions on
    Image Processing 13(4), 600-612, 2004.

    Examples
    --------
    >>> a = np.linspace(0, 1, 256).reshape(16, 16)
    >>> ssim(a, a)
    1.0
    """
    _check_pair(reference, test)
    ref = to_gray(np.asarray(reference, np.float32))
    tst = to_gray(np.asarray(test, np.float32))
    return _ssim_2d(ref, tst, data_range=data_range, channel_axis=None)


def ssim_rgb(
    reference: NDArray[np.floating],
    test: NDArray[np.floating],
    *,
    data_range: float = 1.0,
) -> float:
    """Return SSIM averaged over the channels of `reference` and `test` (any count).

    Same windows and references as :func:`ssim`; grayscale inputs give the same value.
    """
    _check_pair(reference, test)
    axis = 2 if reference.ndim == 3 else None
    return _ssim_2d(reference, test, data_range=data_range, channel_axis=axis)


def _ssim_2d(
    reference: NDArray[np.floating],
    test: NDArray[np.floating],
    *,
    data_range: float,
    channel_axis: int | None,
) -> float:
    if data_range <= 0:
        raise ValueError(f"data_range must be > 0, got {data_range}")
    if min(reference.shape[:2]) < SSIM_MIN_SIDE:
        raise ValueError(
            f"images must be at least {SSIM_MIN_SIDE}x{SSIM_MIN_SIDE} for SSIM, got {reference.shape}"
        )
    value = structural_similarity(
        np.asarray(reference, np.float64),
        np.asarray(test, np.float64),
        data_range=data_range,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        channel_axis=channel_axis,
    )
    return float(value)


def levenshtein(reference: str, test: str) -> int:
    """Return the edit distance (insertions, deletions, substitutions) of two strings.

    Computed by :func:`rapidfuzz.distance.Levenshtein.distance`.

    References
    ----------
    Levenshtein, V. I., "Binary codes capable of correcting deletions, insertions, and
    reversals", Soviet Physics Doklady 10(8), 707-710, 1966.

    Examples
    --------
    >>> levenshtein("kitten", "sitting")
    3
    """
    return int(Levenshtein.distance(reference, test))


def exact_match(reference: str, test: str) -> float:
    """Return 1.0 when the normalized strings are equal, else 0.0.

    Examples
    --------
    >>> exact_match("AB12CD", "AB12CD"), exact_match("AB12CD", "AB12C0")
    (1.0, 0.0)
    """
    return 1.0 if reference == test else 0.0


def char_error_rate(reference: str, test: str) -> float:
    """Return the character error rate: ``levenshtein(reference, test) / len(reference)``.

    Can exceed 1 when `test` is much longer than `reference`.

    Parameters
    ----------
    reference, test : str
        Normalized label and reading.

    Returns
    -------
    float
        Edits per reference character. The empty reference, where that ratio is
        undefined, is defined as 0.0 when `test` is empty too (nothing to read, nothing
        read) and ``inf`` otherwise (any character read is an error without bound).

    References
    ----------
    Morris, A. C., Maier, V. & Green, P., "From WER and RIL to MER and WIL: improved
    evaluation measures for connected speech recognition", Interspeech 2004.

    Examples
    --------
    >>> char_error_rate("AB12CD", "AB12C")
    0.16666666666666666
    >>> char_error_rate("", ""), char_error_rate("", "A")
    (0.0, inf)
    """
    if not reference:
        return 0.0 if not test else float("inf")
    return levenshtein(reference, test) / len(reference)


def normalized_edit_distance(reference: str, test: str) -> float:
    """Return ``levenshtein(reference, test) / max(len(reference), len(test))``, in [0, 1].

    Two empty strings give 0.0.

    References
    ----------
    Yujian, L. & Bo, L., "A normalized Levenshtein distance metric", IEEE Transactions
    on Pattern Analysis and Machine Intelligence 29(6), 1091-1095, 2007 (the simple
    max-length normalisation discussed there).

    Examples
    --------
    >>> normalized_edit_distance("AB12", "XB12CD")
    0.5
    """
    return float(Levenshtein.normalized_distance(reference, test))
