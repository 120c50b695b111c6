"""Tests for deblur.text: the plate alphabet and text normalisation."""

from __future__ import annotations

import pytest

from deblur.text import PLATE_ALPHABET, normalize_plate_text, normalize_text


def test_plate_alphabet_is_upper_case_letters_then_digits() -> None:
    assert PLATE_ALPHABET == "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ab 12-cd", "AB12CD"), ("  \n", ""), ("ÄB.1|2", "B12"), ("O0o", "O0O")],
)
def test_normalize_plate_text(raw: str, expected: str) -> None:
    assert normalize_plate_text(raw) == expected
    assert normalize_text(raw) == expected


def test_normalize_plate_text_o_equals_zero() -> None:
    assert normalize_plate_text("o0O-1", o_equals_zero=True) == "0001"


def test_bench_uses_the_same_normalisation() -> None:
    import bench.ocr

    assert bench.ocr.normalize_plate_text is normalize_plate_text
