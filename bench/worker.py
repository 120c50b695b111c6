"""A bench worker's state: the OCR engines and models it builds once per process.

A worker (the main process for an in-process run, a pool process, or a Dask worker)
builds a :class:`WorkerState` from :class:`WorkerSettings` once: the OCR engines and
the blind candidates, which are slow to build. :func:`bench.chunk.run_chunk` then uses
it for every chunk of samples the worker runs.

A pool or Dask worker keeps its state in this module: :func:`init_worker` (the pool's
initializer) builds it, :func:`current_worker` returns it, :func:`worker_for` builds it
only when the settings changed, and :func:`reset_worker` forgets it. An explicit
object, not a bare dict: nothing else lives here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import CandidateConfig, SuiteConfig
from bench.ocr import OcrEngine, get_ocr
from bench.samples import Sample
from deblur.registry import deblurrer_info, get_deblurrer
from deblur.types import Deblurrer

__all__ = [
    "MODEL_LOADER",
    "WorkerSettings",
    "WorkerState",
    "current_worker",
    "init_worker",
    "reset_worker",
    "worker_for",
]

MODEL_LOADER = "model"
"""Registry name used to load a ``.keras``/``.onnx``/``.tflite`` candidate: ``get_deblurrer(
MODEL_LOADER, path=...)``."""


@dataclass(frozen=True, kw_only=True)
class WorkerSettings:
    """What a worker is built with.

    Parameters
    ----------
    suite : SuiteConfig
        The effective suite the worker runs.
    examples_dir : Path or None
        Where example images go; None writes none.
    examples : int
        Example images are written for samples ``0 .. examples - 1``.
    model_threads : int
        ``threads`` passed to threaded candidates (0: the library's default).
    """

    suite: SuiteConfig
    examples_dir: Path | None = None
    examples: int = 0
    model_threads: int = 0

    def __post_init__(self) -> None:
        if self.examples < 0:
            raise ValueError(f"examples must be >= 0, got {self.examples}")
        if self.model_threads < 0:
            raise ValueError(f"model_threads must be >= 0, got {self.model_threads}")


@dataclass(kw_only=True)
class WorkerState:
    """The per-process cache of one worker: OCR engines and blind deblurrers.

    Parameters
    ----------
    settings : WorkerSettings
        What the state was built for.
    ocr : dict
        Engine name -> engine, for every name in ``settings.suite.ocr``.
    """

    settings: WorkerSettings
    ocr: dict[str, OcrEngine]
    _blind: dict[str, Deblurrer] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, settings: WorkerSettings) -> WorkerState:
        """Build the OCR engines of ``settings.suite`` (slow) and return the state."""
        suite = settings.suite
        engines = {name: get_ocr(name, cfg=suite.ocr_settings) for name in suite.ocr}
        return cls(settings=settings, ocr=engines)

    @property
    def suite(self) -> SuiteConfig:
        """The suite this worker runs."""
        return self.settings.suite

    def deblurrer(self, cand: CandidateConfig, sample: Sample) -> Deblurrer:
        """Return `cand`'s deblurrer for `sample`: cached when blind, built with the
        sample's true PSF otherwise.

        Raises
        ------
        ValueError
            If `cand` needs the true PSF and `sample` has none.
        """
        if cand.is_model_file or not deblurrer_info(cand.name).needs_psf:
            if cand.name not in self._blind:
                name = MODEL_LOADER if cand.is_model_file else cand.name
                options: dict[str, Any] = (  # Any: factory keyword arguments
                    {"path": cand.name} if cand.is_model_file else {}
                )
                if deblurrer_info(name).threaded:
                    options["threads"] = self.settings.model_threads
                self._blind[cand.name] = get_deblurrer(name, **options)
            return self._blind[cand.name]
        if sample.psf is None:
            raise ValueError(
                f"candidate {cand.name!r} needs the true PSF; sample has none"
            )
        return get_deblurrer(cand.name, psf=sample.psf)


_current: WorkerState | None = None


def init_worker(settings: WorkerSettings) -> WorkerState:
    """Build this process's worker state (a pool initializer) and return it."""
    global _current
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract: one thread per process
    _current = None
    _current = WorkerState.build(settings)
    return _current


def current_worker() -> WorkerState | None:
    """Return this process's worker state, or None before :func:`init_worker`."""
    return _current


def worker_for(settings: WorkerSettings) -> WorkerState:
    """Return this process's state for `settings`, building it unless it exists.

    A Dask worker runs many tasks, perhaps of different runs: it keeps its engines
    between tasks of one run and builds new ones when the settings change.
    """
    if _current is not None and _current.settings == settings:
        return _current
    return init_worker(settings)


def reset_worker() -> None:
    """Forget this process's worker state (its engines and models)."""
    global _current
    _current = None
