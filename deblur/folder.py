"""Restore image files and folders with a deblurrer (what ``deblur run`` does).

:func:`plan_jobs` lists the files to restore and refuses to write over an input;
:func:`deblur_jobs` restores them one by one, keeping each file's format, size and
mode, writing atomically and reporting unreadable files instead of stopping.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deblur.inference import first_line
from deblur.io import (
    IMAGE_SUFFIXES,
    output_format,
    read_image_native,
    write_image_native,
)
from deblur.types import Deblurrer

__all__ = [
    "Job",
    "FileResult",
    "plan_jobs",
    "deblur_jobs",
    "deblur_folder",
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


def deblur_jobs(
    jobs: list[Job], deblurrer: Deblurrer, *, overwrite: bool = False
) -> Iterator[FileResult]:
    """Restore every job, yielding one :class:`FileResult` per file as it finishes.

    Unreadable or unwritable files give a ``failed`` result and the others go on;
    existing targets are ``skipped`` unless `overwrite`. Outputs keep the source's
    size and layout (see :func:`deblur.io.read_image_native`), take the format their
    extension names and are written atomically.
    """
    for job in jobs:
        start = time.perf_counter()
        if job.target.exists() and not overwrite:
            yield FileResult(source=job.source, target=job.target, status="skipped")
            continue
        try:
            image, info = read_image_native(job.source)
            restored = deblurrer(image)
            job.target.parent.mkdir(parents=True, exist_ok=True)
            write_image_native(job.target, restored, info=info)
        except (ValueError, OSError) as err:
            logger.info("failed: %s: %s", job.source, err)  # the result carries it
            yield FileResult(
                source=job.source,
                target=job.target,
                status="failed",
                error=first_line(err),
                seconds=time.perf_counter() - start,
            )
            continue
        yield FileResult(
            source=job.source,
            target=job.target,
            status="written",
            seconds=time.perf_counter() - start,
        )


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
