"""Run a chunk of samples in a worker: restore, score, read, and build the rows.

Per sample, each OCR engine reads the sharp image (condition ``sharp``), the blurred
image (``blurred``) and every candidate's restored image (``restored``); each engine
reads a whole chunk's images in one batch. :func:`run_chunk` returns the samples'
:class:`~bench.rows.ResultRow` records; a failure (a sample that cannot be built, a
candidate that raises, an unreadable image) becomes a row with an ``error``.

For the first ``examples`` samples the worker writes
``examples/<sample_id>/<method>.png`` (``sharp.png`` when known, ``blurred.png`` and
one image per candidate that ran on it), atomically, before the sample's rows are
returned (a resumed run rewrites them identically); :func:`bench.figures.load_examples`
reads them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import metrics
from bench.config import CandidateConfig, SuiteConfig
from bench.external import ExternalResult, restore_external, safe_name
from bench.ocr import OcrEngine, normalize_plate_text
from bench.reads import read_outcome
from bench.rows import ResultRow
from bench.samples import Sample, build_sample, count_samples, sample_label
from bench.worker import WorkerState
from deblur.io import to_gray, write_image
from deblur.types import Image

__all__ = ["ChunkResult", "run_chunk"]

ChunkResult = list[tuple[int, list[ResultRow]]]
"""What a chunk gives back: ``(sample index, rows)`` per sample, by index."""


@dataclass(frozen=True, kw_only=True)
class _Job:
    """One image to read: what it is, its quality scores and restoration time."""

    condition: str
    method: str
    image: Image | None
    psnr: float = math.nan
    ssim: float = math.nan
    ms: float = 0.0
    error: str = ""


def _error_text(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def _quality(sharp: Image | None, test: Image) -> tuple[float, float]:
    if sharp is None:
        return math.nan, math.nan
    ref, tst = to_gray(sharp), to_gray(test)
    return metrics.psnr(ref, tst), metrics.ssim(ref, tst)


def _box(sample: Sample, image: Image | None) -> Image | None:
    return None if image is None else sample.in_box(image)


def _restore(state: WorkerState, cand: CandidateConfig, sample: Sample) -> _Job:
    try:
        fn = state.deblurrer(cand, sample)
        start = time.perf_counter()
        restored = fn(sample.blurred)
        ms = 1000.0 * (time.perf_counter() - start)
        if restored.shape != sample.blurred.shape:
            raise ValueError(
                f"restored shape {restored.shape} differs from input {sample.blurred.shape}"
            )
        restored = sample.in_box(restored)  # a frame is restored whole, read in its box
        psnr, ssim = _quality(_box(sample, sample.sharp), restored)
        return _Job(condition="restored", method=cand.label, image=restored,
                    psnr=psnr, ssim=ssim, ms=ms)  # fmt: skip
    except Exception as err:  # one failing candidate must not stop the run
        return _Job(condition="restored", method=cand.label, image=None,
                    error=_error_text(err))  # fmt: skip


def _external_jobs(
    suite: SuiteConfig, samples: list[Sample]
) -> dict[tuple[str, int], _Job]:
    """Restore a chunk with every cmd:/dir: candidate (one command run per batch)."""
    jobs: dict[tuple[str, int], _Job] = {}
    for cand in suite.candidates:
        if not cand.is_external:
            continue
        batch = [s for s in samples if s.index % cand.every == 0]
        by_index = {s.index: s for s in batch}
        try:
            results = restore_external(cand, batch)
        except Exception as err:  # e.g. no space for the temp folder
            results = {
                s.index: ExternalResult(image=None, error=_error_text(err))
                for s in batch
            }
        for index, result in results.items():
            psnr = ssim = math.nan
            image = _box(by_index[index], result.image)  # a frame is read in its box
            if image is not None:
                sharp = _box(by_index[index], by_index[index].sharp)
                psnr, ssim = _quality(sharp, image)
            jobs[cand.label, index] = _Job(
                condition="restored", method=cand.label, image=image,
                psnr=psnr, ssim=ssim, ms=result.ms, error=result.error,
            )  # fmt: skip
    return jobs


def _jobs(
    state: WorkerState, sample: Sample, external: dict[tuple[str, int], _Job]
) -> list[_Job]:
    jobs: list[_Job] = []
    sharp, blurred = _box(sample, sample.sharp), sample.in_box(sample.blurred)
    if sharp is not None:
        psnr, ssim = _quality(sharp, sharp)
        jobs.append(_Job(condition="sharp", method="sharp", image=sharp,
                         psnr=psnr, ssim=ssim))  # fmt: skip
    psnr, ssim = _quality(sharp, blurred)
    jobs.append(_Job(condition="blurred", method="blurred", image=blurred,
                     psnr=psnr, ssim=ssim))  # fmt: skip
    for cand in state.suite.candidates:
        if sample.index % cand.every == 0:
            if cand.is_external:
                jobs.append(external[cand.label, sample.index])
            else:
                jobs.append(_restore(state, cand, sample))
    return jobs


def _save_examples(state: WorkerState, sample: Sample, jobs: list[_Job]) -> None:
    """Write the images of `sample` if it is one of the first N (atomic writes)."""
    folder, count = state.settings.examples_dir, state.settings.examples
    if folder is None or sample.index >= count:
        return
    target = Path(folder) / safe_name(sample.sample_id)
    target.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        if job.image is not None:
            write_image(target / f"{safe_name(job.method)}.png", job.image)


def _read(engine: OcrEngine, images: list[Image]) -> list[str | BaseException]:
    """Read `images` in one batch; on failure, one by one to isolate the bad one."""
    try:
        return list(engine.read_batch(images))
    except Exception:  # retried per image below, errors recorded per row
        out: list[str | BaseException] = []
        for image in images:
            try:
                out.append(engine(image))
            except Exception as err:  # recorded in the row's error column
                out.append(err)
        return out


def _row(suite: SuiteConfig, sample: Sample, job: _Job, ocr: str,
         prediction: str | BaseException | None) -> ResultRow:  # fmt: skip
    error = job.error
    if isinstance(prediction, BaseException):
        error, prediction = _error_text(prediction), None
    exact = cer = ned = math.nan
    outcome = ""
    if prediction is not None and not error:
        zero = suite.o_equals_zero
        label = normalize_plate_text(sample.text, o_equals_zero=zero)
        read = normalize_plate_text(prediction, o_equals_zero=zero)
        exact = metrics.exact_match(label, read)
        outcome = read_outcome(label, read, o_equals_zero=zero)
        cer = metrics.char_error_rate(label, read)
        ned = metrics.normalized_edit_distance(label, read)
    return ResultRow(
        suite=suite.name, sample_id=sample.sample_id, seed=sample.seed,
        source=sample.source,
        style=sample.style, text=sample.text, blur_kind=str(sample.blur["kind"]),
        blur_length=float(sample.blur["length"]), blur_angle=float(sample.blur["angle"]),
        noise=float(sample.blur["noise"]), condition=job.condition, method=job.method,
        ocr=ocr, prediction=(prediction or "").strip(), exact=exact, outcome=outcome,
        cer=cer, ned=ned,
        psnr=job.psnr, ssim=job.ssim, ms=job.ms, error=error,
    )  # fmt: skip


def _failed_sample(
    suite: SuiteConfig, index: int, err: BaseException
) -> list[ResultRow]:
    seed = suite.seed
    try:
        sample_id, text = sample_label(suite, index)
        per_draw = count_samples(suite) // len(suite.draw_seeds)
        seed = suite.draw_seeds[index // per_draw]
    except Exception:  # the labels themselves failed; keep the index
        sample_id, text = f"{suite.name}-{index:05d}", ""
    sample = Sample(index=index, sample_id=sample_id, text=text, style="",
                    source="", sharp=None, blurred=np.zeros((1, 1), np.float32), psf=None,
                    blur={"kind": "", "length": math.nan, "angle": math.nan,
                          "noise": math.nan}, seed=seed)  # fmt: skip
    job = _Job(
        condition="blurred", method="blurred", image=None, error=_error_text(err)
    )
    return [_row(suite, sample, job, ocr, None) for ocr in suite.ocr]


def _plan(
    state: WorkerState, indices: Sequence[int]
) -> tuple[list[tuple[Sample, list[_Job]]], dict[int, list[ResultRow]]]:
    """Build and restore the samples of a chunk (writing examples); failed samples'
    rows come back separately."""
    suite = state.suite
    samples: list[Sample] = []
    failed: dict[int, list[ResultRow]] = {}
    for index in indices:
        try:
            samples.append(build_sample(suite, index))
        except Exception as err:  # recorded, the run goes on
            failed[index] = _failed_sample(suite, index, err)
    external = _external_jobs(suite, samples)
    planned: list[tuple[Sample, list[_Job]]] = []
    for sample in samples:
        jobs = _jobs(state, sample, external)
        _save_examples(state, sample, jobs)
        planned.append((sample, jobs))
    return planned, failed


def run_chunk(state: WorkerState, indices: Sequence[int]) -> ChunkResult:
    """Run samples `indices` with `state`; return ``(index, rows)`` per sample.

    A sample that cannot be built, a candidate that raises and an image an engine
    cannot read become rows with an ``error``; nothing here stops the chunk.
    """
    planned, failed = _plan(state, indices)
    readable = [
        job.image for _, jobs in planned for job in jobs if job.image is not None
    ]
    reads = {name: iter(_read(engine, readable)) for name, engine in state.ocr.items()}
    out: dict[int, list[ResultRow]] = dict(failed)
    for sample, jobs in planned:
        rows = []
        for job in jobs:
            for name in state.suite.ocr:
                prediction = next(reads[name]) if job.image is not None else None
                rows.append(_row(state.suite, sample, job, name, prediction))
        out[sample.index] = rows
    return sorted(out.items())
