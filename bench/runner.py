"""Run a benchmark: restore every sample with every candidate and read it with OCR.

Per sample, each OCR engine reads the sharp image (the ceiling, condition ``sharp``),
the blurred image (the floor, condition ``blurred``) and every candidate's restored
image (condition ``restored``). Work is split into chunks of samples run in worker
processes (spawned; OCR engines and blind candidates are built once per worker), and
each engine reads a whole chunk's images in one batch. With ``BenchConfig.scheduler``
the chunks run on a Dask distributed cluster instead (same per-worker caching; rows
are still written here, by the client, so resume works the same way).

Run folder layout (``out_dir``):

``config.json``
    The effective suite and run settings, written at start. Re-running into the same
    folder resumes; a different configuration there is an error.
``rows.jsonl``
    One JSON line per finished sample (``{"index": i, "rows": [...]}``), appended,
    flushed and fsync'ed as each sample finishes. A torn last line (a crash while
    writing) is dropped on resume, and that sample is run again.
``per_sample.csv``
    The full table (:data:`COLUMNS`), written atomically at the end of :func:`run`.
``examples/<sample_id>/<method>.png``
    For the first ``cfg.examples`` samples: ``sharp.png`` (when known),
    ``blurred.png`` and one image per candidate that ran on it, written atomically by
    the worker before the sample's rows are saved (a resumed run rewrites them
    identically). Read by :func:`bench.figures.load_examples`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import metrics
from bench.config import BenchConfig, CandidateConfig, SuiteConfig
from bench.external import ExternalResult, restore_external
from bench.external import safe_name as _safe_name
from bench.lifetime import process_pool
from bench.ocr import OcrEngine, get_ocr, normalize_plate_text
from bench.reads import read_outcome
from bench.rundir import CONFIG_FILE, same_suite
from bench.samples import Sample, build_sample, count_samples, sample_label
from deblur.io import atomic_write_bytes, to_gray, write_image
from deblur.registry import deblurrer_info, get_deblurrer
from deblur.types import Deblurrer, Image

__all__ = [
    "COLUMNS",
    "ResultRow",
    "iter_results",
    "run",
    "load_rows",
    "write_per_sample",
    "check_candidates",
]

logger = logging.getLogger(__name__)

COLUMNS = (
    "suite", "sample_id", "seed", "source", "style", "text", "blur_kind",
    "blur_length", "blur_angle", "noise", "condition", "method", "ocr", "prediction",
    "exact", "outcome", "cer", "ned", "psnr", "ssim", "ms", "error",
)  # fmt: skip
"""Columns of the per-sample table, in order (the one list; :mod:`bench.aggregate`
reads it)."""

ROWS_FILE = "rows.jsonl"
PER_SAMPLE_FILE = "per_sample.csv"
EXAMPLES_DIR = "examples"
MODEL_LOADER = "model"
"""Registry name used to load a ``.keras``/``.onnx`` candidate: ``get_deblurrer(
MODEL_LOADER, path=...)``."""


@dataclass(frozen=True, kw_only=True)
class ResultRow:
    """One (sample, condition, method, OCR engine) result; fields are :data:`COLUMNS`.

    ``exact``, ``cer`` and ``ned`` compare normalized label and prediction, and
    ``outcome`` classifies the reading (:func:`bench.reads.read_outcome`: ``exact``,
    ``misread`` or ``unread``; empty for failed rows); ``seed`` is the root seed of
    the sample's draw; ``psnr``
    and ``ssim`` are on luminance against the sharp image (NaN without one); ``ms`` is
    the restoration time (0 for ``sharp`` and ``blurred``); ``error`` is empty unless
    this row failed, in which case the scores are NaN.
    """

    suite: str
    sample_id: str
    seed: int
    source: str
    style: str
    text: str
    blur_kind: str
    blur_length: float
    blur_angle: float
    noise: float
    condition: str
    method: str
    ocr: str
    prediction: str
    exact: float
    outcome: str
    cer: float
    ned: float
    psnr: float
    ssim: float
    ms: float
    error: str


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


def check_candidates(suite: SuiteConfig) -> None:
    """Fail early on unknown candidates and on oracle candidates without a true PSF.

    Raises
    ------
    KeyError
        If a candidate name is not registered.
    FileNotFoundError
        If a model-file candidate does not exist.
    ValueError
        If a ``needs_psf`` candidate is used on a ``blind`` suite.
    """
    for cand in suite.candidates:
        if cand.is_folder and not Path(cand.folder).is_dir():
            raise FileNotFoundError(
                f"candidate {cand.label!r}: folder not found: {cand.folder}"
            )
        if cand.is_external:
            continue
        if cand.is_model_file:
            if not Path(cand.name).is_file():
                raise FileNotFoundError(f"candidate model file not found: {cand.name}")
            deblurrer_info(MODEL_LOADER)
            continue
        info = deblurrer_info(cand.name)
        if info.needs_psf and suite.kind == "blind":
            raise ValueError(
                f"candidate {cand.name!r} needs the true PSF, which a 'blind' suite lacks"
            )


# --- worker side ------------------------------------------------------------------

_STATE: dict[str, Any] = {}  # Any: per-process cache of engines and deblurrers


def _init_worker(
    suite: SuiteConfig,
    examples_dir: Path | None = None,
    examples: int = 0,
    model_threads: int = 0,
) -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract: one thread per process
    _STATE.clear()
    _STATE["suite"] = suite
    _STATE["model_threads"] = model_threads
    _STATE["examples"] = (examples_dir, examples)
    _STATE["ocr"] = {name: get_ocr(name, cfg=suite.ocr_settings) for name in suite.ocr}
    _STATE["blind"] = {}


def _deblurrer(cand: CandidateConfig, sample: Sample) -> Deblurrer:
    if cand.is_model_file or not deblurrer_info(cand.name).needs_psf:
        cache: dict[str, Deblurrer] = _STATE["blind"]
        if cand.name not in cache:
            name = MODEL_LOADER if cand.is_model_file else cand.name
            options: dict[str, Any] = {"path": cand.name} if cand.is_model_file else {}
            if deblurrer_info(name).threaded:
                options["threads"] = _STATE["model_threads"]
            cache[cand.name] = get_deblurrer(name, **options)
        return cache[cand.name]
    if sample.psf is None:
        raise ValueError(f"candidate {cand.name!r} needs the true PSF; sample has none")
    return get_deblurrer(cand.name, psf=sample.psf)


def _error_text(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def _quality(sharp: Image | None, test: Image) -> tuple[float, float]:
    if sharp is None:
        return math.nan, math.nan
    ref, tst = to_gray(sharp), to_gray(test)
    return metrics.psnr(ref, tst), metrics.ssim(ref, tst)


def _restore(cand: CandidateConfig, sample: Sample) -> _Job:
    try:
        fn = _deblurrer(cand, sample)
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


def _box(sample: Sample, image: Image | None) -> Image | None:
    return None if image is None else sample.in_box(image)


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
    suite: SuiteConfig, sample: Sample, external: dict[tuple[str, int], _Job]
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
    for cand in suite.candidates:
        if sample.index % cand.every == 0:
            if cand.is_external:
                jobs.append(external[cand.label, sample.index])
            else:
                jobs.append(_restore(cand, sample))
    return jobs


def _save_examples(sample: Sample, jobs: list[_Job]) -> None:
    """Write the images of `sample` if it is one of the first N (atomic writes)."""
    folder, count = _STATE.get("examples", (None, 0))
    if folder is None or sample.index >= count:
        return
    target = Path(folder) / _safe_name(sample.sample_id)
    target.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        if job.image is not None:
            write_image(target / f"{_safe_name(job.method)}.png", job.image)


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
         prediction: str | BaseException | None) -> dict[str, Any]:  # fmt: skip
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
    row = ResultRow(
        suite=suite.name, sample_id=sample.sample_id, seed=sample.seed,
        source=sample.source,
        style=sample.style, text=sample.text, blur_kind=str(sample.blur["kind"]),
        blur_length=float(sample.blur["length"]), blur_angle=float(sample.blur["angle"]),
        noise=float(sample.blur["noise"]), condition=job.condition, method=job.method,
        ocr=ocr, prediction=(prediction or "").strip(), exact=exact, outcome=outcome,
        cer=cer, ned=ned,
        psnr=job.psnr, ssim=job.ssim, ms=job.ms, error=error,
    )  # fmt: skip
    return dataclasses.asdict(row)


def _failed_sample(
    suite: SuiteConfig, index: int, err: BaseException
) -> list[dict[str, Any]]:
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


def _run_chunk(indices: Sequence[int]) -> list[tuple[int, list[dict[str, Any]]]]:
    """Run samples `indices` in this worker; return (index, rows) per sample."""
    suite: SuiteConfig = _STATE["suite"]
    samples: list[Sample] = []
    failed: dict[int, list[dict[str, Any]]] = {}
    for index in indices:
        try:
            samples.append(build_sample(suite, index))
        except Exception as err:  # recorded, the run goes on
            failed[index] = _failed_sample(suite, index, err)
    external = _external_jobs(suite, samples)
    planned: list[tuple[Sample, list[_Job]]] = []
    for sample in samples:
        jobs = _jobs(suite, sample, external)
        _save_examples(sample, jobs)
        planned.append((sample, jobs))
    readable = [
        job.image for _, jobs in planned for job in jobs if job.image is not None
    ]
    reads = {
        name: iter(_read(engine, readable)) for name, engine in _STATE["ocr"].items()
    }
    out: dict[int, list[dict[str, Any]]] = dict(failed)
    for sample, jobs in planned:
        rows = []
        for job in jobs:
            for name in suite.ocr:
                prediction = next(reads[name]) if job.image is not None else None
                rows.append(_row(suite, sample, job, name, prediction))
        out[sample.index] = rows
    return sorted(out.items())


# --- main side --------------------------------------------------------------------


def _config_dict(cfg: BenchConfig, samples: int) -> dict[str, Any]:  # Any: JSON
    suite = cfg.effective_suite
    return {
        "suite": dataclasses.asdict(suite),
        "samples": samples,
        "workers": cfg.workers,
        "chunk": cfg.chunk,
        "examples": cfg.examples,
        "scheduler": cfg.scheduler,
    }


def _prepare_dir(cfg: BenchConfig, out_dir: Path, samples: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CONFIG_FILE
    new = _config_dict(cfg, samples)
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if not same_suite(old.get("suite"), json.loads(json.dumps(new["suite"]))):
            raise ValueError(
                f"out_dir {out_dir} holds a run with a different suite configuration; "
                "use a new folder"
            )
    atomic_write_bytes(path, (json.dumps(new, indent=2) + "\n").encode("utf-8"))


def _read_done(path: Path) -> dict[int, list[dict[str, Any]]]:
    """Read finished samples from `path`, truncating a torn last line."""
    done: dict[int, list[dict[str, Any]]] = {}
    if not path.exists():
        return done
    data = path.read_bytes()
    good = 0
    for line in data.splitlines(keepends=True):
        try:
            record = json.loads(line)
            index, rows = int(record["index"]), list(record["rows"])
        except (ValueError, KeyError, TypeError):
            break
        if not line.endswith(b"\n"):
            break
        done[index] = rows
        good += len(line)
    if good != len(data):
        logger.warning(
            "dropping a torn tail of %d bytes from %s", len(data) - good, path
        )
        with open(path, "r+b") as fh:
            fh.truncate(good)
    return done


def _chunks(indices: list[int], size: int) -> list[list[int]]:
    return [indices[i : i + size] for i in range(0, len(indices), size)]


_DASK_LOCK = threading.Lock()


def _dask_chunk(
    init: tuple[SuiteConfig, Path, int, int], indices: Sequence[int]
) -> list[tuple[int, list[dict[str, Any]]]]:
    """Run one chunk on a Dask worker; engines and models are built once per worker.

    The worker keeps its state in the module global between tasks (keyed by the run's
    settings); the lock serialises tasks of a multi-threaded worker, since OCR engines
    and models are not shared between threads.
    """
    with _DASK_LOCK:
        if _STATE.get("init") != init:
            _init_worker(*init)
            _STATE["init"] = init
        return _run_chunk(indices)


def _execute_dask(address: str, init: tuple[SuiteConfig, Path, int, int],
                  chunks: list[list[int]]
                  ) -> Iterator[list[tuple[int, list[dict[str, Any]]]]]:  # fmt: skip
    try:
        from distributed import Client, as_completed
    except ImportError as err:  # pragma: no cover - the dask extra is not installed
        raise ValueError(
            "--scheduler needs Dask distributed: pip install 'plate-deblur[dask]'"
        ) from err
    try:
        client = Client(address, set_as_default=False)  # distributed.comm.timeouts
    except (OSError, TimeoutError) as err:
        raise ValueError(f"cannot reach Dask scheduler {address}: {err}") from err
    with client:
        futures = [client.submit(_dask_chunk, init, chunk, pure=False)
                   for chunk in chunks]  # fmt: skip
        try:
            for future in as_completed(futures, loop=client.loop):
                yield future.result()
        finally:
            client.cancel(futures)


def _execute(cfg: BenchConfig, suite: SuiteConfig, pending: list[int], out: Path
             ) -> Iterator[list[tuple[int, list[dict[str, Any]]]]]:  # fmt: skip
    chunks = _chunks(pending, cfg.chunk)
    # One model thread per process when processes share the cores (measured: two
    # processes on 2 cores, 17.5 ms per plate each with 1 thread, 32 ms with 2).
    alone = cfg.scheduler is None and (cfg.workers == 1 or len(chunks) == 1)
    init = (suite, out / EXAMPLES_DIR, cfg.examples, 0 if alone else 1)
    if cfg.scheduler is not None:
        yield from _execute_dask(cfg.scheduler, init, chunks)
        return
    if cfg.workers == 1 or len(chunks) == 1:
        _init_worker(*init)
        for chunk in chunks:
            yield _run_chunk(chunk)
        return
    # Workers (and their tesseract processes) die with this process, even by kill -9.
    with process_pool(cfg.workers, initializer=_init_worker, initargs=init) as pool:
        futures = [pool.submit(_run_chunk, chunk) for chunk in chunks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def iter_results(
    cfg: BenchConfig, out_dir: str | os.PathLike[str]
) -> Iterator[ResultRow]:
    """Run the pending samples of `cfg` into `out_dir`, yielding rows as samples finish.

    Samples already in ``out_dir/rows.jsonl`` are skipped (resume); their rows are not
    yielded again. Each finished sample is appended to ``rows.jsonl`` before its rows
    are yielded.

    Parameters
    ----------
    cfg : BenchConfig
        Suite and overrides.
    out_dir : path-like
        Run folder; created if missing.

    Yields
    ------
    ResultRow

    Raises
    ------
    KeyError, ValueError, FileNotFoundError
        On unknown candidates/engines, a folder holding another run, or missing data.
    bench.ocr.OcrNotAvailableError
        If an OCR engine cannot be built.
    """
    suite = cfg.effective_suite
    check_candidates(suite)
    out = Path(out_dir)
    total = count_samples(suite)
    _prepare_dir(cfg, out, total)
    rows_path = out / ROWS_FILE
    done = _read_done(rows_path)
    pending = [i for i in range(total) if i not in done]
    logger.info("%d samples, %d done, %d to run", total, len(done), len(pending))
    if not pending:
        return
    with open(rows_path, "a", encoding="utf-8") as fh:
        for results in _execute(cfg, suite, pending, out):
            for index, rows in results:
                fh.write(json.dumps({"index": index, "rows": rows}) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                for row in rows:
                    yield ResultRow(**row)


def load_rows(out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the per-sample table from ``out_dir/rows.jsonl``, ordered by sample.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``rows.jsonl``.
    """
    path = Path(out_dir) / ROWS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"run folder has no {ROWS_FILE}: {path}")
    done = _read_done(path)
    rows = [row for index in sorted(done) for row in done[index]]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"prediction": str, "error": str})


