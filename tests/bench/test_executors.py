"""Executors: chunking, in-process and spawn-pool runs give the same rows.

The Dask executor is tested in ``test_dask.py`` (skipped without the dask extra).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.chunk import ChunkResult
from bench.config import BenchConfig, CandidateConfig, SuiteConfig
from bench.executors import _pool_chunk, chunked, execute, run_local, run_pool
from bench.rows import ResultRow
from bench.worker import WorkerSettings, current_worker


def test_chunked_known_answer() -> None:
    assert chunked([0, 1, 2, 3, 4], 2) == [[0, 1], [2, 3], [4]]
    assert chunked([5, 7], 3) == [[5, 7]]
    assert chunked([], 4) == []


def test_chunked_rejects_empty_chunks() -> None:
    with pytest.raises(ValueError, match="size must be >= 1, got 0"):
        chunked([1], 0)


def _rows(results: list[ChunkResult]) -> dict[int, list[ResultRow]]:
    return {index: rows for result in results for index, rows in result}


def _stable(rows: dict[int, list[ResultRow]]) -> dict[int, list[ResultRow]]:
    return {i: [dataclasses.replace(r, ms=0.0) for r in rows[i]] for i in rows}


def test_run_local_builds_the_state_once_and_runs_in_order(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    settings = WorkerSettings(suite=tiny_suite())
    results = list(run_local(settings, [[0, 1], [2]]))
    assert [[i for i, _ in r] for r in results] == [[0, 1], [2]]
    state = current_worker()
    assert state is not None and state.settings == settings


def test_pool_equals_local_with_real_tesseract(
    tesseract_binary: str, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    suite = tiny_suite(count=3, candidates=(CandidateConfig(name="identity"),))
    settings = WorkerSettings(suite=suite)
    chunks = [[0], [1, 2]]
    local = _rows(list(run_local(settings, chunks)))
    pooled = _rows(list(run_pool(settings, chunks, workers=2)))
    assert sorted(pooled) == [0, 1, 2]
    assert _stable(pooled) == _stable(local)


def test_execute_runs_one_worker_in_process(
    fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path
) -> None:
    cfg = dataclasses.replace(tiny_cfg, workers=1, chunk=2, examples=0)
    results = list(execute(cfg, [4, 0, 2], tmp_path))
    assert [[i for i, _ in r] for r in results] == [[0, 4], [2]]
    state = current_worker()  # in this process, one model thread per core
    assert state is not None and state.settings.model_threads == 0


def test_pool_chunk_needs_the_worker_initializer() -> None:
    with pytest.raises(ValueError, match="init_worker"):
        _pool_chunk([0])
