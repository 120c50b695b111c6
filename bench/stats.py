"""Statistics for bench results: intervals for rates, paired tests, ratio intervals.

Pure functions on counts and 0/1 arrays: no pandas, no I/O, no global state. The
frame-level use (which rows are paired, which baseline is best) lives in
:mod:`bench.aggregate` and :mod:`bench.compare`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as _scipy_stats

__all__ = [
    "SIGNIFICANCE",
    "wilson_interval",
    "discordant_pairs",
    "mcnemar_exact",
    "verdict",
    "gap_interval",
]

SIGNIFICANCE = 0.05
"""Two-sided level below which a paired difference is called real (not a tie)."""


def wilson_interval(
    successes: int, n: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Return the Wilson score interval of a binomial proportion.

    Parameters
    ----------
    successes : int
        Number of successes, in ``[0, n]``.
    n : int
        Number of trials; ``n = 0`` gives ``(nan, nan)``.
    confidence : float
        Coverage of the interval, in (0, 1).

    Returns
    -------
    low, high : float
        Bounds in [0, 1]. Unlike the normal (Wald) interval it never leaves [0, 1]
        and is not empty at 0 or n successes.

    Raises
    ------
    ValueError
        If `n` < 0, `successes` is outside ``[0, n]`` or `confidence` outside (0, 1).

    References
    ----------
    .. [1] E. B. Wilson, "Probable inference, the law of succession, and statistical
       inference", J. Am. Stat. Assoc. 22 (1927) 209-212.
    .. [2] R. G. Newcombe, "Two-sided confidence intervals for the single proportion:
       comparison of seven methods", Stat. Med. 17 (1998) 857-872 (method 3).

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, n={n}], got {successes}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n == 0:
        return math.nan, math.nan
    z = float(_scipy_stats.norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def discordant_pairs(first: ArrayLike, second: ArrayLike) -> tuple[int, int]:
    """Count the pairs where only `first` succeeds and where only `second` does.

    Parameters
    ----------
    first, second : (n,) array-like of bool or 0/1
        Outcomes of two methods on the same n samples, in the same order.

    Returns
    -------
    only_first, only_second : int

    Raises
    ------
    ValueError
        If the two arrays differ in length or are not 1-D.
    """
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(
            f"first and second must be 1-D of one length, got {a.shape} vs {b.shape}"
        )
    a_ok, b_ok = a > 0.5, b > 0.5
    return int(np.sum(a_ok & ~b_ok)), int(np.sum(b_ok & ~a_ok))


def mcnemar_exact(only_first: int, only_second: int) -> float:
    """Return the two-sided exact McNemar p-value of two paired success rates.

    Only discordant pairs carry information: under the null hypothesis (both methods
    equally good) each is equally likely to favour either method, so the count
    favouring `first` is Binomial(``only_first + only_second``, 1/2).

    Parameters
    ----------
    only_first, only_second : int
        Pairs where only the first (only the second) method succeeded; see
        :func:`discordant_pairs`.

    Returns
    -------
    p : float
        Two-sided p-value in (0, 1]; 1.0 when there is no discordant pair.

    Raises
    ------
    ValueError
        If a count is negative.

    References
    ----------
    .. [1] Q. McNemar, "Note on the sampling error of the difference between
       correlated proportions or percentages", Psychometrika 12 (1947) 153-157.
    .. [2] M. W. Fagerland, S. Lydersen, P. Laake, "The McNemar test for binary
       matched-pairs data: mid-p and asymptotic are better than exact conditional",
       BMC Med. Res. Methodol. 13 (2013) 91 (the exact conditional test used here).

    Examples
    --------
    >>> round(mcnemar_exact(0, 6), 5)
    0.03125
    """
    if only_first < 0 or only_second < 0:
        raise ValueError(
            f"discordant counts must be >= 0, got {only_first} and {only_second}"
        )
    total = only_first + only_second
    if total == 0:
        return 1.0
    return float(_scipy_stats.binomtest(only_first, total, 0.5).pvalue)


def verdict(p_value: float, difference: float) -> str:
    """Name the outcome of a paired test: ``better``, ``worse`` or ``tie``.

    ``tie`` when ``p_value >= SIGNIFICANCE`` (or NaN); otherwise the sign of
    `difference` (first minus second) decides.
    """
    if not p_value < SIGNIFICANCE:
        return "tie"
    return "better" if difference > 0 else "worse"


def gap_interval(
    sharp: ArrayLike,
    blurred: ArrayLike,
    restored: ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    rng: np.random.Generator | int | None = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the gap closed, resampling samples.

    The gap closed is ``(mean(restored) - mean(blurred)) / (mean(sharp) -
    mean(blurred))``. The three arrays hold one value per sample (e.g. 0/1 exact
    matches) on the same samples, so each bootstrap draw resamples whole samples and
    keeps the pairing. Draws whose denominator is 0 are left out.

    Parameters
    ----------
    sharp, blurred, restored : (n,) array-like of float
        Per-sample scores of the ceiling, the floor and the candidate.
    confidence : float
        Coverage, in (0, 1).
    resamples : int
        Bootstrap draws, >= 100.
    rng : Generator, int or None
        Seed of the draws; the default 0 makes reports reproducible.

    Returns
    -------
    low, high : float
        NaN when fewer than half the draws have a non-zero denominator or n = 0.

    Raises
    ------
    ValueError
        If the arrays differ in shape or are not 1-D, or an option is out of range.

    References
    ----------
    .. [1] B. Efron, R. J. Tibshirani, "An Introduction to the Bootstrap", Chapman &
       Hall (1993), ch. 13 (percentile interval).
    """
    arrays = [np.asarray(a, dtype=float) for a in (sharp, blurred, restored)]
    if arrays[0].ndim != 1 or any(a.shape != arrays[0].shape for a in arrays):
        raise ValueError(
            "sharp, blurred and restored must be 1-D of one length, got "
            f"{[a.shape for a in arrays]}"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 100:
        raise ValueError(f"resamples must be >= 100, got {resamples}")
    n = arrays[0].size
    if n == 0:
        return math.nan, math.nan
    generator = np.random.default_rng(rng)
    picks = generator.integers(0, n, size=(resamples, n))
    means: list[NDArray[np.float64]] = [a[picks].mean(axis=1) for a in arrays]
    span = means[0] - means[1]
    valid = span != 0
    if valid.sum() < resamples / 2:
        return math.nan, math.nan
    gaps = (means[2][valid] - means[1][valid]) / span[valid]
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(gaps, [tail, 100 - tail])
    return float(low), float(high)
