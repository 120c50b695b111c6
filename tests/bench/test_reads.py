"""Tests for bench.reads: exact, plate-shaped wrong read (misread), unread."""

from __future__ import annotations

import pytest

from bench.reads import OUTCOMES, is_plate_shaped, plate_pattern, read_outcome


@pytest.mark.parametrize(
    ("label", "read", "zero", "outcome"),
    [
        ("AB12CDE", "AB12CDE", False, "exact"),
        ("AB12CDE", "AB12CDF", False, "misread"),  # another valid-looking plate
        ("AB12CDE", "XY98ZZZ", False, "misread"),
        ("AB12CDE", "", False, "unread"),  # no read
        ("AB12CDE", "AB12CD", False, "unread"),  # partial: too short
        ("AB12CDE", "AB12CDEE", False, "unread"),  # too long
        ("AB12CDE", "AB12C0E", False, "unread"),  # digit where a letter belongs
        ("7ABC123", "7A8C123", False, "unread"),
        ("7A0C123", "7A0C128", True, "misread"),  # strings come normalized (O as 0)
        ("7AB0123", "7AB0124", True, "misread"),
        ("AB0", "A00", True, "misread"),  # 0 may stand for the letter O
    ],
)
def test_read_outcome(label: str, read: str, zero: bool, outcome: str) -> None:
    assert read_outcome(label, read, o_equals_zero=zero) == outcome
    assert outcome in OUTCOMES


def test_plate_pattern_and_shape() -> None:
    assert plate_pattern("AB12 C-") == "LLDD.L."
    assert plate_pattern("A0", o_equals_zero=True) == "L?"
    assert is_plate_shaped("AB12", "CD34")
    assert not is_plate_shaped("", "")  # an empty label has no shape
