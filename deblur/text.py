"""Plate text: the alphabet plates are written in and how text is normalised.

Both packages use this one module: the CRNN reader (:mod:`deblur.reader`) encodes
labels over :data:`PLATE_ALPHABET`, and the bench (:mod:`bench.ocr`) compares
:func:`normalize_plate_text` of label and OCR reading.
"""

from __future__ import annotations

import re

__all__ = ["PLATE_ALPHABET", "normalize_text", "normalize_plate_text"]

PLATE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
"""Characters of a normalised plate text (also the reader's output classes)."""

_NOT_PLATE = re.compile(r"[^A-Z0-9]")


def normalize_text(text: str) -> str:
    """Upper-case `text` and keep only :data:`PLATE_ALPHABET` characters.

    Examples
    --------
    >>> normalize_text(" ab-12 cd\\n")
    'AB12CD'
    """
    return _NOT_PLATE.sub("", text.upper())


def normalize_plate_text(text: str, *, o_equals_zero: bool = False) -> str:
    """Return `text` upper-cased with everything but A-Z and 0-9 removed.

    Parameters
    ----------
    text : str
        Raw label or OCR output.
    o_equals_zero : bool
        Also map the letter O to the digit 0 (for plate series that never use O,
        such as the US labels).

    Returns
    -------
    str

    Examples
    --------
    >>> normalize_plate_text(" ab-12 cd\\n")
    'AB12CD'
    >>> normalize_plate_text("OO7 o", o_equals_zero=True)
    '0070'
    """
    cleaned = normalize_text(text)
    return cleaned.replace("O", "0") if o_equals_zero else cleaned
