"""Known-answer tests for bench.stats (published values, hand-computed binomials)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.stats import (
    discordant_pairs,
    gap_interval,
    mcnemar_exact,
    verdict,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # 0/10, 10/10, 5/10: Wilson (1927) at 95%
        (10, 10, 0.7225, 1.0),
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Table I, method 3
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_published_values(
    successes: int, n: int, low: float, high: float
) -> None:
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_wider_at_higher_confidence_and_nan_for_no_trials() -> None:
    low95, high95 = wilson_interval(7, 12)
    low99, high99 = wilson_interval(7, 12, confidence=0.99)
    assert low99 < low95 < 7 / 12 < high95 < high99
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((1, -1), {}, "n must be >= 0"),
        ((11, 10), {}, "successes must be in"),
        ((-1, 10), {}, "successes must be in"),
        ((1, 10), {"confidence": 1.0}, "confidence"),
    ],
)
def test_wilson_interval_rejects(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        wilson_interval(*args, **kwargs)


@pytest.mark.parametrize(
    ("only_first", "only_second", "p"),
    [
        (0, 6, 2 * 0.5**6),  # all six discordant pairs one way
        (1, 9, 2 * (1 + 10) / 2**10),  # P(X <= 1) + P(X >= 9), X ~ Bin(10, 1/2)
        (3, 3, 1.0),
        (0, 0, 1.0),  # no discordant pair: no evidence
        (2, 12, 2 * (1 + 14 + 91) / 2**14),
    ],
)
def test_mcnemar_exact_known_answers(
    only_first: int, only_second: int, p: float
) -> None:
    assert mcnemar_exact(only_first, only_second) == pytest.approx(p, rel=1e-12)
    assert mcnemar_exact(only_second, only_first) == pytest.approx(p, rel=1e-12)


def test_mcnemar_exact_rejects_negative() -> None:
    with pytest.raises(ValueError, match="discordant counts"):
        mcnemar_exact(-1, 3)


def test_discordant_pairs_counts_and_validates() -> None:
    first = [1, 1, 0, 0, 1, True]
    second = [1, 0, 1, 0, 0, False]
    assert discordant_pairs(first, second) == (3, 1)
    with pytest.raises(ValueError, match="one length"):
        discordant_pairs([1, 0], [1])


def test_issue4_tie_142_vs_142() -> None:
    # 142 vs 142 of 144: whatever the pairing, equal discordant counts are a tie.
    assert verdict(mcnemar_exact(2, 2), 0.0) == "tie"
    assert verdict(mcnemar_exact(0, 8), -8 / 144) == "worse"
    assert verdict(mcnemar_exact(8, 0), 8 / 144) == "better"
    assert verdict(float("nan"), 1.0) == "tie"


def test_gap_interval_brackets_the_estimate_and_is_reproducible() -> None:
    rng = np.random.default_rng(1)
    sharp = np.ones(60)
    blurred = (rng.random(60) < 0.2).astype(float)
    restored = np.maximum(blurred, rng.random(60) < 0.6)
    gap = (restored.mean() - blurred.mean()) / (sharp.mean() - blurred.mean())
    low, high = gap_interval(sharp, blurred, restored)
    assert low < gap < high and high - low < 0.6
    assert gap_interval(sharp, blurred, restored) == (low, high)


def test_gap_interval_above_one_when_candidate_beats_sharp() -> None:
    sharp = np.array([1, 1, 1, 0, 0, 1, 1, 0] * 5, dtype=float)
    blurred = np.zeros(40)
    restored = np.ones(40)
    low, high = gap_interval(sharp, blurred, restored)
    assert low > 1.0  # restored reads every plate, sharp only 5 in 8


def test_gap_interval_nan_without_gap_and_rejects_bad_input() -> None:
    assert all(math.isnan(v) for v in gap_interval([1, 1], [1, 1], [0, 1]))
    assert all(math.isnan(v) for v in gap_interval([], [], []))
    with pytest.raises(ValueError, match="one length"):
        gap_interval([1, 0], [0], [1, 1])
    with pytest.raises(ValueError, match="resamples"):
        gap_interval([1], [0], [1], resamples=10)
    with pytest.raises(ValueError, match="confidence"):
        gap_interval([1], [0], [1], confidence=0)
