"""bench.rundir: reading a run folder's config.json back, sizing a complete run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bench.config import BlurGrid, CandidateConfig, SuiteConfig
from bench.rundir import expected_rows, load_run_suite, same_suite


def _suite(**changes: object) -> SuiteConfig:
    cands = (CandidateConfig(name="identity"), CandidateConfig(name="plain15", every=4))
    values: dict[str, object] = {"name": "s", "count": 10, "candidates": cands,
                                 "blur": BlurGrid(lengths=(3,)), "ocr": ("ppocr",)}  # fmt: skip
    values.update(changes)
    return SuiteConfig(**values)  # type: ignore[arg-type]


def test_expected_rows_counts_every_and_engines() -> None:
    # per engine: 10 x (sharp + blurred + identity) + plain15 on samples 0, 4, 8
    assert expected_rows(_suite(), 10) == 33
    assert expected_rows(_suite(ocr=("ppocr", "tesseract")), 10) == 66
    # a blind suite has no sharp image
    assert expected_rows(_suite(kind="blind", count=0, folder="x"), 10) == 23


def test_load_run_suite_round_trip_and_errors(tmp_path: Path) -> None:
    suite = _suite(seeds=(5, 2), seed=5, repeats=2)
    data = {"suite": dataclasses.asdict(suite), "samples": 20}
    (tmp_path / "config.json").write_text(json.dumps(data))
    assert load_run_suite(tmp_path) == (suite, 20)
    del data["samples"]
    (tmp_path / "config.json").write_text(json.dumps(data))
    assert load_run_suite(tmp_path) == (suite, None)  # saved before it was recorded
    (tmp_path / "config.json").write_text('{"suite": {"name": "s", "count": -1}}')
    with pytest.raises(ValueError, match="not a bench run configuration"):
        load_run_suite(tmp_path)
    with pytest.raises(FileNotFoundError, match="no config.json"):
        load_run_suite(tmp_path / "missing")


def test_same_suite_fills_new_keys_with_defaults() -> None:
    new = json.loads(json.dumps(dataclasses.asdict(_suite())))
    old = {k: v for k, v in new.items() if k not in ("repeats", "seeds")}
    assert same_suite(old, new)
    assert not same_suite({**old, "count": 11}, new)
    assert not same_suite(None, new)