def write_per_sample(frame: pd.DataFrame, out_dir: str | os.PathLike[str]) -> Path:
    """Write `frame` as ``out_dir/per_sample.csv`` atomically and return the path."""
    path = Path(out_dir) / PER_SAMPLE_FILE
    atomic_write_bytes(path, frame.to_csv(index=False).encode("utf-8"))
    return path


def run(cfg: BenchConfig, out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Run (or resume) the benchmark and return the full per-sample table.

    Parameters
    ----------
    cfg : BenchConfig
        Suite and overrides.
    out_dir : path-like
        Run folder (see the module docstring for its files).

    Returns
    -------
    DataFrame
        One row per (sample, condition, method, OCR engine) with :data:`COLUMNS`:
        ``suite``, ``sample_id``, ``seed`` (root seed of the sample's draw),
        ``source`` (``synthetic`` or folder), ``style``,
        ``text`` (label), ``blur_kind``, ``blur_length``, ``blur_angle`` (degrees),
        ``noise`` (sigma), ``condition`` (``sharp|blurred|restored``), ``method``
        (``sharp``, ``blurred`` or the candidate), ``ocr``, ``prediction`` (raw OCR
        text), ``exact`` (0/1), ``outcome`` (``exact``, ``misread`` or ``unread``;
        empty when the row failed), ``cer``, ``ned``, ``psnr`` (dB, luminance; ``inf`` for
        the sharp row), ``ssim`` (luminance), ``ms`` (restoration time), ``error``.
        Also written to ``per_sample.csv``.
    """
    for _ in iter_results(cfg, out_dir):
        pass
    frame = load_rows(out_dir)
    write_per_sample(frame, out_dir)
    failed = int((frame["error"] != "").sum())
    if failed:
        logger.warning("%d of %d rows failed; see the error column", failed, len(frame))
    return frame
