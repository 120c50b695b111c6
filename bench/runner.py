"""Run a benchmark: restore every sample with every candidate and read it with OCR.

This module orchestrates a run: it checks the candidates, prepares the run folder,
skips the samples already done, hands the rest to an executor
(:func:`bench.executors.execute`: in-process, a spawn process pool, or Dask) and stores
each finished sample's rows (:class:`bench.rows.RowLog`) before yielding them. What a
worker does with a sample is :mod:`bench.worker`.

Run folder layout (``out_dir``):

``config.json``
    The effective suite and run settings, written at start. Re-running into the same
    folder resumes; a different configuration there is an error.
``rows.jsonl``
    One JSON line per finished sample, appended and fsync'ed as each sample finishes
    (:mod:`bench.rows`). A torn last line (a crash while writing) is dropped on
    resume, and that sample is run again.
``per_sample.csv``
    The full table (:data:`COLUMNS`), written atomically at the end of :func:`run`.
``examples/<sample_id>/<method>.png``
    For the first ``cfg.examples`` samples (:mod:`bench.worker`); read by
    :func:`bench.figures.load_examples`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from bench.config import BenchConfig, SuiteConfig
from bench.executors import execute
from bench.rows import (
    COLUMNS,
    ROWS_FILE,
    ResultRow,
    RowLog,
    load_rows,
    read_log,
    write_per_sample,
)
from bench.rundir import CONFIG_FILE, same_suite
from bench.samples import count_samples
from bench.worker import MODEL_LOADER
from deblur.io import atomic_write_bytes
from deblur.registry import deblurrer_info

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

EXAMPLES_DIR = "examples"


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
    done = read_log(out / ROWS_FILE)
    pending = [i for i in range(total) if i not in done]
    logger.info("%d samples, %d done, %d to run", total, len(done), len(pending))
    if not pending:
        return
    with RowLog.open(out / ROWS_FILE) as log:
        for results in execute(cfg, pending, out / EXAMPLES_DIR):
            for index, rows in results:
                log.append(index, rows)
                yield from rows


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
