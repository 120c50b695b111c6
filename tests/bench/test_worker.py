"""Worker state: engines and models built once per process, kept, reset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import bench.worker
from bench.config import BenchConfig, CandidateConfig, SuiteConfig
from bench.runner import run
from bench.samples import build_sample
from bench.worker import (
    WorkerSettings,
    WorkerState,
    current_worker,
    init_worker,
    reset_worker,
    worker_for,
)

from .conftest import THREADED, FakeOcr


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"examples": -1}, "examples must be >= 0"),
     ({"model_threads": -2}, "model_threads must be >= 0")],
)  # fmt: skip
def test_worker_settings_validation(
    tiny_suite: Callable[..., SuiteConfig], kwargs: dict[str, int], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        WorkerSettings(suite=tiny_suite(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("model_threads", [0, 1])
def test_deblurrer_passes_model_threads_to_threaded_candidates(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], model_threads: int
) -> None:
    suite = tiny_suite(candidates=(CandidateConfig(name=THREADED),))
    state = WorkerState.build(WorkerSettings(suite=suite, model_threads=model_threads))
    sample = build_sample(suite, 0)
    threaded = state.deblurrer(CandidateConfig(name=THREADED), sample)
    assert threaded.threads == model_threads  # type: ignore[attr-defined]
    plain = state.deblurrer(CandidateConfig(name="unsharp_mask"), sample)  # no threads
    assert plain.name == "unsharp_mask"


def test_deblurrer_caches_blind_and_builds_oracle_per_sample(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    suite = tiny_suite()
    state = WorkerState.build(WorkerSettings(suite=suite))
    one, two = build_sample(suite, 0), build_sample(suite, 1)
    blind = CandidateConfig(name="unsharp_mask")
    assert state.deblurrer(blind, one) is state.deblurrer(blind, two)
    oracle = CandidateConfig(name="wiener")
    assert state.deblurrer(oracle, one) is not state.deblurrer(oracle, one)


def test_deblurrer_oracle_without_psf_fails(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    import dataclasses

    suite = tiny_suite()
    state = WorkerState.build(WorkerSettings(suite=suite))
    sample = dataclasses.replace(build_sample(suite, 0), psf=None)
    with pytest.raises(ValueError, match="needs the true PSF"):
        state.deblurrer(CandidateConfig(name="wiener"), sample)


def test_build_makes_one_engine_per_ocr_name(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    state = WorkerState.build(WorkerSettings(suite=tiny_suite(ocr=("tesseract",))))
    assert list(state.ocr) == ["tesseract"]
    assert isinstance(state.ocr["tesseract"], FakeOcr)


def test_process_worker_is_built_once_and_reset(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    assert current_worker() is None
    settings = WorkerSettings(suite=tiny_suite())
    state = init_worker(settings)
    assert current_worker() is state and worker_for(settings) is state
    other = worker_for(WorkerSettings(suite=tiny_suite(seed=9)))
    assert other is not state and current_worker() is other
    reset_worker()
    assert current_worker() is None


def test_an_in_process_run_fills_the_worker_state(
    fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path
) -> None:
    run(tiny_cfg, tmp_path)
    state = bench.worker.current_worker()
    assert state is not None and set(state.ocr) == {"tesseract"}


def test_worker_state_does_not_leak_into_the_next_test() -> None:
    assert bench.worker.current_worker() is None  # the test above left engines
