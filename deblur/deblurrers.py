"""Registered deblurring methods (filled in by the baselines and model work)."""

from __future__ import annotations

__all__: list[str] = []
