"""The per-sample result record and where it is stored: the row log and per_sample.csv.

A run folder keeps its rows in two files:

``rows.jsonl``
    One JSON line per finished sample (``{"index": i, "rows": [...]}``, each row
    :meth:`ResultRow.to_json`), appended, flushed and fsync'ed as each sample finishes
    (:class:`RowLog`). A torn last line (a crash while writing) is ignored by
    :func:`read_log`, which never writes; :meth:`RowLog.open` cuts it off before the
    next sample is appended, and that sample is run again.
``per_sample.csv``
    The full table (:data:`COLUMNS`), written atomically (:func:`write_per_sample`).

:class:`ResultRow` is the one definition of a row: :data:`COLUMNS` is derived from its
fields, and the JSON line is the only place a row becomes a ``dict``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pandas as pd

from deblur.io import atomic_write_bytes

__all__ = [
    "COLUMNS",
    "PER_SAMPLE_FILE",
    "ROWS_FILE",
    "ResultRow",
    "RowLog",
    "load_rows",
    "read_log",
    "rows_frame",
    "write_per_sample",
]

logger = logging.getLogger(__name__)

ROWS_FILE = "rows.jsonl"
PER_SAMPLE_FILE = "per_sample.csv"


@dataclass(frozen=True, kw_only=True)
class ResultRow:
    """One (sample, condition, method, OCR engine) result; fields are :data:`COLUMNS`.

    ``exact``, ``cer`` and ``ned`` compare normalized label and prediction, and
    ``outcome`` classifies the reading (:func:`bench.reads.read_outcome`: ``exact``,
    ``misread`` or ``unread``; empty for failed rows); ``seed`` is the root seed of
    the sample's draw; ``psnr`` and ``ssim`` are on luminance against the sharp image
    (NaN without one); ``ms`` is the restoration time (0 for ``sharp`` and
    ``blurred``); ``error`` is empty unless this row failed, in which case the scores
    are NaN.
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

    def to_json(self) -> dict[str, Any]:  # Any: str, int or float values
        """Return the row as a JSON object (a ``dict`` of its fields, in order)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResultRow:  # Any: parsed JSON
        """Build a row from :meth:`to_json`'s object.

        Logs written before ``seed`` and ``outcome`` existed read them as ``-1`` and
        ``""``.

        Raises
        ------
        ValueError
            If `data` lacks a field or has one that is not a column.
        """
        values = {**_ADDED_LATER, **data}
        unknown = sorted(set(values) - set(COLUMNS))
        missing = [c for c in COLUMNS if c not in values]
        if unknown or missing:
            raise ValueError(
                f"row must have the fields {list(COLUMNS)}; "
                f"missing {missing}, unknown {unknown}"
            )
        return cls(**values)


COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ResultRow))
"""Columns of the per-sample table, in order: the fields of :class:`ResultRow` (the
one list; :mod:`bench.aggregate` reads it)."""

_ADDED_LATER: dict[str, Any] = {"seed": -1, "outcome": ""}  # Any: field defaults
"""Fields that older row logs lack, and the values they are read as."""


def _parse(path: Path) -> tuple[dict[int, list[ResultRow]], int, int]:
    """Return the finished samples of `path`, the bytes they take and the file size."""
    data = path.read_bytes()
    done: dict[int, list[ResultRow]] = {}
    good = 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        try:
            record = json.loads(line)
            index = int(record["index"])
            rows = [ResultRow.from_json(row) for row in record["rows"]]
        except (ValueError, KeyError, TypeError):
            break
        done[index] = rows
        good += len(line)
    return done, good, len(data)


def read_log(path: str | os.PathLike[str]) -> dict[int, list[ResultRow]]:
    """Return the finished samples in a row log, by sample index; never writes.

    Reading stops at the first line that is torn or unreadable (a crash while
    appending); what follows is left in the file and ignored. A missing file has no
    samples.
    """
    path = Path(path)
    if not path.exists():
        return {}
    done, good, size = _parse(path)
    if good != size:
        logger.warning("ignoring a torn tail of %d bytes in %s", size - good, path)
    return done


class RowLog:
    """Append finished samples to a row log, each flushed and fsync'ed.

    Use as a context manager: ``with RowLog.open(path) as log: log.append(i, rows)``.
    """

    def __init__(self, fh: IO[str]) -> None:
        self._fh = fh

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> RowLog:
        """Open `path` for appending, first cutting off a torn tail left by a crash."""
        path = Path(path)
        if path.exists():
            _, good, size = _parse(path)
            if good != size:
                logger.warning(
                    "dropping a torn tail of %d bytes from %s", size - good, path
                )
                with open(path, "r+b") as fh:
                    fh.truncate(good)
        return cls(open(path, "a", encoding="utf-8"))

    def append(self, index: int, rows: list[ResultRow]) -> None:
        """Write sample `index` with its `rows` as one line and make it durable."""
        record = {"index": index, "rows": [row.to_json() for row in rows]}
        self._fh.write(json.dumps(record) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file."""
        self._fh.close()

    def __enter__(self) -> RowLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def rows_frame(rows: list[ResultRow]) -> pd.DataFrame:
    """Return `rows` as the per-sample table (columns :data:`COLUMNS`)."""
    frame = pd.DataFrame([dataclasses.astuple(r) for r in rows], columns=list(COLUMNS))
    return frame.astype({"prediction": str, "error": str})


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
    done = read_log(path)
    return rows_frame([row for index in sorted(done) for row in done[index]])


def write_per_sample(frame: pd.DataFrame, out_dir: str | os.PathLike[str]) -> Path:
    """Write `frame` as ``out_dir/per_sample.csv`` atomically and return the path."""
    path = Path(out_dir) / PER_SAMPLE_FILE
    atomic_write_bytes(path, frame.to_csv(index=False).encode("utf-8"))
    return path
