"""Running a chunk in a worker: typed rows by sample, error rows, examples."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from bench.chunk import run_chunk
from bench.config import CandidateConfig, SuiteConfig
from bench.rows import ResultRow
from bench.worker import WorkerSettings, WorkerState

from .conftest import FAILING


def test_run_chunk_returns_typed_rows_by_index(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    cands = (CandidateConfig(name="identity"), CandidateConfig(name=FAILING))
    state = WorkerState.build(WorkerSettings(suite=tiny_suite(candidates=cands)))
    result = run_chunk(state, [3, 1])
    assert [index for index, _ in result] == [1, 3]
    rows = result[0][1]
    assert all(isinstance(row, ResultRow) for row in rows)
    assert [row.method for row in rows] == ["sharp", "blurred", "identity", FAILING]
    failed = rows[-1]
    assert "deliberate failure" in failed.error and math.isnan(failed.exact)
    # FakeOcr reads the mean: identity reads exactly like the blurred image
    assert rows[2].prediction == rows[1].prediction and rows[2].error == ""
    assert state.ocr["tesseract"].calls == 1  # type: ignore[attr-defined]  # one batch


def test_run_chunk_records_a_sample_that_cannot_be_built(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    suite = tiny_suite(kind="blind", count=0, folder=str(tmp_path))
    (tmp_path / "labels.csv").write_text("file,text\nmissing.png,AB12\n")
    state = WorkerState.build(WorkerSettings(suite=suite))
    [(index, rows)] = run_chunk(state, [0])
    assert index == 0 and len(rows) == 1
    assert rows[0].condition == "blurred" and rows[0].error


def test_run_chunk_writes_examples_for_the_first_n(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    settings = WorkerSettings(suite=tiny_suite(), examples_dir=tmp_path, examples=1)
    run_chunk(WorkerState.build(settings), [0, 1])
    assert [p.name for p in tmp_path.iterdir()] == ["tiny-00000"]
    names = sorted(p.name for p in (tmp_path / "tiny-00000").iterdir())
    assert names == ["blurred.png", "identity.png", "sharp.png", "unsharp_mask.png"]
