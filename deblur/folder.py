"""Restore image files and folders with a deblurrer (what ``deblur run`` does).

:func:`plan_jobs` lists the files to restore and refuses to write over an input;
:func:`deblur_jobs` restores them in steps (plates of one size share model calls),
keeping each file's format, size and mode, writing atomically and reporting unreadable
files instead of stopping; :func:`deblur_jobs_in_processes` does the same in worker
processes.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from deblur.inference import first_line
from deblur.io import (
    IMAGE_SUFFIXES,
    ImageInfo,
    output_format,
    read_image_native,
    write_image_native,
)
from deblur.lifetime import process_pool
from deblur.types import Deblurrer, Image

__all__ = [
    "Job",
    "FileResult",
    "plan_jobs",
    "deblur_jobs",
    "deblur_folder",
    "deblur_jobs_in_processes",
    "auto_workers",
    "BATCH",
    "LANES",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Job:
    """One file to restore: read `source`, write `target`."""

    source: Path
    target: Path


@dataclass(frozen=True, kw_only=True)
class FileResult:
    """Outcome of one job.

    Attributes
    ----------
    source, target : Path
        Input and output files.
    status : {"written", "skipped", "failed"}
        ``skipped``: the target existed and overwrite was off.
    error : str or None
        One-line reason when ``status == "failed"``.
    seconds : float
        Wall time spent on the file.
    """

    source: Path
    target: Path
    status: str
    error: str | None = None
    seconds: float = 0.0


def _is_image(path: Path) -> bool:
    return (
        path.is_file()
        and not path.name.startswith(".")
        and path.suffix.lower() in IMAGE_SUFFIXES
    )


def plan_jobs(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    recursive: bool = False,
) -> list[Job]:
    """List the files to restore from a file or folder `source` into `target`.

    Parameters
    ----------
    source : path-like
        An image file, or a folder of images (suffixes :data:`deblur.io.IMAGE_SUFFIXES`; hidden
        and other files are ignored).
    target : path-like
        For a file source: the output file, whose extension picks the written format
        (:func:`deblur.io.output_format`), or a folder to write it into under the same
        name: an existing folder, or any path ending in ``/`` (created). For a folder
        source: the output folder (created); relative paths are kept.
    recursive : bool
        Also restore images in sub-folders of a folder source.

    Returns
    -------
    list of Job
        Sorted by source path.

    Raises
    ------
    FileNotFoundError
        If `source` does not exist.
    ValueError
        If an output would overwrite an input, or `target` is the input folder (or
        inside it when `recursive`), or a folder source goes to an existing file, or a
        file target has an unknown image extension.
    """
    as_folder = os.fspath(target).endswith(("/", os.sep))
    source, target = Path(source), Path(target)
    if not source.exists():
        raise FileNotFoundError(f"input not found: {source}")
    if source.is_file():
        if as_folder and target.exists() and not target.is_dir():
            raise ValueError(f"output {target} is a file, not a folder")
        into = as_folder or target.is_dir()
        out = target / source.name if into else target
        output_format(out)
        jobs = [Job(source=source, target=out)]
    else:
        if target.exists() and not target.is_dir():
            raise ValueError(
                f"output must be a folder for a folder input, got file {target}"
            )
        src, dst = source.resolve(), target.resolve()
        if dst == src:
            raise ValueError(f"refusing to write into the input folder {source}")
        if recursive and src in dst.parents:
            raise ValueError(
                f"output {target} is inside the input folder {source} with --recursive"
            )
        files = source.rglob("*") if recursive else source.iterdir()
        jobs = [
            Job(source=f, target=target / f.relative_to(source))
            for f in sorted(files)
            if _is_image(f)
        ]
    for job in jobs:
        if job.target.resolve() == job.source.resolve():
            raise ValueError(f"refusing to overwrite the input {job.source}")
    return jobs


BATCH = 16
"""Files read ahead, restored together (plates of one shape share a model call) and
written behind, per step of :func:`deblur_jobs`."""

LANES = 1
"""Steps of :func:`deblur_jobs` restored at once. Two lanes measured 0.89-1.33x the
speed of one on 1,000 plates in seven quiet runs on this project's 2-core CPU (the
model pass already uses both cores, and Python's own work holds one): no reliable
gain, so one. Worker processes (:func:`deblur_jobs_in_processes`) are what scales."""


@dataclass(frozen=True)
class _Loaded:
    job: Job
    image: Image | None = None
    info: ImageInfo | None = None
    result: FileResult | None = None  # set when the job is already done (skip, failure)


def _read(job: Job, overwrite: bool) -> _Loaded:
    if job.target.exists() and not overwrite:
        return _Loaded(job, result=_result(job, "skipped"))
    try:
        image, info = read_image_native(job.source)
    except (ValueError, OSError) as err:
        return _Loaded(job, result=_result(job, "failed", err))
    return _Loaded(job, image=image, info=info)


def _result(job: Job, status: str, err: BaseException | None = None) -> FileResult:
    if err is not None:
        logger.info("failed: %s: %s", job.source, err)  # the result carries it
    error = None if err is None else first_line(err)
    return FileResult(source=job.source, target=job.target, status=status, error=error)


def _write(loaded: _Loaded, restored: Image | BaseException) -> FileResult:
    job = loaded.job
    if isinstance(restored, BaseException):
        return _result(job, "failed", restored)
    try:
        job.target.parent.mkdir(parents=True, exist_ok=True)
        write_image_native(job.target, restored, info=loaded.info)  # type: ignore[arg-type]
    except (ValueError, OSError) as err:
        return _result(job, "failed", err)
    return _result(job, "written")


def _restore_all(
    deblurrer: Deblurrer, images: list[Image]
) -> list[Image | BaseException]:
    """Restore `images`: in one ``restore_many`` call per shape where the deblurrer
    has one, else one by one; a failing image fails alone."""
    many = getattr(deblurrer, "restore_many", None)
    out: list[Image | BaseException] = [ValueError("not restored")] * len(images)
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(image.shape, []).append(i)
    for members in groups.values():
        if many is not None and len(members) > 1:
            try:
                for i, done in zip(
                    members, many([images[i] for i in members]), strict=True
                ):
                    out[i] = done
                continue
            except (ValueError, OSError):
                pass  # retried one by one below, so the bad image is named
        for i in members:
            try:
                out[i] = deblurrer(images[i])
            except (ValueError, OSError) as err:
                out[i] = err
    return out


def deblur_jobs(
    jobs: list[Job],
    deblurrer: Deblurrer,
    *,
    overwrite: bool = False,
    batch: int = BATCH,
    lanes: int = LANES,
) -> Iterator[FileResult]:
    """Restore every job, yielding one :class:`FileResult` per file, in job order.

    Unreadable or unwritable files give a ``failed`` result and the others go on;
    existing targets are ``skipped`` unless `overwrite`. Outputs keep the source's
    size and layout (see :func:`deblur.io.read_image_native`), take the format their
    extension names and are written atomically.

    Parameters
    ----------
    jobs : list of Job
        From :func:`plan_jobs`.
    deblurrer : Deblurrer
        Called per image, or through its ``restore_many(images)`` method (model
        deblurrers have one) for images of one shape. With ``lanes > 1`` it is called
        from several threads at once (the shipped wrappers are thread-safe).
    overwrite : bool
        Replace existing targets.
    batch : int
        Files per step. Two threads read the next steps' files and write the last
        steps' outputs while a step is restored, so disk and decoding overlap the
        model. ``seconds`` of a result is its step's wall time divided by its size.
    lanes : int
        Steps restored at once, each in its own thread: one step's blur estimates and
        guides (NumPy, one core) run while another's model pass runs.

    Raises
    ------
    ValueError
        If `batch` or `lanes` is below 1.
    """
    _check_at_least_one(batch=batch, lanes=lanes)
    steps = _runs(jobs, batch)
    with (
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="deblur-io") as io,
        ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="deblur-lane") as run,
    ):
        reading = deque(
            [io.submit(_read, job, overwrite) for job in step]
            for step in steps[: lanes + 1]
        )
        restoring: deque[
            tuple[list[_Loaded], Future[list[Image | BaseException]], float]
        ]
        restoring = deque()
        writing: list[tuple[Future[FileResult] | FileResult, float]] = []
        for number in range(len(steps)):
            loaded = [future.result() for future in reading.popleft()]
            if number + lanes + 1 < len(steps):
                ahead = steps[number + lanes + 1]
                reading.append([io.submit(_read, job, overwrite) for job in ahead])
            images = [item.image for item in loaded if item.image is not None]
            started = time.perf_counter()
            restoring.append(
                (loaded, run.submit(_restore_all, deblurrer, images), started)
            )
            while restoring and (len(restoring) >= lanes or number + 1 == len(steps)):
                yield from _finished(writing)
                writing = _write_step(io, *restoring.popleft())
        yield from _finished(writing)


def _write_step(
    io: ThreadPoolExecutor,
    loaded: list[_Loaded],
    restoring: Future[list[Image | BaseException]],
    started: float,
) -> list[tuple[Future[FileResult] | FileResult, float]]:
    """Wait for a step's restorations and submit its writes (its skips and failures
    are already results)."""
    restored = iter(restoring.result())
    seconds = (time.perf_counter() - started) / len(loaded)
    return [
        (item.result or io.submit(_write, item, next(restored)), seconds)
        for item in loaded
    ]


def deblur_jobs_in_processes(
    jobs: list[Job],
    make_deblurrer: Callable[[], Deblurrer],
    *,
    workers: int,
    overwrite: bool = False,
    batch: int = BATCH,
) -> Iterator[FileResult]:
    """:func:`deblur_jobs` in `workers` processes; results still come in job order.

    Each worker process builds its own deblurrer with `make_deblurrer` (picklable, for
    example ``functools.partial(deblur.load, "fast", threads=1)``) and reads, restores
    and writes runs of :data:`STEPS_PER_TASK` steps itself, so only file names travel
    between processes. Python holds one core per process for its own work (the blur
    estimates, guides and image coding), so on this project's 2-core CPU two
    processes restore 1,000 plates 1.05-1.4x as fast as one, start-up included
    (``results/perf.md``); each costs about a second to start. Workers die with this
    process (:func:`deblur.lifetime.process_pool`).

    Raises
    ------
    ValueError
        If `workers` or `batch` is below 1.
    """
    _check_at_least_one(workers=workers, batch=batch)
    tasks = _runs(jobs, batch * STEPS_PER_TASK)
    with process_pool(
        workers, initializer=_start_worker, initargs=(make_deblurrer,)
    ) as pool:
        done = pool.map(_worker_task, tasks, repeat(overwrite), repeat(batch))
        for results in done:
            yield from results


def auto_workers(files: int) -> int:
    """Worker processes ``deblur run`` uses for `files` files by default: one per CPU
    (at most 8) from :data:`PROCESS_MIN_FILES` files on, else 1 (in this process)."""
    if files < PROCESS_MIN_FILES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


PROCESS_MIN_FILES = 256
"""Below this many files, starting worker processes (about a second) does not pay."""

STEPS_PER_TASK = 4
"""Steps of :func:`deblur_jobs` a worker process of :func:`deblur_jobs_in_processes`
runs per task (its reads, restorations and writes overlap as in one process)."""

_WORKER_DEBLURRER: list[Deblurrer] = []  # the worker process's deblurrer, once built


def _start_worker(make_deblurrer: Callable[[], Deblurrer]) -> None:
    _WORKER_DEBLURRER.append(make_deblurrer())
    # Everything alive now (modules, the model) lives as long as the worker: keep it
    # out of the garbage collector's full passes, which otherwise took about 8% of a
    # worker's CPU on 1,000 plates (sampled with py-spy).
    gc.freeze()


def _worker_task(jobs: list[Job], overwrite: bool, batch: int) -> list[FileResult]:
    (deblurrer,) = _WORKER_DEBLURRER
    return list(deblur_jobs(jobs, deblurrer, overwrite=overwrite, batch=batch, lanes=1))


def _check_at_least_one(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")


def _runs(jobs: list[Job], size: int) -> list[list[Job]]:
    """`jobs` cut into consecutive runs of `size` (the last one shorter)."""
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]


def _finished(
    writing: list[tuple[Future[FileResult] | FileResult, float]],
) -> Iterator[FileResult]:
    for pending, seconds in writing:
        result = pending if isinstance(pending, FileResult) else pending.result()
        yield dataclasses.replace(result, seconds=seconds)


def deblur_folder(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    deblurrer: Deblurrer,
    recursive: bool = False,
    overwrite: bool = False,
) -> Iterator[FileResult]:
    """Restore a file or folder: :func:`plan_jobs` then :func:`deblur_jobs`."""
    jobs = plan_jobs(source, target, recursive=recursive)
    return deblur_jobs(jobs, deblurrer, overwrite=overwrite)
