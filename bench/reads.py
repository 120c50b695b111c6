"""Classify a plate reading: exact, plate-shaped wrong read (misread) or unread.

An unreadable result and a confident wrong plate are different failures: the first
sends the plate to a human, the second (a *misread*) can fine the wrong driver. A
reading is *plate-shaped* when it could pass a plate-format check: it has the label's
length and a letter wherever the label has a letter, a digit wherever it has a digit.
"""

from __future__ import annotations

__all__ = ["OUTCOMES", "plate_pattern", "is_plate_shaped", "read_outcome"]

OUTCOMES = ("exact", "misread", "unread")
"""``exact``: the plate; ``misread``: a plate-shaped wrong read; ``unread``: no read
or a partial one (wrong length or wrong letter/digit pattern)."""


def plate_pattern(text: str, *, o_equals_zero: bool = False) -> str:
    """Return the letter/digit pattern of a normalized plate string.

    ``L`` for a letter, ``D`` for a digit, ``?`` for a character that may be either
    (the digit 0 when `o_equals_zero`, since O and 0 are then one symbol) and ``.``
    for anything else.

    Examples
    --------
    >>> plate_pattern("AB12CDE")
    'LLDDLLL'
    >>> plate_pattern("7A08", o_equals_zero=True)
    'DL?D'
    """
    out = []
    for char in text:
        if o_equals_zero and char == "0":
            out.append("?")
        elif char.isdigit():
            out.append("D")
        elif char.isalpha():
            out.append("L")
        else:
            out.append(".")
    return "".join(out)


def is_plate_shaped(label: str, read: str, *, o_equals_zero: bool = False) -> bool:
    """Whether `read` has the length and letter/digit pattern of `label`.

    Both strings are already normalized (:func:`bench.ocr.normalize_plate_text`).
    An empty label has no shape: nothing is plate-shaped then.

    Examples
    --------
    >>> is_plate_shaped("AB12CDE", "AB12CDF")
    True
    >>> is_plate_shaped("AB12CDE", "AB12C0E")
    False
    >>> is_plate_shaped("AB12CDE", "AB12CD")
    False
    """
    if not label or len(read) != len(label):
        return False
    want = plate_pattern(label, o_equals_zero=o_equals_zero)
    got = plate_pattern(read, o_equals_zero=o_equals_zero)
    return all(w == g or "?" in (w, g) for w, g in zip(want, got, strict=True))


def read_outcome(label: str, read: str, *, o_equals_zero: bool = False) -> str:
    """Return the outcome of one reading: one of :data:`OUTCOMES`.

    Parameters
    ----------
    label, read : str
        Normalized label and OCR reading.
    o_equals_zero : bool
        O and 0 are one symbol (as in the normalization of both strings).

    Examples
    --------
    >>> read_outcome("AB12CDE", "AB12CDE"), read_outcome("AB12CDE", "AB13CDE")
    ('exact', 'misread')
    >>> read_outcome("AB12CDE", ""), read_outcome("AB12CDE", "B12CDE")
    ('unread', 'unread')
    """
    if read == label:
        return "exact"
    if is_plate_shaped(label, read, o_equals_zero=o_equals_zero):
        return "misread"
    return "unread"
