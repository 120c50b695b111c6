"""A run folder's saved configuration: read it back, check it, size a complete run.

``config.json`` (written by :mod:`bench.runner` at the start of a run) holds the
effective suite (``dataclasses.asdict``), the run settings and ``samples``, the number
of samples a complete run has.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from bench.config import CandidateConfig, SuiteConfig, suite_from_dict

__all__ = ["CONFIG_FILE", "same_suite", "load_run_suite", "expected_rows"]

CONFIG_FILE = "config.json"


def same_suite(old: Any, new: dict[str, Any]) -> bool:  # Any: parsed JSON
    """Whether a saved suite (parsed JSON) equals `new`, reading keys that were added
    to the configuration since it was saved as their defaults."""
    if not isinstance(old, dict):
        return False
    defaults = json.loads(json.dumps(dataclasses.asdict(SuiteConfig(name="_"))))
    candidate_defaults = json.loads(
        json.dumps(dataclasses.asdict(CandidateConfig(name="_")))
    )
    old = {**{k: v for k, v in defaults.items() if k in new}, **old}
    if isinstance(old.get("candidates"), list):
        old["candidates"] = [
            {**candidate_defaults, **c} if isinstance(c, dict) else c
            for c in old["candidates"]
        ]
    return bool(old == new)


def load_run_suite(out_dir: str | os.PathLike[str]) -> tuple[SuiteConfig, int | None]:
    """Return the effective suite saved in a run folder's ``config.json``, and its
    number of samples (None for runs saved before it was recorded).

    Raises
    ------
    FileNotFoundError
        If the folder has no ``config.json``.
    ValueError
        If the file cannot be read as a suite.
    """
    path = Path(out_dir) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"run folder has no {CONFIG_FILE}: {path}")
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        samples = saved.get("samples")
        return suite_from_dict(saved["suite"]), (
            int(samples) if isinstance(samples, int) else None
        )
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"{path}: not a bench run configuration ({err})") from err


def expected_rows(suite: SuiteConfig, samples: int) -> int:
    """Rows a complete run of `samples` samples of `suite` has.

    Per sample and OCR engine: sharp (unless ``blind``), blurred, and each candidate
    whose ``every`` divides the sample index. A sample that could not be built at all
    has one row per engine instead.
    """
    total = samples
    per_engine = total * (1 if suite.kind == "blind" else 2)
    per_engine += sum(len(range(0, total, c.every)) for c in suite.candidates)
    return per_engine * len(suite.ocr)
