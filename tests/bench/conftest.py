"""Bench fixtures: a fake OCR engine (bookkeeping tests only) and tiny suites."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bench.config import BenchConfig, BlurGrid, CandidateConfig, SuiteConfig
from deblur.registry import available_deblurrers, register_deblurrer
from deblur.types import Image

FAILING = "_test_failing"
THREADED = "_test_threaded"


class FakeOcr:
    """Returns a fixed function of the image's mean; never claims any accuracy."""

    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.calls = 0

    def __call__(self, image: Image) -> str:
        return self.read_batch([image])[0]

    def read_batch(self, images: list[Image]) -> list[str]:
        self.calls += 1
        return [f"M{int(np.mean(image) * 1000):04d}" for image in images]


class _Failing:
    name = FAILING

    def __call__(self, image: Image) -> Image:
        raise RuntimeError("deliberate failure")


if FAILING not in available_deblurrers():

    @register_deblurrer(FAILING, description="Always raises (tests only).")
    def _make_failing() -> _Failing:
        return _Failing()


class _Threaded:
    """Identity that remembers the ``threads`` its factory was given."""

    name = THREADED

    def __init__(self, threads: int) -> None:
        self.threads = threads

    def __call__(self, image: Image) -> Image:
        return image.copy()


if THREADED not in available_deblurrers():

    @register_deblurrer(THREADED, threaded=True, description="Tests only.")
    def _make_threaded(*, threads: int = 0) -> _Threaded:
        return _Threaded(threads)


@pytest.fixture(autouse=True)
def _fresh_runner_state() -> Iterator[None]:
    """Each test starts and ends with no in-process worker state.

    ``bench.worker.init_worker`` keeps this process's ``WorkerState`` (OCR engines,
    deblurrers, the suite) when a run goes in-process (``workers=1``); without this
    a later test would see the engines an earlier one built.
    """
    import bench.worker

    bench.worker.reset_worker()
    yield
    bench.worker.reset_worker()


@pytest.fixture
def fake_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the workers build FakeOcr for every engine name (workers=1 only)."""
    import bench.worker

    monkeypatch.setattr(bench.worker, "get_ocr", lambda name, cfg=None: FakeOcr(name))


def tiny_suite(**changes: object) -> SuiteConfig:
    values: dict[str, object] = {
        "name": "tiny",
        "count": 5,
        "seed": 3,
        "plate_width": 96,
        "blur": BlurGrid(lengths=(3, 5)),
        "candidates": (
            CandidateConfig(name="identity"),
            CandidateConfig(name="unsharp_mask"),
        ),
        "ocr": ("tesseract",),
    }
    values.update(changes)
    return SuiteConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(name="tiny_suite")
def tiny_suite_factory():  # type: ignore[no-untyped-def]
    """Factory of tiny 96-px synthetic suites (5 samples, identity + unsharp_mask)."""
    return tiny_suite


@pytest.fixture
def tiny_cfg() -> BenchConfig:
    return BenchConfig(suite=tiny_suite(), chunk=2)
